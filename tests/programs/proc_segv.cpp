// Test program for process_runner: dies by SIGSEGV (without writing a core file).
#include <csignal>
#include <sys/resource.h>

int main() {
  struct rlimit none = {0, 0};
  setrlimit(RLIMIT_CORE, &none);
  std::raise(SIGSEGV);
  return 0;
}
