#include "runtime/remote/remoting.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509err.h>

#include <memory>
#include <set>

#include "caf/actor_cast.hpp"
#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/io/middleman.hpp"
#include "caf/openssl/manager.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/sec.hpp"

namespace gremlins {

namespace {

std::string ssl_errors() {
  std::string out;
  while (auto e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += (out.empty() ? "" : "; ") + std::string(buf);
  }
  return out;
}

}  // namespace

std::optional<std::string> tls_problem(const tls_files& tls) {
  if (!tls.enabled()) return std::nullopt;
  if (tls.cert.empty() || tls.key.empty() || tls.ca.empty())
    return std::string("TLS needs all three of --tls-cert, --tls-key and --tls-ca");
  ERR_clear_error();
  std::unique_ptr<SSL_CTX, void (*)(SSL_CTX*)> ctx(SSL_CTX_new(TLS_method()), SSL_CTX_free);
  if (!ctx) return "TLS: cannot create an OpenSSL context: " + ssl_errors();
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), tls.cert.c_str()) != 1)
    return "--tls-cert " + tls.cert + ": not a PEM certificate that can be read (" + ssl_errors() + ")";
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), tls.key.c_str(), SSL_FILETYPE_PEM) != 1) {
    bool mismatch = ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH;
    auto errors = ssl_errors();
    if (mismatch) return "--tls-key " + tls.key + " does not belong to --tls-cert " + tls.cert;
    return "--tls-key " + tls.key + ": not a PEM private key that can be read (" + errors + ")";
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1)
    return "--tls-key " + tls.key + " does not belong to --tls-cert " + tls.cert;
  if (SSL_CTX_load_verify_locations(ctx.get(), tls.ca.c_str(), nullptr) != 1)
    return "--tls-ca " + tls.ca + ": not a PEM CA certificate that can be read (" + ssl_errors() + ")";
  // Our own certificate must pass the check every peer makes, or every connection fails.
  X509* own = SSL_CTX_get0_certificate(ctx.get());
  std::unique_ptr<X509_STORE_CTX, void (*)(X509_STORE_CTX*)> check(X509_STORE_CTX_new(), X509_STORE_CTX_free);
  if (own && check && X509_STORE_CTX_init(check.get(), SSL_CTX_get_cert_store(ctx.get()), own, nullptr) == 1 &&
      X509_verify_cert(check.get()) != 1)
    return "--tls-cert " + tls.cert + " is not signed by --tls-ca " + tls.ca + " (" +
           X509_verify_cert_error_string(X509_STORE_CTX_get_error(check.get())) + ")";
  ERR_clear_error();
  return std::nullopt;
}

void configure_remoting(caf::actor_system_config& cfg, const tls_files& tls) {
  cfg.load<caf::io::middleman>();
  if (tls.enabled()) {
    cfg.openssl_certificate = tls.cert;
    cfg.openssl_key = tls.key;
    cfg.openssl_cafile = tls.ca;
    cfg.load<caf::openssl::manager>();
  }
  // A peer that stops talking (a machine gone without closing its connections) is dropped
  // after the connection timeout; heartbeats keep a quiet but live connection up.
  cfg.set("middleman.heartbeat-interval", caf::timespan{std::chrono::milliseconds(500)});
  cfg.set("middleman.connection-timeout", caf::timespan{std::chrono::seconds(10)});
  cfg.set("middleman.app-identifiers", std::vector<std::string>{"gremlin-actors/" GREMLINS_VERSION});
}

std::string host_port::text() const {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<host_port> parse_host_port(const std::string& s, std::string& why, bool allow_zero) {
  host_port out;
  std::string port;
  if (!s.empty() && s[0] == '[') {
    auto close = s.find(']');
    if (close == std::string::npos || close + 1 >= s.size() || s[close + 1] != ':') {
      why = "'" + s + "' is not HOST:PORT";
      return std::nullopt;
    }
    out.host = s.substr(1, close - 1);
    port = s.substr(close + 2);
  } else {
    auto colon = s.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      why = "'" + s + "' is not HOST:PORT";
      return std::nullopt;
    }
    out.host = s.substr(0, colon);
    port = s.substr(colon + 1);
  }
  if (out.host.empty() || port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) > 65535 ||
      (!allow_zero && std::stoul(port) == 0)) {
    why = "'" + s + "': the port must be a number from " + std::string(allow_zero ? "0" : "1") + " to 65535";
    return std::nullopt;
  }
  out.port = static_cast<std::uint16_t>(std::stoul(port));
  return out;
}

bool is_loopback_host(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

caf::expected<node_actor> connect_node(caf::actor_system& sys, const host_port& where, bool tls,
                                       std::chrono::milliseconds limit) {
  caf::io::middleman_actor mm =
      tls ? sys.openssl_manager().actor_handle() : sys.middleman().actor_handle();
  caf::expected<node_actor> out{caf::sec::cannot_connect_to_node};
  caf::scoped_actor self{sys};
  self->request(mm, limit, caf::connect_atom::value, where.host, where.port)
    .receive(
      [&](const caf::node_id&, caf::strong_actor_ptr& ptr, const std::set<std::string>& ifs) {
        if (!ptr)
          out = caf::make_error(caf::sec::no_actor_published_at_port);
        else if (!sys.assignable(ifs, sys.message_types<node_actor>()))
          out = caf::make_error(caf::sec::unexpected_actor_messaging_interface);
        else
          out = caf::actor_cast<node_actor>(std::move(ptr));
      },
      [&](caf::error& err) { out = std::move(err); });
  return out;
}

}  // namespace gremlins
