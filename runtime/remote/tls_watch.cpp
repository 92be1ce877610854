// Refusals of TLS peers, reported. libcaf_openssl (0.17) creates an OpenSSL session for every
// connection, sets no callbacks and logs nothing (Debian builds CAF with its logger compiled
// out), so a peer it refuses would vanish without a word. This file defines SSL_new and
// SSL_free, which take precedence over libssl's for the whole process (the dynamic linker
// finds this library before libssl, a dependency of libcaf_openssl): each new session gets an
// info callback (fatal alerts, sent or received) and a verify callback (why a certificate was
// not accepted, and whose it was), and a session freed before its handshake finished is
// reported too (a peer that spoke no TLS, or hung up). Both call libssl's own functions.

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <functional>
#include <mutex>
#include <string>

#include "runtime/remote/remoting.hpp"

namespace gremlins {

namespace {

std::mutex log_mx;
std::function<void(const std::string&)> log_fn;

struct session_note {
  std::string peer;
  std::string why;    ///< what the verify callback found
  bool reported = false;
  bool established = false;  ///< the handshake was done: nothing later is a refusal
};

int note_index() {
  static int idx = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return idx;
}

session_note* note_of(const SSL* ssl) {
  return static_cast<session_note*>(SSL_get_ex_data(ssl, note_index()));
}

std::string peer_of(const SSL* ssl) {
  int fd = SSL_get_fd(ssl);
  if (fd < 0) return {};
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
  char host[INET6_ADDRSTRLEN] = {};
  unsigned port = 0;
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    port = ntohs(a->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    ::inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    port = ntohs(a->sin6_port);
    return "[" + std::string(host) + "]:" + std::to_string(port);
  }
  return {};
}

void report(const SSL* ssl, session_note& note, const std::string& what) {
  if (note.reported) return;
  note.reported = true;
  if (note.peer.empty()) note.peer = peer_of(ssl);
  std::string who = note.peer.empty() ? std::string("a peer") : note.peer;
  std::string line = SSL_is_server(ssl) ? "TLS: refused " + who + ": " + what
                                        : "TLS: connection to " + who + " refused: " + what;
  std::lock_guard<std::mutex> guard(log_mx);
  if (log_fn) log_fn(line);
}

int verify_cb(int ok, X509_STORE_CTX* store) {
  if (ok) return ok;
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (ssl == nullptr) return ok;
  if (auto* note = note_of(ssl); note != nullptr && note->why.empty()) {
    std::string subject = "?";
    if (X509* cert = X509_STORE_CTX_get_current_cert(store)) {
      char buf[512] = {};
      X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf - 1);
      subject = buf;
    }
    note->why = std::string("its certificate was not accepted: ") +
                X509_verify_cert_error_string(X509_STORE_CTX_get_error(store)) + " (subject " + subject + ")";
  }
  return ok;
}

void info_cb(const SSL* ssl, int where, int ret) {
  auto* note = note_of(ssl);
  if (note == nullptr) return;
  if (note->peer.empty()) note->peer = peer_of(ssl);
  if (where & SSL_CB_HANDSHAKE_DONE) note->established = true;
  if ((where & SSL_CB_ALERT) == 0 || (ret >> 8) != SSL3_AL_FATAL) return;
  // After the handshake an alert this side sends is no refusal (the peer closed without TLS's
  // goodbye, say). A client hears of its own refusal only then: with TLS 1.3 its handshake is
  // done before the server has checked its certificate.
  if (note->established && ((where & SSL_CB_WRITE) || SSL_is_server(ssl))) return;
  // OpenSSL 3 has no text for TLS 1.3's "certificate required" (116).
  std::string alert = (ret & 0xff) == 116 ? "certificate required (no certificate was presented)"
                                          : SSL_alert_desc_string_long(ret);
  if (where & SSL_CB_WRITE)
    report(ssl, *note, note->why.empty() ? "TLS alert '" + alert + "' sent" : note->why);
  else
    report(ssl, *note, "the peer did not accept this side (TLS alert '" + alert + "')");
}

}  // namespace

void set_tls_log(std::function<void(const std::string&)> log) {
  std::lock_guard<std::mutex> guard(log_mx);
  log_fn = std::move(log);
}

}  // namespace gremlins

extern "C" {

SSL* SSL_new(SSL_CTX* ctx) {
  using fn = SSL* (*)(SSL_CTX*);
  static fn real = reinterpret_cast<fn>(::dlsym(RTLD_NEXT, "SSL_new"));
  if (real == nullptr) return nullptr;
  SSL* ssl = real(ctx);
  if (ssl != nullptr) {
    SSL_set_ex_data(ssl, gremlins::note_index(), new gremlins::session_note);
    SSL_set_info_callback(ssl, gremlins::info_cb);
    SSL_set_verify(ssl, SSL_get_verify_mode(ssl), gremlins::verify_cb);
  }
  return ssl;
}

void SSL_free(SSL* ssl) {
  using fn = void (*)(SSL*);
  static fn real = reinterpret_cast<fn>(::dlsym(RTLD_NEXT, "SSL_free"));
  if (ssl != nullptr) {
    if (auto* note = gremlins::note_of(ssl)) {
      if (!note->established && SSL_get_fd(ssl) >= 0)
        gremlins::report(ssl, *note, note->why.empty()
                                         ? "the TLS handshake did not complete (the peer hung up or spoke no TLS)"
                                         : note->why);
      SSL_set_ex_data(ssl, gremlins::note_index(), nullptr);
      delete note;
    }
  }
  if (real != nullptr) real(ssl);
}

}  // extern "C"
