#include "runtime/formats/results_store.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>

#include <filesystem>

namespace gremlins {

namespace fs = std::filesystem;

struct results_store::db {
  explicit db(const std::string& path)
      : handle(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_FULLMUTEX) {}
  SQLite::Database handle;
};

namespace {

constexpr const char* schema_sql =
  "CREATE TABLE IF NOT EXISTS results ("
  "  gremlin_id TEXT PRIMARY KEY,"
  "  status TEXT NOT NULL,"
  "  killing_test TEXT NOT NULL,"
  "  execution_time_ms REAL NOT NULL,"
  "  error_output TEXT NOT NULL,"
  "  fingerprint TEXT NOT NULL)";

}  // namespace

results_store::results_store(const std::string& path, std::string* notice) : path_(path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw store_error(path + ": is a folder, not a results store");
  try {
    db_ = std::make_unique<db>(path);
    auto version = db_->handle.execAndGet("PRAGMA user_version").getInt();
    if (version > results_store_schema)
      throw store_error(path + ": written by a newer gremlin-actors (store schema " + std::to_string(version) +
                        "; this one reads up to " + std::to_string(results_store_schema) +
                        "): use that version, or remove the file to start afresh");
    auto check = db_->handle.execAndGet("PRAGMA quick_check").getString();
    if (check != "ok") throw SQLite::Exception("quick_check: " + check);
    db_->handle.exec("PRAGMA journal_mode=WAL");
    db_->handle.exec("PRAGMA synchronous=NORMAL");
    db_->handle.exec(schema_sql);
    db_->handle.exec("PRAGMA user_version=" + std::to_string(results_store_schema));
  } catch (const SQLite::Exception& e) {
    // Never trusted, never lost: the damaged file is kept beside a new one.
    db_.reset();
    std::string aside;
    for (int n = 1;; ++n) {
      aside = path + ".corrupt-" + std::to_string(n);
      if (!fs::exists(aside, ec)) break;
    }
    fs::rename(path, aside, ec);
    if (ec) throw store_error(path + ": is not a usable results store (" + e.what() + "), and it cannot be moved aside: " + ec.message());
    for (const char* suffix : {"-wal", "-shm"}) fs::remove(path + suffix, ec);
    if (notice) *notice = path + " was not a usable results store (" + e.what() + "); moved it to " + aside + " and started a new one";
    try {
      db_ = std::make_unique<db>(path);
      db_->handle.exec("PRAGMA journal_mode=WAL");
      db_->handle.exec("PRAGMA synchronous=NORMAL");
      db_->handle.exec(schema_sql);
      db_->handle.exec("PRAGMA user_version=" + std::to_string(results_store_schema));
    } catch (const SQLite::Exception& again) {
      throw store_error(path + ": cannot create a results store: " + again.what());
    }
  }
  writer_ = std::thread([this] { writer_loop(); });
}

results_store::~results_store() {
  {
    std::lock_guard<std::mutex> guard(mx_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (writer_.joinable()) writer_.join();
}

std::map<std::string, stored_verdict> results_store::load() const {
  std::map<std::string, stored_verdict> out;
  SQLite::Statement q(db_->handle,
                      "SELECT gremlin_id, status, killing_test, execution_time_ms, error_output, fingerprint FROM results");
  while (q.executeStep()) {
    stored_verdict s;
    s.result.gremlin_id = q.getColumn(0).getString();
    s.result.verdict = parse_status(q.getColumn(1).getString()).value_or(status::error);
    s.result.killing_test = q.getColumn(2).getString();
    s.result.execution_time_ms = q.getColumn(3).getDouble();
    s.result.error_output = q.getColumn(4).getString();
    s.fingerprint = q.getColumn(5).getString();
    auto id = s.result.gremlin_id;
    out.emplace(std::move(id), std::move(s));
  }
  return out;
}

void results_store::record(const worker_result& r, const std::string& fingerprint) {
  {
    std::lock_guard<std::mutex> guard(mx_);
    queue_.push_back(stored_verdict{r, fingerprint});
  }
  wake_.notify_one();
}

void results_store::clear() {
  flush();
  db_->handle.exec("DELETE FROM results");
}

void results_store::flush() {
  std::unique_lock<std::mutex> lock(mx_);
  drained_.wait(lock, [this] { return queue_.empty() && !writing_; });
}

void results_store::writer_loop() {
  SQLite::Statement insert(db_->handle,
                           "INSERT OR REPLACE INTO results (gremlin_id, status, killing_test, execution_time_ms,"
                           " error_output, fingerprint) VALUES (?, ?, ?, ?, ?, ?)");
  std::unique_lock<std::mutex> lock(mx_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() && stopping_) break;
    auto next = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    lock.unlock();
    try {
      // One transaction a result (autocommit): what was recorded survives a SIGKILL.
      insert.bind(1, next.result.gremlin_id);
      insert.bind(2, to_string(next.result.verdict));
      insert.bind(3, next.result.killing_test);
      insert.bind(4, next.result.execution_time_ms);
      insert.bind(5, next.result.error_output);
      insert.bind(6, next.fingerprint);
      insert.exec();
      insert.reset();
    } catch (const SQLite::Exception& e) {
      insert.reset();
      lock.lock();
      if (write_error_.empty()) write_error_ = e.what();
      lock.unlock();
    }
    lock.lock();
    writing_ = false;
    if (queue_.empty()) drained_.notify_all();
  }
  drained_.notify_all();
}

}  // namespace gremlins
