#pragma once

// Executes one run of a DAG on an EventLoop: checks the DAG's preconditions, runs the init
// handler, starts steps as their dependencies finish (at most max_active_steps at a time) with
// their retries, repeats, preconditions and timeouts, then runs the handlers for the outcome
// (§3.3), publishing every change to the observers. Each event costs O(1) plus the out-degree
// of the step it concerns; no event scans all steps. Every step process group is registered
// with a GroupGuard, so no step outlives weft.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/event_loop.h"
#include "engine/plan.h"
#include "engine/policy.h"
#include "engine/run_info.h"
#include "engine/step_command.h"
#include "eval/variables.h"
#include "os/unique_fd.h"
#include "process/group_guard.h"

namespace weft::engine {

// Builds the command line that runs one sub-DAG call (§4), with the step's params expanded with
// `vars` (which hold ITEM in a fan-out). The CLI provides it: the engine knows nothing of
// `weft start`, run ids or where DAG files are.
using SubDagCommand = std::function<bool(const dag::Step& step, const eval::Variables& vars,
                                         std::vector<std::string>* argv, std::string* error)>;

struct RunSettings {
  std::string working_dir;        // the DAG's working dir, absolute
  std::string default_shell;      // $SHELL of weft's environment, "" = sh
  SubDagCommand sub_dag_command;  // unset: a call step fails with a clear error
  // A guard the caller started before its memory grew: fork copies the page tables, and every
  // page then shared costs a fault when weft next writes it (~500 on a 1000-step run). Null: the
  // run starts its own.
  process::GroupGuard* guard = nullptr;
};

// A step's outcome in an earlier attempt of the same run, which `weft retry` keeps instead of
// running the step again.
struct PriorStep {
  std::uint32_t index = 0;  // in the DAG's steps
  Status status = Status::kSucceeded;
  int exit_code = -1;
  std::int64_t started_at_ns = 0;
  std::int64_t finished_at_ns = 0;
  int retry_count = 0;
  std::string error;
  std::string output;  // the value its `output:` captured, if any
};

class DagRun {
 public:
  // `variables` is the run's scope (§2.6 up to dotenv), shared by every step's scope; `info`
  // carries the run id, run dir, params and links, and is filled in as the run goes.
  DagRun(RunInfo info, eval::Variables variables, RunSettings settings, EventLoop& loop);
  DagRun(const DagRun&) = delete;
  DagRun& operator=(const DagRun&) = delete;

  void AddObserver(RunObserver* observer) { observers_.push_back(observer); }

  // Before Execute: these steps settle as they did before instead of running (§6 retry).
  void KeepPriorSteps(std::vector<PriorStep> steps);

  // Runs every step to the end and returns the run's final status.
  Status Execute();

  // Stop (§3.3): signal running steps, start nothing new, run the abort and exit handlers,
  // record aborted. A second request kills the running processes at once and skips the
  // handlers not yet started.
  void RequestStop();

  const RunInfo& info() const { return info_; }

 private:
  enum class Phase { kDelay, kInit, kSteps, kHandlers, kDone };
  enum class Halt { kNone, kStopped, kTimedOut };
  static constexpr std::size_t kStepsWithLogsAhead = 16;
  class StepReferences;  // ${id.stdout} and friends (dag_run.cc)

  // Engine-private progress of one step (or handler).
  struct StepRun {
    std::uint32_t waiting_for = 0;  // dependencies not yet settled
    bool upstream_failed = false;
    bool upstream_skipped = false;
    std::string blocking_step;  // a dependency that failed or was skipped
    // Set while the step is in progress, released when it settles: an overlay on the run's
    // scope holding what this step adds.
    std::optional<eval::Variables> vars;
    StepCommand command;
    process::Environment env;  // the process environment: run_env_ and what the step sets
    RetryRule retry;
    RepeatRule repeat;
    std::size_t command_index = 0;
    // A `parallel:` call runs command.argvs side by side instead of in turn.
    bool fan_out = false;
    int max_concurrent = 0;
    std::size_t children_running = 0;
    std::size_t children_failed = 0;
    process::ExitStatus failed_child;  // the last failure among them
    int executions = 0;                // finished executions (repeats count, retries do not)
    std::uintmax_t stdout_start = 0;   // where this attempt's stdout begins in the log
    std::uintmax_t stderr_start = 0;   // and its stderr
    pid_t pid = 0;
    std::int64_t exited_at_ns = 0;         // when its last process exited; 0 = none since spawn
    EventLoop::TimerId wait_timer = 0;     // until the next retry or repeat
    EventLoop::TimerId timeout_timer = 0;  // timeout_sec of the running attempt
    bool timed_out = false;
    bool output_matched = false;  // continue_on.output matched the failed step's output
    // The log files CreateLogsAhead made for the step, open until its first spawn.
    os::UniqueFd stdout_ahead;
    os::UniqueFd stderr_ahead;
  };

  void Begin();
  bool PreconditionsMet();
  void StartSteps();
  // Starts ready steps while max_active_steps allows, then creates the log files of those
  // likely to start next.
  void Dispatch();
  // Only the starts; notes in released_by_starts_ the steps that will be ready once one just
  // started succeeds, for the next Dispatch to create their log files.
  void StartReadySteps();
  void CreateLogsAhead(std::uint32_t step);
  void ReleaseLogsAhead(std::uint32_t step, bool remove_empty);
  void StartStep(std::uint32_t step);
  bool StepPreconditionsMet(std::uint32_t step);
  bool BuildCall(std::uint32_t step, std::string* error);
  bool BeginAttempt(std::uint32_t step, std::string* error);
  bool SpawnCommand(std::uint32_t step, std::size_t index, std::string* error);
  bool FanOutDone(std::uint32_t step, const process::ExitStatus& exit);
  void SignalStep(std::uint32_t step, int signal);
  void MarkRunning(std::uint32_t step);
  void OnChildExit(const process::Exited& exited);
  bool LendsSlot(std::uint32_t step) const;
  void OnStepTimeout(std::uint32_t step);
  void CompleteStep(std::uint32_t step, const process::ExitStatus& exit);
  bool RetryLater(std::uint32_t step, int exit_code);
  std::optional<bool> RepeatLater(std::uint32_t step, int exit_code, std::string* error);
  void WaitThenAttempt(std::uint32_t step, std::int64_t delay_ns);
  void SetExitCode(std::uint32_t step, int exit_code);
  void CaptureOutput(std::uint32_t step);
  bool OutputMatches(std::uint32_t step);
  void Settle(std::uint32_t step, Status status, std::string error);
  void ReleaseSettled();
  void AbortPending(const std::string& reason);
  void StopRunning(Halt reason);
  void EnterHandlers();
  void StartNextHandler();
  void OnHandlerSettled(std::uint32_t step);
  void AdvanceIfIdle();
  void Finish();
  Status OutcomeOfSteps() const;
  bool ContinuesAfter(std::uint32_t step) const;
  bool IsHandler(std::uint32_t step) const { return step >= plan_.size(); }

  std::optional<eval::Variables> StepVariables(std::uint32_t step, std::string* error) const;
  std::string LogPath(std::uint32_t step, const char* suffix) const;
  void Record(std::uint32_t step, StepEvent event, const std::string& note);
  void NotifyStep(std::uint32_t step);
  void DeliverHeldNotice();

  RunInfo info_;
  const dag::Dag& dag_;
  Plan plan_;
  std::shared_ptr<const eval::Variables> variables_;
  // variables_ as the environment every step exports, made once.
  std::shared_ptr<const process::SharedEnvironment> run_env_;
  // ${id.stdout} and friends, which every step's scope looks up here.
  std::shared_ptr<StepReferences> references_;
  RunSettings settings_;
  EventLoop& loop_;
  std::vector<RunObserver*> observers_;
  process::GroupGuard own_guard_;  // started by Execute when settings_.guard is null
  process::GroupGuard* guard_ = &own_guard_;

  std::vector<StepRun> runs_;         // DAG steps, then handlers in the order they run
  std::vector<std::string> outputs_;  // captured output per step ("" = none)
  std::priority_queue<std::uint32_t, std::vector<std::uint32_t>, std::greater<>> ready_;
  std::vector<std::uint32_t> settled_;  // settled steps whose dependents are not yet released
  std::unordered_map<pid_t, std::uint32_t> running_;
  std::unordered_map<std::uint32_t, EventLoop::TimerId> waiting_;  // steps between attempts
  std::unordered_map<std::uint32_t, PriorStep> kept_;              // from an earlier attempt
  std::unordered_set<std::string> working_dirs_;   // StepCommandContext::existing_dirs
  std::uint32_t settled_count_ = 0;                // of the DAG's steps
  std::size_t steps_with_logs_ahead_ = 0;          // steps holding descriptors from CreateLogsAhead
  std::vector<std::uint32_t> released_by_starts_;  // see StartReadySteps
  // A step's process exit, reaped and not yet completed. It keeps its slot unless it lends it;
  // `started` is the step that took the lent slot, whose `running` notice waits until this exit
  // has been reported finished.
  struct PendingExit {
    std::uint32_t step;
    process::ExitStatus status;
    bool lends_slot = false;
    std::optional<std::uint32_t> started;
  };
  std::deque<PendingExit> exits_;
  bool completing_exits_ = false;  // an OnChildExit call is working through exits_
  // The first notice of an exit's completion, if it settles a step, waits until the steps it
  // releases have been spawned or another notice is due: in a chain, the observers' work (the
  // terminal's line, the span, the store) then runs beside the next step instead of before it.
  // Observers still get every notice in order, and a settled step's state no longer changes.
  bool hold_next_notice_ = false;
  std::optional<std::uint32_t> held_notice_;

  Phase phase_ = Phase::kDelay;
  Halt halt_ = Halt::kNone;
  int stop_requests_ = 0;
  bool init_failed_ = false;
  bool precondition_unmet_ = false;
  bool handler_failed_ = false;
  Status outcome_ = Status::kNotStarted;  // of the DAG's steps, decided before the handlers
  std::vector<HandlerKind> handler_queue_;
  EventLoop::TimerId delay_timer_ = 0;
  EventLoop::TimerId run_timer_ = 0;
};

}  // namespace weft::engine
