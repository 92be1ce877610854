#include "runtime/rules/result_table.hpp"

#include <algorithm>

namespace gremlins {

result_table::result_table(std::uint32_t total)
    : total_(total), counts_(status_count, 0), started_(std::chrono::steady_clock::now()) {}

bool result_table::add_result(worker_result r) {
  auto id = r.gremlin_id;
  auto verdict = r.verdict;
  if (taken_ || !results_.emplace(std::move(id), std::move(r)).second) return false;
  ++completed_;
  ++counts_[static_cast<std::size_t>(verdict)];
  // More results than announced (ids outside the run) still count: total never lags.
  total_ = std::max(total_, completed());
  return true;
}

bool result_table::add_error(const std::string& gremlin_id, const std::string& message) {
  worker_result r;
  r.gremlin_id = gremlin_id;
  r.verdict = status::error;
  r.error_output = message;
  return add_result(std::move(r));
}

std::vector<worker_result> result_table::sorted_results() const {
  std::vector<worker_result> out;
  out.reserve(results_.size());
  for (const auto& kv : results_) out.push_back(kv.second);
  std::sort(out.begin(), out.end(),
            [](const worker_result& a, const worker_result& b) { return a.gremlin_id < b.gremlin_id; });
  return out;
}

std::vector<worker_result> result_table::take_sorted_results() {
  std::vector<worker_result> out;
  out.reserve(results_.size());
  for (auto& kv : results_) out.push_back(std::move(kv.second));
  results_.clear();
  taken_ = true;
  std::sort(out.begin(), out.end(),
            [](const worker_result& a, const worker_result& b) { return a.gremlin_id < b.gremlin_id; });
  return out;
}

progress result_table::snapshot() const {
  progress p;
  p.completed = completed();
  p.total = total_;
  p.counts = counts_;
  p.elapsed_ms =
    std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count();
  return p;
}

}  // namespace gremlins
