#include "runtime/rules/utf8.hpp"

namespace gremlins {

namespace {

// The length of the well-formed sequence at text[i], or 0 when it is ill-formed; `bad` is then
// how many bytes form the maximal subpart to replace by one U+FFFD (at least 1).
// Table 3-7 of the Unicode standard: the second byte's range depends on the first byte.
std::size_t sequence_at(std::string_view text, std::size_t i, std::size_t& bad) {
  auto b0 = static_cast<unsigned char>(text[i]);
  bad = 1;
  if (b0 < 0x80) return 1;
  std::size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;        // overlong below U+0800
    else if (b0 == 0xED) hi = 0x9F;   // surrogates U+D800..U+DFFF
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;        // overlong below U+10000
    else if (b0 == 0xF4) hi = 0x8F;   // above U+10FFFF
  } else {
    return 0;  // 0x80..0xC1 (continuation or overlong lead), 0xF5..0xFF
  }
  for (std::size_t k = 1; k < len; ++k) {
    if (i + k >= text.size()) { bad = k; return 0; }
    auto b = static_cast<unsigned char>(text[i + k]);
    bool ok = k == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
    if (!ok) { bad = k; return 0; }
  }
  return len;
}

}  // namespace

std::size_t first_invalid_utf8(std::string_view text) {
  std::size_t i = 0, bad = 0;
  while (i < text.size()) {
    // ASCII runs dominate test output: skip them a byte at a time without the table.
    if (static_cast<unsigned char>(text[i]) < 0x80) { ++i; continue; }
    std::size_t len = sequence_at(text, i, bad);
    if (len == 0) return i;
    i += len;
  }
  return text.size();
}

bool is_valid_utf8(std::string_view text) { return first_invalid_utf8(text) == text.size(); }

std::string sanitize_utf8(std::string_view text) {
  std::size_t i = first_invalid_utf8(text);
  if (i == text.size()) return std::string(text);
  std::string out;
  out.reserve(text.size() + 8);
  out.append(text.substr(0, i));
  while (i < text.size()) {
    std::size_t bad = 0;
    std::size_t len = sequence_at(text, i, bad);
    if (len > 0) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      out.append(utf8_replacement);
      i += bad;
    }
  }
  return out;
}

namespace {
bool continues(std::string_view text, std::size_t p) {
  return p < text.size() && (static_cast<unsigned char>(text[p]) & 0xC0) == 0x80;
}
}  // namespace

std::size_t utf8_floor(std::string_view text, std::size_t pos) {
  if (pos >= text.size()) return text.size();
  for (std::size_t p = pos, steps = 0; steps <= 3; --p, ++steps) {
    if (!continues(text, p)) return p;
    if (p == 0) break;
  }
  return pos;  // not a character boundary within reach: the text is not UTF-8 there anyway
}

std::size_t utf8_ceil(std::string_view text, std::size_t pos) {
  if (pos >= text.size()) return text.size();
  for (std::size_t p = pos; p <= pos + 3 && p <= text.size(); ++p)
    if (!continues(text, p)) return p;
  return pos;
}

}  // namespace gremlins
