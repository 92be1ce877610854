#pragma once
// The results store: one SQLite file (normally .gremlins/results.db) that keeps every verdict
// as it arrives, with the fingerprint of what the verdict depends on. A run that was
// interrupted resumes from it; a later run reuses the verdicts whose fingerprint did not
// change (docs/results-store.md).
//
// Writes go to a thread of the store's own (a queue), so no actor thread waits for the disk;
// each result is its own transaction in WAL mode, so a run killed with SIGKILL loses at most
// the results still in the queue.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "messages/worker_result.hpp"
#include "runtime/rules/reuse.hpp"

namespace gremlins {

/// A store that cannot be used: written by a newer version, or not a file. Names the file.
class store_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The store's schema version; a file with a higher one is refused.
constexpr int results_store_schema = 1;

class results_store {
 public:
  /// Opens `path`, creating it (and its schema) when missing. A file of a newer schema is
  /// refused (store_error); a corrupt file is moved aside to `path.corrupt-N` and a new store
  /// is made, and `notice` says so.
  results_store(const std::string& path, std::string* notice = nullptr);
  ~results_store();  ///< writes what is queued, then closes
  results_store(const results_store&) = delete;
  results_store& operator=(const results_store&) = delete;

  /// Every stored verdict, by gremlin id.
  std::map<std::string, stored_verdict> load() const;
  /// Queues `r` (replacing what the store holds for its gremlin); written on the store's thread.
  void record(const worker_result& r, const std::string& fingerprint);
  /// Removes every stored verdict (a forced full run starts from nothing).
  void clear();
  /// Waits until everything queued is written.
  void flush();
  const std::string& path() const { return path_; }

 private:
  struct db;
  void writer_loop();

  std::string path_;
  std::unique_ptr<db> db_;
  mutable std::mutex mx_;
  std::condition_variable wake_, drained_;
  std::deque<stored_verdict> queue_;
  bool writing_ = false;
  bool stopping_ = false;
  std::string write_error_;
  std::thread writer_;
};

}  // namespace gremlins
