// UTF-8 rules (runtime/rules/utf8): what is well-formed, and the U+FFFD replacement of the rest,
// as Python's bytes.decode("utf-8", "replace") does it (the W3C / Unicode "best practice").
#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "runtime/rules/utf8.hpp"

using namespace gremlins;

namespace {
const std::string R = "\xEF\xBF\xBD";  // U+FFFD
}

TEST_CASE("utf8: well-formed text is valid, up to U+10FFFF", "[utf8]") {
  for (const char* s : {"", "plain ascii", "caf\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9D\x84\x9E",
                        "\xF4\x8F\xBF\xBF",  // U+10FFFF, the last code point
                        "\xED\x9F\xBF",      // U+D7FF, just below the surrogates
                        "\xEE\x80\x80",      // U+E000, just above them
                        "\xC2\x80", "\xDF\xBF", "\xE0\xA0\x80", "\xF0\x90\x80\x80"}) {
    INFO(s);
    CHECK(is_valid_utf8(s));
    CHECK(sanitize_utf8(s) == s);
  }
  std::string with_nul("a\0b", 3);
  CHECK(is_valid_utf8(with_nul));
  CHECK(sanitize_utf8(with_nul) == with_nul);
}

TEST_CASE("utf8: stray, truncated, overlong, surrogate and out-of-range sequences are invalid",
          "[utf8]") {
  for (const char* s : {"\xFF", "\x80", "a\xBF", "\xC0\xAF", "\xC1\xBF",  // stray, overlong '/'
                        "\xE0\x80\xAF", "\xE0\x9F\xBF",                   // overlong 3-byte
                        "\xF0\x80\x80\xAF", "\xF0\x8F\xBF\xBF",           // overlong 4-byte
                        "\xED\xA0\x80", "\xED\xBF\xBF",                   // surrogates
                        "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xF8\x88\x80\x80\x80",
                        "\xC3", "\xE2\x82", "\xF0\x9F\x98", "\xE2\x82x"}) {
    INFO(s);
    CHECK_FALSE(is_valid_utf8(s));
    CHECK(is_valid_utf8(sanitize_utf8(s)));
  }
  CHECK(first_invalid_utf8("ok\xFFno") == 2);
  CHECK(first_invalid_utf8("ok") == 2);
}

TEST_CASE("utf8: sanitize replaces each bad sequence by one U+FFFD and keeps the rest", "[utf8]") {
  CHECK(sanitize_utf8("a\xFF" "b") == "a" + R + "b");
  CHECK(sanitize_utf8("\xC0\xAF") == R + R);              // overlong: each byte
  CHECK(sanitize_utf8("\xED\xA0\x80") == R + R + R);      // a surrogate: each byte
  CHECK(sanitize_utf8("\xF4\x90\x80\x80") == R + R + R + R);
  CHECK(sanitize_utf8("\xE2\x82x") == R + "x");           // a truncated sequence: one
  CHECK(sanitize_utf8("\xF0\x9F\x98") == R);
  CHECK(sanitize_utf8("caf\xE9 au lait") == "caf" + R + " au lait");  // Latin-1
  CHECK(sanitize_utf8("\xC3\xA9\xFF\xC3\xA9") == "\xC3\xA9" + R + "\xC3\xA9");
  std::string nul("\xFF\0", 2);
  CHECK(sanitize_utf8(nul) == R + std::string("\0", 1));
}

TEST_CASE("utf8: sanitize always yields valid UTF-8 and is idempotent", "[utf8]") {
  std::mt19937 rng(7);
  for (int n = 0; n < 20000; ++n) {
    std::string s;
    for (int i = static_cast<int>(rng() % 12); i > 0; --i) s += static_cast<char>(rng() % 256);
    std::string once = sanitize_utf8(s);
    INFO(n);
    REQUIRE(is_valid_utf8(once));
    REQUIRE(sanitize_utf8(once) == once);
    if (is_valid_utf8(s)) REQUIRE(once == s);
  }
}

TEST_CASE("utf8: cuts between characters", "[utf8]") {
  std::string s = "a\xC3\xA9\xE2\x82\xAC" "b";  // a é € b: bytes 0 | 1 2 | 3 4 5 | 6
  CHECK(utf8_ceil(s, 0) == 0);
  CHECK(utf8_ceil(s, 2) == 3);
  CHECK(utf8_ceil(s, 4) == 6);
  CHECK(utf8_ceil(s, 7) == 7);
  CHECK(utf8_floor(s, 2) == 1);
  CHECK(utf8_floor(s, 5) == 3);
  CHECK(utf8_floor(s, 6) == 6);
  CHECK(utf8_floor(s, 100) == s.size());
  CHECK(is_valid_utf8(s.substr(utf8_ceil(s, 4))));
  CHECK(is_valid_utf8(s.substr(0, utf8_floor(s, 5))));
}
