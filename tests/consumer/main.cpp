// Embedding test: runs three gremlins through the installed library's facade and checks
// their verdicts and progress events. Exit 0 when everything is as expected.
#include <gremlins/runtime/runtime.hpp>

#include <atomic>
#include <cstdio>
#include <map>

using namespace gremlins;

int main() {
  pool_config cfg;
  cfg.max_workers = 2;
  cfg.adaptive_timeout = false;
  cfg.timeout_s = 30;
  command_spec cmd;
  cmd.argv = {"sh", "-c", "case \"$ACTIVE_GREMLIN\" in zap) exit 1;; err) exit 2;; esac; exit 0"};
  gremlin_runtime rt(cfg, cmd);
  auto base = rt.run_baseline();
  if (base.verdict != status::survived) {
    std::fprintf(stderr, "baseline: %s %s\n", to_string(base.verdict), base.error_output.c_str());
    return 1;
  }
  std::atomic<int> events{0};
  auto report = rt.run({gremlin{"zap"}, gremlin{"live"}, gremlin{"err"}},
                       [&](const progress&, const worker_result&) { ++events; });
  std::map<std::string, status> want{{"err", status::error}, {"live", status::survived}, {"zap", status::zapped}};
  int bad = 0;
  if (report.results.size() != want.size()) ++bad;
  for (const auto& r : report.results) {
    std::printf("%s: %s\n", r.gremlin_id.c_str(), to_string(r.verdict));
    if (want.count(r.gremlin_id) == 0 || want[r.gremlin_id] != r.verdict) ++bad;
  }
  if (report.results.size() == 3 && report.results.front().gremlin_id != "err") ++bad;  // sorted by id
  if (events != 3) {
    std::fprintf(stderr, "expected 3 progress events, got %d\n", events.load());
    ++bad;
  }
  std::printf("%s\n", bad == 0 ? "consumer: OK" : "consumer: FAILED");
  return bad == 0 ? 0 : 1;
}
