#pragma once
// UTF-8 checks for text that comes from outside (test output, ids, file paths, sources): every
// JSON writer needs valid UTF-8, every reader of ids refuses anything else. Pure: no I/O.

#include <cstddef>
#include <string>
#include <string_view>

namespace gremlins {

/// The replacement character U+FFFD, encoded.
inline constexpr std::string_view utf8_replacement = "\xEF\xBF\xBD";

/// True when `text` is well-formed UTF-8 (RFC 3629): no stray continuation bytes, no truncated
/// sequences, no overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF.
bool is_valid_utf8(std::string_view text);

/// The offset of the first byte of the first ill-formed sequence, or `text.size()` when valid.
std::size_t first_invalid_utf8(std::string_view text);

/// `text` with each ill-formed sequence replaced by U+FFFD: the maximal subpart of a truncated
/// sequence becomes one U+FFFD, any other bad byte one U+FFFD each (the W3C/Unicode "best
/// practice", as Python's `errors="replace"`). Valid text is returned unchanged (fast path).
std::string sanitize_utf8(std::string_view text);

/// A cut at `pos` moved back (at most 3 bytes) so that it does not split a character: the largest
/// p <= pos where text[p] is not a continuation byte (or p == size). For keeping a head.
std::size_t utf8_floor(std::string_view text, std::size_t pos);

/// A cut at `pos` moved forward (at most 3 bytes) so that it does not split a character: the
/// smallest p >= pos where text[p] is not a continuation byte (or p == size). For keeping a tail.
std::size_t utf8_ceil(std::string_view text, std::size_t pos);

}  // namespace gremlins
