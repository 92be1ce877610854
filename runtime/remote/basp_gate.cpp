#include "runtime/remote/basp_gate.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <list>
#include <stdexcept>
#include <thread>
#include <vector>

namespace gremlins {

namespace {

using clock_type = std::chrono::steady_clock;

constexpr std::size_t buffer_cap = 1u << 20;  ///< read no more from a side while this waits
constexpr std::size_t handshake_cap = 64u << 10;

std::uint64_t be(const unsigned char* p, int n) {
  std::uint64_t x = 0;
  for (int i = 0; i < n; ++i) x = (x << 8) | p[i];
  return x;
}

bool set_nonblocking(int fd) {
  int fl = ::fcntl(fd, F_GETFL);
  return fl >= 0 && ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0;
}

std::string address_of(const sockaddr_storage& ss) {
  char host[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(a->sin_port));
  }
  if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    ::inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    return "[" + std::string(host) + "]:" + std::to_string(ntohs(a->sin6_port));
  }
  return "a peer";
}

struct connection {
  int peer = -1;
  int inner = -1;
  std::string who;
  std::string to_inner, to_peer;
  unsigned char header[basp_gate::header_size] = {};
  std::size_t header_fill = 0;
  std::uint64_t payload_left = 0;
  bool first = true;
  clock_type::time_point deadline;
  bool done = false;
};

}  // namespace

struct basp_gate::impl {
  options opts;
  adopt_fn adopt;
  log_fn log;
  int listener = -1;
  int wake[2] = {-1, -1};
  std::uint16_t port = 0;
  std::list<connection> conns;
  std::thread thread;

  void say(const std::string& line) {
    if (log) log(line);
  }

  void close_conn(connection& c) {
    if (c.peer >= 0) ::close(c.peer);
    if (c.inner >= 0) ::close(c.inner);
    c.peer = c.inner = -1;
    c.done = true;
  }

  void cut(connection& c, const std::string& why) {
    say((c.first ? "refused " : "cut off ") + c.who + ": " + why);
    close_conn(c);
  }

  void accept_one() {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    int fd = ::accept4(listener, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    std::string who = address_of(ss);
    if (conns.size() >= opts.max_connections) {
      say("refused " + who + ": already " + std::to_string(conns.size()) + " connections");
      ::close(fd);
      return;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
      say("refused " + who + ": no socket pair (" + std::strerror(errno) + ")");
      ::close(fd);
      return;
    }
    set_nonblocking(pair[0]);
    set_nonblocking(pair[1]);
    if (!adopt(pair[1])) {
      say("refused " + who + ": the middleman did not take the connection");
      ::close(pair[1]);
      ::close(pair[0]);
      ::close(fd);
      return;
    }
    connection c;
    c.peer = fd;
    c.inner = pair[0];
    c.who = who;
    c.deadline = clock_type::now() + opts.handshake_limit;
    conns.push_back(std::move(c));
  }

  // Bytes from the peer: whole headers are checked before anything of them passes.
  void from_peer(connection& c, const unsigned char* p, std::size_t n) {
    while (n > 0 && !c.done) {
      if (c.payload_left > 0) {
        auto k = static_cast<std::size_t>(std::min<std::uint64_t>(c.payload_left, n));
        c.to_inner.append(reinterpret_cast<const char*>(p), k);
        c.payload_left -= k;
        p += k;
        n -= k;
        continue;
      }
      auto k = std::min(header_size - c.header_fill, n);
      std::memcpy(c.header + c.header_fill, p, k);
      c.header_fill += k;
      p += k;
      n -= k;
      if (c.header_fill < header_size) break;
      c.header_fill = 0;
      auto why = refusal(c.header, c.first, opts.max_payload);
      if (!why.empty()) {
        cut(c, why);
        return;
      }
      c.first = false;
      c.to_inner.append(reinterpret_cast<const char*>(c.header), header_size);
      c.payload_left = be(c.header + 4, 4);
    }
  }

  // Writes what waits for `fd`; false when the connection is over.
  static bool flush(int fd, std::string& out) {
    while (!out.empty()) {
      ssize_t w = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
      if (w < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
      out.erase(0, static_cast<std::size_t>(w));
    }
    return true;
  }

  void serve() {
    std::vector<pollfd> fds;
    std::vector<connection*> owners;
    unsigned char buf[65536];
    for (;;) {
      conns.remove_if([](const connection& c) { return c.done; });
      fds.clear();
      owners.clear();
      fds.push_back({wake[0], POLLIN, 0});
      owners.push_back(nullptr);
      fds.push_back({listener, POLLIN, 0});
      owners.push_back(nullptr);
      auto now = clock_type::now();
      int timeout_ms = 1000;
      for (auto& c : conns) {
        if (c.done) continue;
        if (c.first) {
          if (now >= c.deadline) {
            cut(c, "no BASP client handshake within " + std::to_string(opts.handshake_limit.count()) + " ms");
            continue;
          }
          auto left = std::chrono::duration_cast<std::chrono::milliseconds>(c.deadline - now).count() + 1;
          timeout_ms = std::min<int>(timeout_ms, static_cast<int>(left));
        }
        short pe = (c.to_inner.size() < buffer_cap ? POLLIN : 0) | (c.to_peer.empty() ? 0 : POLLOUT);
        short ie = (c.to_peer.size() < buffer_cap ? POLLIN : 0) | (c.to_inner.empty() ? 0 : POLLOUT);
        fds.push_back({c.peer, pe, 0});
        owners.push_back(&c);
        fds.push_back({c.inner, ie, 0});
        owners.push_back(&c);
      }
      int r = ::poll(fds.data(), fds.size(), timeout_ms);
      if (r < 0) {
        if (errno == EINTR) continue;
        say("the gate stopped: poll failed (" + std::string(std::strerror(errno)) + ")");
        return;
      }
      if (fds[0].revents != 0) return;  // stop
      if (fds[1].revents & POLLIN) accept_one();
      for (std::size_t i = 2; i < fds.size(); ++i) {
        connection& c = *owners[i];
        if (c.done || fds[i].revents == 0) continue;
        bool peer_side = fds[i].fd == c.peer;
        int fd = fds[i].fd;
        if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
          ssize_t n = ::recv(fd, buf, sizeof buf, 0);
          if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            if (peer_side && c.first) say("refused " + c.who + ": it hung up before a BASP client handshake");
            close_conn(c);
            continue;
          }
          if (n > 0) {
            if (peer_side) from_peer(c, buf, static_cast<std::size_t>(n));
            else c.to_peer.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
          }
        }
        if (c.done) continue;
        if (!flush(c.inner, c.to_inner) || !flush(c.peer, c.to_peer)) close_conn(c);
      }
    }
  }
};

std::string basp_gate::refusal(const unsigned char* h, bool first, std::size_t max_payload) {
  auto op = h[0];
  auto payload = be(h + 4, 4);
  auto op_data = be(h + 8, 8);
  auto src = be(h + 16, 8);
  auto dst = be(h + 24, 8);
  auto shown = [&] {
    return "operation " + std::to_string(op) + ", payload " + std::to_string(payload) + " bytes";
  };
  if (first) {
    if (op != 1 || src != 0 || dst != 0 || payload > handshake_cap)
      return "not a gremlin-actors coordinator (its first bytes are not a BASP client handshake: " + shown() + ")";
    return {};
  }
  if (payload > max_payload)
    return "a BASP message of " + std::to_string(payload) + " bytes (at most " + std::to_string(max_payload) + ")";
  bool ok = false;
  switch (op) {
    case 1:  // client handshake (CAF sends it again once it has the server's)
      ok = src == 0 && dst == 0 && payload <= handshake_cap;
      break;
    case 2:  // direct message
    case 3:  // routed message
      ok = dst != 0 && payload != 0;
      break;
    case 4:  // monitor message
      ok = payload != 0 && op_data == 0;
      break;
    case 5:  // down message
      ok = src != 0 && dst == 0 && payload != 0 && op_data == 0;
      break;
    case 6:  // heartbeat
      ok = src == 0 && dst == 0 && payload == 0 && op_data == 0;
      break;
    default: ok = false;
  }
  if (!ok) return "an invalid BASP header (" + shown() + ")";
  return {};
}

basp_gate::basp_gate(options opts, adopt_fn adopt, log_fn log) : impl_(std::make_unique<impl>()) {
  auto& m = *impl_;
  m.opts = std::move(opts);
  m.adopt = std::move(adopt);
  m.log = std::move(log);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  auto port_text = std::to_string(m.opts.port);
  int rc = ::getaddrinfo(m.opts.host.empty() ? nullptr : m.opts.host.c_str(), port_text.c_str(), &hints, &res);
  if (rc != 0) throw std::runtime_error("cannot listen on " + m.opts.host + ": " + ::gai_strerror(rc));
  std::string last_error = "no address";
  for (auto* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, 64) == 0) {
      m.listener = fd;
      break;
    }
    last_error = std::strerror(errno);
    ::close(fd);
  }
  ::freeaddrinfo(res);
  if (m.listener < 0)
    throw std::runtime_error("cannot listen on " + m.opts.host + ":" + port_text + ": " + last_error);
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(m.listener, reinterpret_cast<sockaddr*>(&ss), &len);
  m.port = ss.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)
                                    : ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  if (::pipe2(m.wake, O_CLOEXEC) != 0) {
    ::close(m.listener);
    throw std::runtime_error("cannot create the gate's pipe");
  }
  m.thread = std::thread([&m] { m.serve(); });
}

basp_gate::~basp_gate() {
  auto& m = *impl_;
  char x = 1;
  if (::write(m.wake[1], &x, 1) < 0) { /* the thread also ends when the pipe closes */ }
  if (m.thread.joinable()) m.thread.join();
  for (auto& c : m.conns) m.close_conn(c);
  ::close(m.listener);
  ::close(m.wake[0]);
  ::close(m.wake[1]);
}

std::uint16_t basp_gate::port() const { return impl_->port; }

}  // namespace gremlins
