// Test worker for process_runner: echoes every request line back on the reply pipe
// (GREMLIN_REQUEST_FD -> GREMLIN_REPLY_FD) and exits 0 at end of file.
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>

static bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

int main() {
  const char* in_env = std::getenv("GREMLIN_REQUEST_FD");
  const char* out_env = std::getenv("GREMLIN_REPLY_FD");
  if (in_env == nullptr || out_env == nullptr) return 2;
  int in = std::atoi(in_env), out = std::atoi(out_env);
  std::string pending;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(in, buf, sizeof buf);
    if (n <= 0) break;
    pending.append(buf, static_cast<size_t>(n));
    // Echo every complete line of this read at once; keep the unfinished rest.
    size_t last_nl = pending.rfind('\n');
    if (last_nl == std::string::npos) continue;
    if (!write_all(out, pending.data(), last_nl + 1)) return 3;
    pending.erase(0, last_nl + 1);
  }
  return 0;
}
