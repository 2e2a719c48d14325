#include "store/run_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string_view>
#include <system_error>
#include <thread>

#include "os/unique_fd.h"

namespace weft::store {
namespace {

using engine::HandlerKind;
using engine::RunRef;
using engine::Status;

// Migration i takes the schema from version i to i + 1. Later waves append; never edit one
// that has shipped, databases in the field have already run it.
constexpr std::array<std::string_view, RunStore::kSchemaVersion> kMigrations = {
    R"sql(
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  dag_name TEXT NOT NULL,
  run_id TEXT NOT NULL,
  dag_file TEXT NOT NULL,
  run_dir TEXT NOT NULL,
  status TEXT NOT NULL,           -- engine::ToString(Status)
  started_at INTEGER NOT NULL,    -- unix ns; 0 = not started
  finished_at INTEGER NOT NULL,   -- unix ns; 0 = not finished
  params TEXT NOT NULL,           -- JSON object
  parent_name TEXT,               -- NULL for a root run
  parent_run_id TEXT,
  parent_step TEXT NOT NULL,      -- '' = unknown or root run
  root_name TEXT,                 -- NULL for a root run
  root_run_id TEXT,
  trace_id TEXT NOT NULL,         -- '' = none
  error TEXT NOT NULL,
  exit_code INTEGER,              -- of `weft start`; NULL until it exits
  pid INTEGER NOT NULL,           -- the weft process running the run
  pid_start_time INTEGER NOT NULL,  -- its start time, /proc/<pid>/stat field 22
  attempt INTEGER NOT NULL,
  spans_exported INTEGER NOT NULL,
  spans_retried INTEGER NOT NULL,
  spans_spooled INTEGER NOT NULL,
  spans_dropped INTEGER NOT NULL,
  UNIQUE (dag_name, run_id)
);
CREATE INDEX runs_by_start ON runs (started_at, id);
CREATE INDEX runs_by_dag ON runs (dag_name, started_at, id);
CREATE INDEX runs_by_parent ON runs (parent_name, parent_run_id);
CREATE INDEX runs_running ON runs (status) WHERE status = 'running';
CREATE TABLE steps (
  run INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  name TEXT NOT NULL,
  handler TEXT NOT NULL,          -- '' for DAG steps, else init|success|failure|abort|exit
  status TEXT NOT NULL,
  exit_code INTEGER NOT NULL,     -- -1 = no process exited
  started_at INTEGER NOT NULL,
  finished_at INTEGER NOT NULL,
  retry_count INTEGER NOT NULL,
  error TEXT NOT NULL,
  stdout_file TEXT NOT NULL,
  stderr_file TEXT NOT NULL,
  pid INTEGER NOT NULL,
  PRIMARY KEY (run, idx)
) WITHOUT ROWID;
CREATE TABLE outputs (
  run INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run, position)
) WITHOUT ROWID;
)sql",
};

constexpr std::string_view kRunColumns =
    "dag_name, run_id, dag_file, run_dir, status, started_at, finished_at, params, parent_name, "
    "parent_run_id, parent_step, root_name, root_run_id, trace_id, error, exit_code, pid, "
    "pid_start_time, attempt, spans_exported, spans_retried, spans_spooled, spans_dropped";

constexpr std::string_view kStepColumns =
    "idx, name, handler, status, exit_code, started_at, finished_at, retry_count, error, "
    "stdout_file, stderr_file, pid";

constexpr std::string_view kRowIdOfRef =
    "(SELECT id FROM runs WHERE dag_name = ?1 AND run_id = ?2)";

constexpr std::array<std::pair<HandlerKind, std::string_view>, 6> kHandlerNames = {{
    {HandlerKind::kNone, ""},
    {HandlerKind::kInit, "init"},
    {HandlerKind::kSuccess, "success"},
    {HandlerKind::kFailure, "failure"},
    {HandlerKind::kAbort, "abort"},
    {HandlerKind::kExit, "exit"},
}};

std::string_view HandlerName(HandlerKind kind) {
  for (const auto& [k, name] : kHandlerNames) {
    if (k == kind) return name;
  }
  return "";
}

// Creates `home` (0700) and `home`/weft.db (0600) when missing, makes an existing weft.db
// 0600, and returns the file's path.
// SQLite creates the -wal and -shm files with the mode of the database file, so creating the
// database ourselves is what keeps all three private.
std::string PrepareDatabaseFile(const std::filesystem::path& home) {
  std::error_code error;
  if (home.has_parent_path()) std::filesystem::create_directories(home.parent_path(), error);
  if (error) {
    throw StoreError(fmt::format("cannot create {}: {}; set WEFT_HOME to a writable directory",
                                 home.parent_path().string(), error.message()));
  }
  if (::mkdir(home.c_str(), 0700) != 0 && errno != EEXIST) {
    throw StoreError(
        fmt::format("cannot create weft home {}: {}; set WEFT_HOME to a writable "
                    "directory",
                    home.string(), std::strerror(errno)));
  }
  if (!std::filesystem::is_directory(home, error)) {
    throw StoreError(fmt::format("weft home {} is not a directory; set WEFT_HOME to a directory",
                                 home.string()));
  }
  const std::string path = (home / "weft.db").string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw StoreError(fmt::format("cannot open run store {}: {}; check its permissions", path,
                                 std::strerror(errno)));
  }
  // A file made by an older weft or by hand may be readable by others; it holds run history.
  // Failing to change it (not its owner) leaves it as it is, like any file weft did not make.
  ::fchmod(fd, 0600);
  ::close(fd);
  return path;
}

// Takes an exclusive flock on `home`/weft.lock (0600), held until the returned descriptor
// closes. It serializes the set-up of a connection (the switch to WAL and the schema migration)
// between processes: two connections switching a new file to WAL at once make SQLite answer
// SQLITE_BUSY at once instead of calling the busy handler (waiting could deadlock them), so the
// busy timeout alone cannot cover stores opened at the same moment. A file of its own, opened
// for writing: flock on NFS is a byte-range lock, which wants both, and must not meet SQLite's
// own locks on weft.db. Waits at most `timeout` (a stopped weft may hold it), polling: a
// blocking flock cannot be given a deadline. Where the file system has no locks at all, the
// set-up goes on unlocked, as it did before the lock existed.
os::UniqueFd LockHomeForSetUp(const std::filesystem::path& home,
                              std::chrono::milliseconds timeout) {
  const std::string path = (home / "weft.lock").string();
  os::UniqueFd lock(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock.valid()) {
    const int error = errno;
    throw StoreError(fmt::format("cannot open {}: {}; check the permissions of the weft home", path,
                                 std::strerror(error)));
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::microseconds(200);
  while (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    if (error == ENOLCK || error == EOPNOTSUPP || error == ENOSYS) return os::UniqueFd();
    if (error != EWOULDBLOCK && error != EINTR) {
      throw StoreError(
          fmt::format("cannot lock {}: {}; set WEFT_HOME to a directory on a "
                      "local disk",
                      path, std::strerror(error)));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      throw StoreError(
          fmt::format("{} is still locked after {} ms: another weft is opening the "
                      "run store and does not finish (stopped?); resume or end it",
                      path, timeout.count()));
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(20'000));
  }
  return lock;
}

Status ReadStatus(const Database& db, const std::string& text) {
  if (const auto status = engine::ParseStatus(text)) return *status;
  throw StoreError(
      fmt::format("run store {}: unknown status \"{}\"; it was written by a newer "
                  "weft, upgrade this one",
                  db.path(), text));
}

HandlerKind ReadHandler(const Database& db, const std::string& text) {
  for (const auto& [kind, name] : kHandlerNames) {
    if (name == text) return kind;
  }
  throw StoreError(
      fmt::format("run store {}: unknown handler kind \"{}\"; it was written by a "
                  "newer weft, upgrade this one",
                  db.path(), text));
}

std::optional<RunRef> ReadRef(const Statement& row, int name_column) {
  auto name = row.OptionalText(name_column);
  auto run_id = row.OptionalText(name_column + 1);
  if (!name || !run_id) return std::nullopt;
  return RunRef{std::move(*name), std::move(*run_id)};
}

RunRecord ReadRun(const Database& db, const Statement& row) {
  RunRecord run;
  run.dag_name = row.Text(0);
  run.run_id = row.Text(1);
  run.dag_file = row.Text(2);
  run.run_dir = row.Text(3);
  run.status = ReadStatus(db, row.Text(4));
  run.started_at_ns = row.Int(5);
  run.finished_at_ns = row.Int(6);
  run.params_json = row.Text(7);
  run.parent = ReadRef(row, 8);
  run.parent_step = row.Text(10);
  run.root = ReadRef(row, 11);
  run.trace_id = row.Text(13);
  run.error = row.Text(14);
  if (const auto code = row.OptionalInt(15)) run.exit_code = static_cast<int>(*code);
  run.process = {static_cast<pid_t>(row.Int(16)), row.Int(17)};
  run.attempt = static_cast<int>(row.Int(18));
  run.spans = {row.Int(19), row.Int(20), row.Int(21), row.Int(22)};
  return run;
}

StepRecord ReadStep(const Database& db, const Statement& row) {
  StepRecord step;
  step.index = static_cast<int>(row.Int(0));
  step.name = row.Text(1);
  step.handler = ReadHandler(db, row.Text(2));
  step.status = ReadStatus(db, row.Text(3));
  step.exit_code = static_cast<int>(row.Int(4));
  step.started_at_ns = row.Int(5);
  step.finished_at_ns = row.Int(6);
  step.retry_count = static_cast<int>(row.Int(7));
  step.error = row.Text(8);
  step.stdout_file = row.Text(9);
  step.stderr_file = row.Text(10);
  step.pid = static_cast<int>(row.Int(11));
  return step;
}

// The params as stored: a JSON object, "{}" when none were given.
std::string CheckedParams(const Database& db, const RunRecord& run) {
  if (run.params_json.empty()) return "{}";
  const auto params = nlohmann::json::parse(run.params_json, nullptr, /*allow_exceptions=*/false);
  if (!params.is_object()) {
    throw StoreError(fmt::format("run store {}: params of run {} {} are not a JSON object: {}",
                                 db.path(), run.dag_name, run.run_id, run.params_json));
  }
  return run.params_json;
}

std::optional<std::string> RefName(const std::optional<RunRef>& ref) {
  if (!ref) return std::nullopt;
  return ref->name;
}

std::optional<std::string> RefRunId(const std::optional<RunRef>& ref) {
  if (!ref) return std::nullopt;
  return ref->run_id;
}

}  // namespace

// Every statement the store runs, prepared once when the store opens.
struct RunStore::Statements {
  explicit Statements(Database& db)
      : upsert_run(db, fmt::format(R"sql(
INSERT INTO runs ({})
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
        0, 0, 0, 0)
ON CONFLICT (dag_name, run_id) DO UPDATE SET
  dag_file = excluded.dag_file, run_dir = excluded.run_dir, status = excluded.status,
  started_at = excluded.started_at, finished_at = excluded.finished_at, params = excluded.params,
  parent_name = excluded.parent_name, parent_run_id = excluded.parent_run_id,
  parent_step = excluded.parent_step, root_name = excluded.root_name,
  root_run_id = excluded.root_run_id, trace_id = excluded.trace_id, error = excluded.error,
  exit_code = excluded.exit_code, pid = excluded.pid, pid_start_time = excluded.pid_start_time,
  attempt = CASE WHEN ?20 THEN runs.attempt + 1 ELSE excluded.attempt END,
  spans_exported = CASE WHEN ?20 THEN 0 ELSE runs.spans_exported END,
  spans_retried = CASE WHEN ?20 THEN 0 ELSE runs.spans_retried END,
  spans_spooled = CASE WHEN ?20 THEN 0 ELSE runs.spans_spooled END,
  spans_dropped = CASE WHEN ?20 THEN 0 ELSE runs.spans_dropped END
RETURNING id, attempt)sql",
                                   kRunColumns)),
        row_id(db, fmt::format("SELECT {}", kRowIdOfRef)),
        delete_steps(db, "DELETE FROM steps WHERE run = ?1"),
        delete_outputs(db, "DELETE FROM outputs WHERE run = ?1"),
        upsert_step(db, fmt::format(R"sql(
INSERT INTO steps (run, {})
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
ON CONFLICT (run, idx) DO UPDATE SET
  name = excluded.name, handler = excluded.handler, status = excluded.status,
  exit_code = excluded.exit_code, started_at = excluded.started_at,
  finished_at = excluded.finished_at, retry_count = excluded.retry_count, error = excluded.error,
  stdout_file = excluded.stdout_file, stderr_file = excluded.stderr_file, pid = excluded.pid)sql",
                                    kStepColumns)),
        insert_output(db,
                      "INSERT INTO outputs (run, position, name, value) VALUES (?1, ?2, ?3, ?4)"),
        finish_run(db,
                   "UPDATE runs SET status = ?2, finished_at = ?3, error = ?4, exit_code = ?5 "
                   "WHERE id = ?1"),
        set_span_counters(db,
                          "UPDATE runs SET spans_exported = ?3, spans_retried = ?4, "
                          "spans_spooled = ?5, spans_dropped = ?6 "
                          "WHERE dag_name = ?1 AND run_id = ?2"),
        running_runs(db, "SELECT id, pid, pid_start_time FROM runs WHERE status = 'running'"),
        // The run ends at its last sign of life: the latest time recorded for it or its steps.
        fail_run(db, R"sql(
UPDATE runs SET status = 'failed', error = ?4, exit_code = NULL,
  finished_at = max(started_at, (SELECT coalesce(max(max(started_at, finished_at)), 0)
                                 FROM steps WHERE run = runs.id))
WHERE id = ?1 AND status = 'running' AND pid = ?2 AND pid_start_time = ?3)sql"),
        fail_steps(db, R"sql(
UPDATE steps SET status = 'failed', error = ?2,
  finished_at = (SELECT finished_at FROM runs WHERE id = ?1)
WHERE run = ?1 AND status = 'running')sql"),
        find_run(db, fmt::format("SELECT {} FROM runs WHERE dag_name = ?1 AND run_id = ?2",
                                 kRunColumns)),
        latest_run(db, fmt::format("SELECT {} FROM runs WHERE dag_name = ?1 "
                                   "ORDER BY started_at DESC, id DESC LIMIT 1",
                                   kRunColumns)),
        history(db,
                fmt::format("SELECT {} FROM runs "
                            "WHERE (?1 IS NULL OR dag_name = ?1) AND (?2 IS NULL OR status = ?2) "
                            "ORDER BY started_at DESC, id DESC LIMIT ?3",
                            kRunColumns)),
        steps(db, fmt::format("SELECT {} FROM steps WHERE run = {} ORDER BY idx", kStepColumns,
                              kRowIdOfRef)),
        children(db, fmt::format("SELECT {} FROM runs WHERE parent_name = ?1 AND "
                                 "parent_run_id = ?2 ORDER BY started_at, id",
                                 kRunColumns)),
        parent(db, fmt::format("SELECT {} FROM runs WHERE (dag_name, run_id) = "
                               "(SELECT parent_name, parent_run_id FROM runs "
                               "WHERE dag_name = ?1 AND run_id = ?2)",
                               kRunColumns)),
        outputs(db, fmt::format("SELECT name, value FROM outputs WHERE run = {} ORDER BY position",
                                kRowIdOfRef)) {}

  Statement upsert_run;
  Statement row_id;
  Statement delete_steps;
  Statement delete_outputs;
  Statement upsert_step;
  Statement insert_output;
  Statement finish_run;
  Statement set_span_counters;
  Statement running_runs;
  Statement fail_run;
  Statement fail_steps;
  Statement find_run;
  Statement latest_run;
  Statement history;
  Statement steps;
  Statement children;
  Statement parent;
  Statement outputs;
};

RunStore::RunStore(const std::filesystem::path& home) : RunStore(home, Options{}) {}

RunStore::RunStore(const std::filesystem::path& home, Options options)
    : db_(PrepareDatabaseFile(home)) {
  // The busy timeout comes first: every later statement, the switch to WAL included, may meet
  // another process opening the same file.
  sqlite3_busy_timeout(db_.handle(), static_cast<int>(options.busy_timeout.count()));
  const os::UniqueFd set_up_lock = LockHomeForSetUp(home, options.busy_timeout);
  {
    Statement journal_mode(db_, "PRAGMA journal_mode = WAL");
    StatementUse use(journal_mode);
    if (!use->Step() || use->Text(0) != "wal") {
      throw StoreError(
          fmt::format("run store {}: the file system does not support SQLite's WAL "
                      "mode; set WEFT_HOME to a directory on a local disk",
                      path()));
    }
  }
  db_.Execute("PRAGMA synchronous = NORMAL");
  db_.Execute("PRAGMA foreign_keys = ON");

  WriteTransaction transaction(db_);
  int version = 0;
  {
    Statement user_version(db_, "PRAGMA user_version");
    StatementUse use(user_version);
    if (use->Step()) version = static_cast<int>(use->Int(0));
  }
  if (version > kSchemaVersion) {
    throw StoreError(
        fmt::format("run store {} has schema version {}, newer than this weft "
                    "understands ({}); upgrade weft",
                    path(), version, kSchemaVersion));
  }
  for (int step = version; step < kSchemaVersion; ++step) db_.Execute(kMigrations[step]);
  if (version != kSchemaVersion) {
    db_.Execute(fmt::format("PRAGMA user_version = {}", kSchemaVersion));
  }
  transaction.Commit();
  statements_ = std::make_unique<Statements>(db_);
}

RunStore::~RunStore() = default;

std::int64_t RunStore::RowId(const RunRef& run) {
  StatementUse query(statements_->row_id);
  query->Bind(1, run.name);
  query->Bind(2, run.run_id);
  if (!query->Step() || !query->OptionalInt(0)) {
    throw StoreError(
        fmt::format("run store {}: run {} {} is not stored; it must be started "
                    "(StartRun) before it is updated",
                    path(), run.name, run.run_id));
  }
  return query->Int(0);
}

int RunStore::WriteRun(const RunRecord& run, const std::vector<StepRecord>& steps,
                       const Outputs& outputs, bool new_attempt) {
  const std::string params = CheckedParams(db_, run);
  WriteTransaction transaction(db_);
  std::int64_t row_id = 0;
  int attempt = 0;
  {
    StatementUse upsert(statements_->upsert_run);
    upsert->Bind(1, run.dag_name);
    upsert->Bind(2, run.run_id);
    upsert->Bind(3, run.dag_file);
    upsert->Bind(4, run.run_dir);
    upsert->Bind(5, engine::ToString(run.status));
    upsert->Bind(6, run.started_at_ns);
    upsert->Bind(7, run.finished_at_ns);
    upsert->Bind(8, params);
    upsert->BindOptional(9, RefName(run.parent));
    upsert->BindOptional(10, RefRunId(run.parent));
    upsert->Bind(11, run.parent_step);
    upsert->BindOptional(12, RefName(run.root));
    upsert->BindOptional(13, RefRunId(run.root));
    upsert->Bind(14, run.trace_id);
    upsert->Bind(15, run.error);
    upsert->BindOptional(
        16, run.exit_code ? std::optional<std::int64_t>(*run.exit_code) : std::nullopt);
    upsert->Bind(17, run.process.pid);
    upsert->Bind(18, run.process.start_time);
    upsert->Bind(19, new_attempt ? 1 : run.attempt);
    upsert->Bind(20, new_attempt ? 1 : 0);
    if (!upsert->Step()) db_.Fail("inserting a run returned no row id");
    row_id = upsert->Int(0);
    attempt = static_cast<int>(upsert->Int(1));
    while (upsert->Step()) {
    }
  }
  {
    StatementUse remove(statements_->delete_steps);
    remove->Bind(1, row_id);
    remove->Step();
  }
  for (const StepRecord& step : steps) InsertStep(row_id, step);
  ReplaceOutputs(row_id, outputs);
  transaction.Commit();
  return attempt;
}

void RunStore::InsertStep(std::int64_t row_id, const StepRecord& step) {
  StatementUse upsert(statements_->upsert_step);
  upsert->Bind(1, row_id);
  upsert->Bind(2, step.index);
  upsert->Bind(3, step.name);
  upsert->Bind(4, HandlerName(step.handler));
  upsert->Bind(5, engine::ToString(step.status));
  upsert->Bind(6, step.exit_code);
  upsert->Bind(7, step.started_at_ns);
  upsert->Bind(8, step.finished_at_ns);
  upsert->Bind(9, step.retry_count);
  upsert->Bind(10, step.error);
  upsert->Bind(11, step.stdout_file);
  upsert->Bind(12, step.stderr_file);
  upsert->Bind(13, step.pid);
  upsert->Step();
}

void RunStore::ReplaceOutputs(std::int64_t row_id, const Outputs& outputs) {
  {
    StatementUse remove(statements_->delete_outputs);
    remove->Bind(1, row_id);
    remove->Step();
  }
  for (std::size_t position = 0; position < outputs.size(); ++position) {
    StatementUse insert(statements_->insert_output);
    insert->Bind(1, row_id);
    insert->Bind(2, static_cast<std::int64_t>(position));
    insert->Bind(3, outputs[position].first);
    insert->Bind(4, outputs[position].second);
    insert->Step();
  }
}

int RunStore::StartRun(const RunRecord& run, const std::vector<StepRecord>& steps) {
  std::lock_guard lock(mutex_);
  return WriteRun(run, steps, {}, /*new_attempt=*/true);
}

void RunStore::SaveRun(const RunRecord& run, const std::vector<StepRecord>& steps,
                       const Outputs& outputs) {
  std::lock_guard lock(mutex_);
  WriteRun(run, steps, outputs, /*new_attempt=*/false);
}

void RunStore::SaveSteps(const RunRef& run, const std::vector<StepRecord>& steps) {
  std::lock_guard lock(mutex_);
  WriteTransaction transaction(db_);
  const std::int64_t row_id = RowId(run);  // throws when the run is not stored
  for (const StepRecord& step : steps) InsertStep(row_id, step);
  transaction.Commit();
}

void RunStore::FinishRun(const RunRecord& run, const Outputs& outputs) {
  std::lock_guard lock(mutex_);
  WriteTransaction transaction(db_);
  const std::int64_t row_id = RowId(run.ref());
  {
    StatementUse finish(statements_->finish_run);
    finish->Bind(1, row_id);
    finish->Bind(2, engine::ToString(run.status));
    finish->Bind(3, run.finished_at_ns);
    finish->Bind(4, run.error);
    finish->BindOptional(
        5, run.exit_code ? std::optional<std::int64_t>(*run.exit_code) : std::nullopt);
    finish->Step();
  }
  ReplaceOutputs(row_id, outputs);
  transaction.Commit();
}

void RunStore::SetSpanCounters(const RunRef& run, const SpanCounters& counters) {
  std::lock_guard lock(mutex_);
  StatementUse update(statements_->set_span_counters);
  update->Bind(1, run.name);
  update->Bind(2, run.run_id);
  update->Bind(3, counters.exported);
  update->Bind(4, counters.retried);
  update->Bind(5, counters.spooled);
  update->Bind(6, counters.dropped);
  update->Step();
  if (db_.Changes() == 0) RowId(run);  // throws: the run is not stored
}

void RunStore::RecoverDeadRuns() {
  std::vector<std::pair<std::int64_t, ProcessIdentity>> orphans;
  {
    StatementUse query(statements_->running_runs);
    while (query->Step()) {
      const ProcessIdentity process{static_cast<pid_t>(query->Int(1)), query->Int(2)};
      // pid 0: recorded by something that is not a weft process (nothing to watch).
      if (process.pid != 0 && !process.IsAlive()) orphans.emplace_back(query->Int(0), process);
    }
  }
  if (orphans.empty()) return;
  try {
    MarkFailed(orphans);
  } catch (const StoreError& error) {
    // A full disk or a read-only store must not stop `weft status` from showing what is
    // recorded: the runs stay `running` until a later read can write.
    spdlog::warn("cannot mark runs of ended weft processes failed yet: {}", error.what());
  }
}

void RunStore::MarkFailed(const std::vector<std::pair<std::int64_t, ProcessIdentity>>& orphans) {
  WriteTransaction transaction(db_);
  for (const auto& [row_id, process] : orphans) {
    const std::string reason =
        fmt::format("weft process {} ended without finishing the run", process.pid);
    {
      StatementUse fail(statements_->fail_run);
      fail->Bind(1, row_id);
      fail->Bind(2, process.pid);
      fail->Bind(3, process.start_time);
      fail->Bind(4, reason);
      fail->Step();
    }
    // No change: another reader recovered it first, or the run was restarted meanwhile.
    if (db_.Changes() == 0) continue;
    StatementUse fail_steps(statements_->fail_steps);
    fail_steps->Bind(1, row_id);
    fail_steps->Bind(2, reason);
    fail_steps->Step();
  }
  transaction.Commit();
}

std::vector<RunRecord> RunStore::ReadRuns(StatementUse& query) {
  std::vector<RunRecord> runs;
  while (query->Step()) runs.push_back(ReadRun(db_, *query));
  return runs;
}

std::optional<RunRecord> RunStore::FindRun(const RunRef& run) {
  std::lock_guard lock(mutex_);
  RecoverDeadRuns();
  StatementUse query(statements_->find_run);
  query->Bind(1, run.name);
  query->Bind(2, run.run_id);
  auto runs = ReadRuns(query);
  if (runs.empty()) return std::nullopt;
  return std::move(runs.front());
}

std::optional<RunRecord> RunStore::LatestRun(const std::string& dag_name) {
  std::lock_guard lock(mutex_);
  RecoverDeadRuns();
  StatementUse query(statements_->latest_run);
  query->Bind(1, dag_name);
  auto runs = ReadRuns(query);
  if (runs.empty()) return std::nullopt;
  return std::move(runs.front());
}

std::vector<RunRecord> RunStore::History(const HistoryQuery& query) {
  std::lock_guard lock(mutex_);
  RecoverDeadRuns();
  StatementUse history(statements_->history);
  history->BindOptional(1, query.dag_name);
  history->BindOptional(
      2, query.status ? std::optional<std::string>(engine::ToString(*query.status)) : std::nullopt);
  history->Bind(3, query.limit > 0 ? query.limit : -1);  // a negative LIMIT means none
  return ReadRuns(history);
}

std::vector<StepRecord> RunStore::Steps(const RunRef& run) {
  std::lock_guard lock(mutex_);
  RecoverDeadRuns();
  StatementUse query(statements_->steps);
  query->Bind(1, run.name);
  query->Bind(2, run.run_id);
  std::vector<StepRecord> steps;
  while (query->Step()) steps.push_back(ReadStep(db_, *query));
  return steps;
}

std::vector<RunRecord> RunStore::Children(const RunRef& run) {
  std::lock_guard lock(mutex_);
  RecoverDeadRuns();
  StatementUse query(statements_->children);
  query->Bind(1, run.name);
  query->Bind(2, run.run_id);
  return ReadRuns(query);
}

std::optional<RunRecord> RunStore::Parent(const RunRef& run) {
  std::lock_guard lock(mutex_);
  RecoverDeadRuns();
  StatementUse query(statements_->parent);
  query->Bind(1, run.name);
  query->Bind(2, run.run_id);
  auto runs = ReadRuns(query);
  if (runs.empty()) return std::nullopt;
  return std::move(runs.front());
}

Outputs RunStore::RunOutputs(const RunRef& run) {
  std::lock_guard lock(mutex_);
  StatementUse query(statements_->outputs);
  query->Bind(1, run.name);
  query->Bind(2, run.run_id);
  Outputs outputs;
  while (query->Step()) outputs.emplace_back(query->Text(0), query->Text(1));
  return outputs;
}

}  // namespace weft::store
