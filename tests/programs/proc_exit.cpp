// Test program for process_runner: prints its arguments after the first on stdout, then
// exits with the code given as the first argument.
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  for (int i = 2; i < argc; ++i) std::printf("%s\n", argv[i]);
  return argc > 1 ? std::atoi(argv[1]) : 0;
}
