#pragma once

// The run store: every run weft starts, its steps, outputs and span export counters, kept in
// $WEFT_HOME/weft.db (§7) so that `weft status`, `weft history` and nested runs in other
// processes can read them.
//
// Concurrency: many `weft start` processes write the same file at once. The database runs in
// WAL mode (readers never wait for writers), every write transaction takes the write lock up
// front (BEGIN IMMEDIATE) and waits up to the busy timeout for it, so a concurrent writer
// delays a write but never fails or corrupts it.
//
// Durability: synchronous=NORMAL in WAL mode. A committed write is in the WAL file before the
// call returns, so it survives the weft process dying at any point (SIGKILL, crash, OOM kill);
// a power loss or kernel crash can lose the last transactions committed before it, never the
// consistency of the file.
//
// Cost: every write touches only the rows it changes (the steps given, one run), whatever the
// number of steps, except StartRun and SaveRun which write the whole run once.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/run_info.h"
#include "engine/status.h"
#include "store/process_identity.h"
#include "store/sqlite.h"

namespace weft::store {

// Spans of a run as the export pipeline accounted for them (§5.5).
struct SpanCounters {
  std::int64_t exported = 0;
  std::int64_t retried = 0;
  std::int64_t spooled = 0;
  std::int64_t dropped = 0;

  bool operator==(const SpanCounters&) const = default;
};

struct RunRecord {
  std::string dag_name;
  std::string run_id;
  std::string dag_file;
  std::string run_dir;
  engine::Status status = engine::Status::kNotStarted;
  std::int64_t started_at_ns = 0;   // unix time; 0 = not started
  std::int64_t finished_at_ns = 0;  // 0 = not finished
  std::string params_json = "{}";   // always a JSON object
  std::optional<engine::RunRef> parent;
  std::string parent_step;  // the step of the parent run that started this one; "" = unknown
  std::optional<engine::RunRef> root;
  std::string trace_id;  // "" = none
  std::string error;
  std::optional<int> exit_code;  // of `weft start`; nullopt while it runs or when it died
  ProcessIdentity process;       // the weft process that runs (or ran) it
  int attempt = 1;               // 1, then one more each time the same run id is started again
  SpanCounters spans;

  engine::RunRef ref() const { return {dag_name, run_id}; }
};

struct StepRecord {
  int index = 0;  // DAG steps in file order, then handler steps in the order they ran
  std::string name;
  engine::HandlerKind handler = engine::HandlerKind::kNone;
  engine::Status status = engine::Status::kNotStarted;
  int exit_code = -1;  // -1 = no process exited
  std::int64_t started_at_ns = 0;
  std::int64_t finished_at_ns = 0;
  int retry_count = 0;
  std::string error;
  std::string stdout_file;
  std::string stderr_file;
  int pid = 0;
};

using Outputs = std::vector<std::pair<std::string, std::string>>;

struct HistoryQuery {
  std::optional<std::string> dag_name;  // nullopt = every DAG
  std::optional<engine::Status> status;
  int limit = 0;  // 0 = no limit
};

// The database file, thread-safe: one connection whose statements are prepared once and
// guarded by a mutex. Every method throws StoreError on failure; none leaves a partial write.
class RunStore {
 public:
  struct Options {
    // How long a write waits for another process holding the write lock.
    std::chrono::milliseconds busy_timeout{60'000};
  };

  // The schema version this build writes (PRAGMA user_version). A database at an older
  // version is migrated on open; a newer one is refused.
  static constexpr int kSchemaVersion = 1;

  // Opens `home`/weft.db, creating `home` (0700) and the file (0600) when missing.
  explicit RunStore(const std::filesystem::path& home);
  RunStore(const std::filesystem::path& home, Options options);
  ~RunStore();
  RunStore(const RunStore&) = delete;
  RunStore& operator=(const RunStore&) = delete;

  const std::string& path() const { return db_.path(); }

  // Records a run starting with all its steps. Starting a run id that is already stored (a
  // retry) replaces its steps, clears its outputs and span counters and counts one more
  // attempt. Returns the attempt number now stored. `run.spans` is not written: span counters
  // belong to SetSpanCounters.
  int StartRun(const RunRecord& run, const std::vector<StepRecord>& steps);
  // Writes the whole run as given (attempt included, span counters left as stored), replacing
  // its stored steps and outputs: the repair after an earlier write was lost.
  void SaveRun(const RunRecord& run, const std::vector<StepRecord>& steps, const Outputs& outputs);
  // Inserts or updates steps of a stored run (their index says which), in one transaction.
  void SaveSteps(const engine::RunRef& run, const std::vector<StepRecord>& steps);
  // Records the end of a run: its status, finished_at_ns, error and exit_code, and outputs.
  void FinishRun(const RunRecord& run, const Outputs& outputs);
  void SetSpanCounters(const engine::RunRef& run, const SpanCounters& counters);

  // Reads. Before answering, any `running` run whose weft process is gone (dead, or its pid
  // now used by another process) is marked failed with the reason, its running steps too. When
  // that write fails (disk full), the read still answers, with such runs still `running`.
  std::optional<RunRecord> FindRun(const engine::RunRef& run);
  // The run of this DAG that started last.
  std::optional<RunRecord> LatestRun(const std::string& dag_name);
  // Newest first.
  std::vector<RunRecord> History(const HistoryQuery& query);
  // In index order; empty when the run is not stored.
  std::vector<StepRecord> Steps(const engine::RunRef& run);
  // Runs whose parent is `run`, oldest first.
  std::vector<RunRecord> Children(const engine::RunRef& run);
  // The stored parent of `run`; nullopt for a root run or when the parent is not stored.
  std::optional<RunRecord> Parent(const engine::RunRef& run);
  Outputs RunOutputs(const engine::RunRef& run);

 private:
  struct Statements;

  // The run's row; throws a StoreError saying the run is not stored when it is not.
  std::int64_t RowId(const engine::RunRef& run);
  // Returns the attempt number stored.
  int WriteRun(const RunRecord& run, const std::vector<StepRecord>& steps, const Outputs& outputs,
               bool new_attempt);
  void InsertStep(std::int64_t row_id, const StepRecord& step);
  void ReplaceOutputs(std::int64_t row_id, const Outputs& outputs);
  // Marks `running` runs of dead weft processes failed; when the store cannot be written (disk
  // full), logs why and leaves them for a later read.
  void RecoverDeadRuns();
  void MarkFailed(const std::vector<std::pair<std::int64_t, ProcessIdentity>>& orphans);
  std::vector<RunRecord> ReadRuns(StatementUse& query);

  std::mutex mutex_;
  Database db_;
  std::unique_ptr<Statements> statements_;
};

}  // namespace weft::store
