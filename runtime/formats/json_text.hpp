#pragma once
// Strings on their way into a JSON document: nlohmann's dump() throws on invalid UTF-8, and a
// report must be written whatever a test printed or a manifest named. Used by the writers only.

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "runtime/rules/utf8.hpp"

namespace gremlins {

/// `text` as a JSON string can hold it: each ill-formed UTF-8 sequence becomes U+FFFD.
inline std::string json_text(std::string_view text) { return sanitize_utf8(text); }

/// Names that must stay distinct in a document (gremlin ids, file keys, test ids) and the same
/// wherever they are used: a valid name is itself; an invalid one is sanitized and, when that
/// collides with another name, gets "~2", "~3", ... so that a reader still sees one entry per
/// name. Every name is `add`ed first, so that valid names keep their spelling.
class json_names {
 public:
  void add(const std::string& raw) {
    if (is_valid_utf8(raw)) {
      // Only a valid name that holds U+FFFD can collide with a sanitized one (which always
      // holds one): the others need no memory here.
      if (raw.find(replacement) != std::string::npos) taken_.insert(raw);
    } else {
      pending_.insert(raw);
    }
  }
  /// The name of `raw` in the document (an unknown `raw` is added on the way); a valid `raw`
  /// is returned as it is.
  const std::string& operator()(const std::string& raw) {
    if (is_valid_utf8(raw)) return raw;
    settle();
    auto it = names_.find(raw);
    if (it != names_.end()) return it->second;
    add(raw);
    settle();
    return names_.at(raw);
  }

 private:
  static constexpr const char* replacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

  void settle() {
    for (const auto& raw : pending_) {
      if (names_.count(raw)) continue;
      std::string base = sanitize_utf8(raw);
      std::string name = base;
      for (int n = 2; taken_.count(name); ++n) name = base + "~" + std::to_string(n);
      taken_.insert(name);
      names_.emplace(raw, name);
    }
    pending_.clear();
  }

  std::map<std::string, std::string> names_;  // invalid raw -> name in the document
  std::set<std::string> taken_;               // names holding U+FFFD, valid or given out
  std::set<std::string> pending_;             // invalid raws, named by settle() in sorted order
};

}  // namespace gremlins
