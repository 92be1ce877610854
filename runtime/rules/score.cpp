#include "runtime/rules/score.hpp"

namespace gremlins {

summary summarize(const std::vector<worker_result>& results, double wall_ms) {
  summary s;
  s.wall_ms = wall_ms;
  for (const auto& r : results) {
    ++s.counts[static_cast<std::size_t>(r.verdict)];
    ++s.total;
  }
  auto detected = s.count(status::zapped) + s.count(status::timeout);
  auto scored = detected + s.count(status::survived) + s.count(status::no_coverage);
  s.score = scored == 0 ? 100.0 : 100.0 * detected / scored;
  return s;
}

}  // namespace gremlins
