// The cheapest worker-protocol worker there is, for throughput benches: every gremlin survives
// at once, so a run measures the runtime and the pipe round trip alone.
//
//   noop_worker [STARTUP_MS [GREMLIN_MS]]
//
// STARTUP_MS: sleep before `ready` (a warm-up cost); GREMLIN_MS: sleep per gremlin (a test
// cost). Replies to all the complete request lines of one read with one write.

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <unistd.h>

namespace {

void write_all(int fd, const std::string& s) {
  const char* p = s.data();
  size_t n = s.size();
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) std::_Exit(5);
    p += w;
    n -= static_cast<size_t>(w);
  }
}

// The gremlin id of a `run` line, still JSON-escaped (it is echoed back as is), or "".
std::string gremlin_of(const char* line, size_t len) {
  static const char key[] = "\"gremlin\":\"";
  const char* end = line + len;
  const char* p = static_cast<const char*>(memmem(line, len, key, sizeof key - 1));
  if (p == nullptr) return {};
  p += sizeof key - 1;
  const char* q = p;
  while (q < end && *q != '"') q += (*q == '\\') ? 2 : 1;
  return std::string(p, static_cast<size_t>(std::min(q, end) - p));
}

void sleep_ms(long ms) {
  if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

}  // namespace

int main(int argc, char** argv) {
  long startup_ms = argc > 1 ? std::atol(argv[1]) : 0;
  long gremlin_ms = argc > 2 ? std::atol(argv[2]) : 0;
  const char* in_env = std::getenv("GREMLIN_REQUEST_FD");
  const char* out_env = std::getenv("GREMLIN_REPLY_FD");
  if (in_env == nullptr || out_env == nullptr) return 2;
  int in = std::atoi(in_env), out = std::atoi(out_env);
  sleep_ms(startup_ms);
  write_all(out, "{\"event\":\"ready\",\"protocol\":1,\"pid\":" + std::to_string(::getpid()) +
                   ",\"capabilities\":[\"inprocess\"]}\n");
  std::string pending, replies;
  static char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    pending.append(buf, static_cast<size_t>(n));
    size_t start = 0;
    for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
      const char* line = pending.data() + start;
      size_t len = nl - start;
      if (memmem(line, len, "\"op\":\"shutdown\"", 15) != nullptr) {
        write_all(out, replies);
        return 0;
      }
      sleep_ms(gremlin_ms);
      replies += "{\"event\":\"result\",\"gremlin\":\"" + gremlin_of(line, len) +
                 "\",\"status\":\"survived\",\"killing_test\":null,\"ms\":0,\"output\":\"\"}\n";
      // A slow gremlin's answer goes out at once, not with the rest of its batch.
      if (gremlin_ms > 0) {
        write_all(out, replies);
        replies.clear();
      }
    }
    pending.erase(0, start);
    write_all(out, replies);
    replies.clear();
  }
}
