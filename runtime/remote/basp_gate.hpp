#pragma once
// The front door of a node without TLS (docs/nodes.md, "Garbage on the port"). CAF 0.17's
// middleman trusts the first 32 bytes of a connection: a header that claims a 4 GiB payload
// makes it allocate and zero 4 GiB for that one connection (measured: 3.6 GB resident after
// one 32-byte write), so random bytes on the port could take a node down. The gate owns the
// listening socket instead. For each connection it makes a socket pair, hands one end to the
// middleman (which sees an ordinary connection to the published actor) and relays between the
// peer and the other end, checking every BASP header the peer sends: the first must be a
// client handshake, every one must be a valid BASP header with a payload of at most
// `max_payload`. A peer that breaks that is cut off and reported; the middleman only ever
// reads well-formed frames. What the node sends back is relayed unchanged.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace gremlins {

class basp_gate {
public:
  struct options {
    std::string host;                  ///< numeric address or name to listen on
    std::uint16_t port = 0;            ///< 0: the system chooses
    std::size_t max_payload = 64u << 20;
    std::size_t max_connections = 64;
    std::chrono::milliseconds handshake_limit{10000};  ///< for the first valid header
  };
  /// `adopt(fd)` gives the middleman its end of a new connection (it owns fd from then on);
  /// false when it could not. `log` gets one line per refused or cut-off peer.
  using adopt_fn = std::function<bool(int fd)>;
  using log_fn = std::function<void(const std::string&)>;

  /// Binds and listens (throws std::runtime_error naming the address when it cannot), then
  /// serves on its own thread.
  basp_gate(options opts, adopt_fn adopt, log_fn log);
  /// Closes the port and every connection, ends the thread.
  ~basp_gate();
  basp_gate(const basp_gate&) = delete;
  basp_gate& operator=(const basp_gate&) = delete;

  /// The bound port.
  std::uint16_t port() const;

  /// Checks a BASP header (32 bytes, network order) as the gate does: empty when it may pass,
  /// else why not. `first`: the connection's first header (it must be a client handshake).
  static std::string refusal(const unsigned char* header, bool first, std::size_t max_payload);

  static constexpr std::size_t header_size = 32;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace gremlins
