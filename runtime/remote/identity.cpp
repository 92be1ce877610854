#include "runtime/remote/identity.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace gremlins {

namespace {

// SHA-256 fed piece by piece (a million gremlins are never one string).
class sha256 {
public:
  sha256() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1)
      throw std::runtime_error("SHA-256 is not available");
  }
  void update(const char* data, std::size_t n) { EVP_DigestUpdate(ctx_.get(), data, n); }
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx_.get(), md, &len) != 1) throw std::runtime_error("SHA-256 failed");
    static const char* digits = "0123456789abcdef";
    std::string out;
    out.reserve(2 * len);
    for (unsigned int i = 0; i < len; ++i) {
      out += digits[md[i] >> 4];
      out += digits[md[i] & 15];
    }
    return out;
  }

private:
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
};

// An unambiguous encoding: every field is its length, a colon, its bytes.
void put(sha256& out, const std::string& s) {
  auto n = std::to_string(s.size()) + ":";
  out.update(n.data(), n.size());
  out.update(s.data(), s.size());
}

// A word of the checkout's own folders becomes a placeholder: the same command in another
// checkout is the same command.
std::string placed(const std::string& word, const command_spec& cmd) {
  std::string w = word;
  auto replace_all = [&](const std::string& from, const std::string& to) {
    if (from.empty() || from == "/") return;
    for (auto at = w.find(from); at != std::string::npos; at = w.find(from, at + to.size()))
      w.replace(at, from.size(), to);
  };
  // The longer path first: the instrumented dir usually lies inside the rootdir.
  if (cmd.instrumented_dir.size() >= cmd.rootdir.size()) {
    replace_all(cmd.instrumented_dir, "<instrumented>");
    replace_all(cmd.rootdir, "<rootdir>");
  } else {
    replace_all(cmd.rootdir, "<rootdir>");
    replace_all(cmd.instrumented_dir, "<instrumented>");
  }
  return w;
}

std::string quoted(const std::string& w) {
  if (!w.empty() && w.find_first_of(" \t\n'\"\\$`") == std::string::npos) return w;
  std::string out = "'";
  for (char c : w) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string words_text(const std::vector<std::string>& ws, const command_spec& cmd) {
  std::string out;
  for (const auto& w : ws) out += (out.empty() ? "" : " ") + quoted(placed(w, cmd));
  return out;
}

// Adds a file's content to the digest input, or a marker when it cannot be read. The checkout's
// own folders inside it are placeholders too (an instrumented copy may name where it lives).
void put_file(sha256& out, const std::string& name, const fs::path& path, const command_spec& cmd) {
  put(out, name);
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    put(out, "<missing>");
    return;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    put(out, "<unreadable>");
    return;
  }
  std::ostringstream text;
  text << in.rdbuf();
  put(out, sha256_hex(placed(text.str(), cmd)));
}

bool safe_relative(const fs::path& p) {
  if (p.empty() || p.is_absolute()) return false;
  for (const auto& part : p)
    if (part == "..") return false;
  return true;
}

bool cache_dir(const fs::path& p) {
  auto n = p.filename().string();
  return n == "__pycache__" || n == ".pytest_cache" || n == ".mypy_cache" || n == ".git";
}

}  // namespace

std::string sha256_hex(const std::string& data) {
  sha256 h;
  h.update(data.data(), data.size());
  return h.hex();
}

std::string command_text(const command_spec& cmd) {
  std::string out = "test command: " + (cmd.argv.empty() ? "(none)" : words_text(cmd.argv, cmd));
  out += "; worker command: " + (cmd.worker_argv.empty() ? "(none)" : words_text(cmd.worker_argv, cmd));
  if (!cmd.env.empty()) {
    out += "; env:";
    for (const auto& [k, v] : cmd.env) out += " " + quoted(k + "=" + placed(v, cmd));
  }
  out += "; error exit codes:";
  for (std::size_t i = 0; i < cmd.error_exit_codes.size(); ++i)
    out += (i == 0 ? " " : ",") + std::to_string(cmd.error_exit_codes[i]);
  if (cmd.signal_is_error) out += "; a signal is an error";
  if (!cmd.instrumented_dir.empty()) out += "; instrumented dir";
  return out;
}

std::string command_digest(const command_spec& cmd) {
  sha256 in;
  put(in, "gremlin-actors command 1");
  put(in, std::to_string(cmd.argv.size()));
  for (const auto& w : cmd.argv) put(in, placed(w, cmd));
  put(in, std::to_string(cmd.worker_argv.size()));
  for (const auto& w : cmd.worker_argv) put(in, placed(w, cmd));
  put(in, std::to_string(cmd.env.size()));
  for (const auto& [k, v] : cmd.env) {
    put(in, k);
    put(in, placed(v, cmd));
  }
  put(in, std::to_string(cmd.error_exit_codes.size()));
  for (auto c : cmd.error_exit_codes) put(in, std::to_string(c));
  put(in, cmd.signal_is_error ? "signal-is-error" : "signal-is-zapped");
  put(in, cmd.instrumented_dir.empty() ? "no-instrumented-dir" : "instrumented-dir");
  return in.hex();
}

std::vector<std::string> source_files(const std::vector<gremlin>& gremlins, const std::string& rootdir) {
  std::set<std::string> files;
  fs::path root = rootdir.empty() ? fs::path(".") : fs::path(rootdir);
  for (const auto& g : gremlins) {
    if (g.file.empty()) continue;
    fs::path p(g.file);
    if (p.is_absolute()) {
      auto rel = p.lexically_normal().lexically_relative(root.lexically_normal());
      if (rel.empty()) continue;
      p = rel;
    }
    p = p.lexically_normal();
    if (!safe_relative(p)) continue;
    files.insert(p.generic_string());
  }
  return {files.begin(), files.end()};
}

std::string sources_digest(const command_spec& cmd, const std::vector<std::string>& files) {
  sha256 in;
  put(in, "gremlin-actors sources 1");
  fs::path root = cmd.rootdir.empty() ? fs::path(".") : fs::path(cmd.rootdir);
  put(in, std::to_string(files.size()));
  for (const auto& f : files) {
    fs::path p = fs::path(f).lexically_normal();
    if (!safe_relative(p)) {
      put(in, f);
      put(in, "<refused>");
      continue;
    }
    put_file(in, p.generic_string(), root / p, cmd);
  }
  if (!cmd.instrumented_dir.empty()) {
    std::vector<std::string> names;
    std::error_code ec;
    fs::path dir = cmd.instrumented_dir;
    for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_directory(ec) && cache_dir(it->path())) {
        it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file(ec) && it->path().extension() != ".pyc")
        names.push_back(it->path().lexically_relative(dir).generic_string());
    }
    std::sort(names.begin(), names.end());
    put(in, "instrumented");
    put(in, std::to_string(names.size()));
    for (const auto& n : names) put_file(in, n, dir / n, cmd);
  }
  return in.hex();
}

std::string gremlin_list_digest(const std::vector<gremlin>& gremlins) {
  std::vector<const gremlin*> sorted;
  sorted.reserve(gremlins.size());
  for (const auto& g : gremlins) sorted.push_back(&g);
  std::sort(sorted.begin(), sorted.end(), [](const gremlin* a, const gremlin* b) { return a->id < b->id; });
  sha256 in;
  put(in, "gremlin-actors gremlins 1");
  put(in, std::to_string(sorted.size()));
  for (const auto* g : sorted) {
    put(in, g->id);
    put(in, g->file);
    for (auto n : {g->line, g->column, g->end_line, g->end_column}) put(in, std::to_string(n));
    put(in, g->operator_name);
    put(in, g->description);
    put(in, g->original);
    put(in, g->replacement);
    put(in, g->has_tests ? std::to_string(g->tests.size()) : "-");
    for (const auto& t : g->tests) put(in, t);
    put(in, g->is_static ? "static" : "-");
  }
  return in.hex();
}

}  // namespace gremlins
