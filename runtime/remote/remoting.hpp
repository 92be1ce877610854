#pragma once
// What a node and a coordinator share to talk over CAF's middleman (docs/nodes.md): the actor
// system's network settings, TLS through libcaf_openssl, HOST:PORT addresses, and a bounded
// connect to a node's published actor.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "caf/expected.hpp"
#include "caf/fwd.hpp"
#include "messages/node_actor.hpp"

namespace gremlins {

/// Certificate, key and CA (PEM files) of TLS between nodes and coordinators. All three or none.
struct tls_files {
  std::string cert;
  std::string key;
  std::string ca;
  bool enabled() const { return !cert.empty() || !key.empty() || !ca.empty(); }
};

/// Why `tls` cannot be used (a file missing or unreadable, a key that does not match the
/// certificate, a certificate the CA did not sign), or nullopt. Checked before the actor system
/// starts: libcaf_openssl reads the files at every connection and throws on a bad one.
std::optional<std::string> tls_problem(const tls_files& tls);

/// Loads the middleman into `cfg`, and with `tls` the OpenSSL manager with its files
/// (openssl.certificate, openssl.key, openssl.cafile: every peer must present a certificate the
/// CA signed). Sets the heartbeat and connection timeout that let a dropped connection be seen,
/// and the application identifier that keeps other CAF programs out.
void configure_remoting(caf::actor_system_config& cfg, const tls_files& tls);

/// A HOST:PORT ([v6]:PORT too).
struct host_port {
  std::string host;
  std::uint16_t port = 0;
  std::string text() const;
};

/// Parses "HOST:PORT"; nullopt with `why` set when it is not one (a port of 0 only if
/// `allow_zero`: a node may let the system choose).
std::optional<host_port> parse_host_port(const std::string& s, std::string& why, bool allow_zero = false);

/// True for localhost, 127.0.0.0/8 and ::1.
bool is_loopback_host(const std::string& host);

/// Connects to the node actor published at `where`, through TLS when the system was
/// configured with it, waiting at most `limit` (CAF's own remote_actor waits forever).
caf::expected<node_actor> connect_node(caf::actor_system& sys, const host_port& where, bool tls,
                                       std::chrono::milliseconds limit);

/// Where TLS refusals are reported (a peer without a certificate, or with one the CA did not
/// sign, or that does not speak TLS): one line each, from a network thread. libcaf_openssl
/// reports nothing itself; runtime/remote/tls_watch.cpp watches its sessions.
void set_tls_log(std::function<void(const std::string&)> log);

}  // namespace gremlins
