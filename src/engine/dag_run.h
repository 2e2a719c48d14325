#pragma once

// Executes one run of a DAG on an EventLoop: starts steps as their dependencies finish, at most
// max_active_steps at a time, and publishes every change to the observers. Each event costs
// O(1) plus the out-degree of the step it concerns; no event scans all steps.

#include <cstdint>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/event_loop.h"
#include "engine/plan.h"
#include "engine/run_info.h"
#include "engine/step_command.h"
#include "eval/variables.h"

namespace weft::engine {

struct RunSettings {
  std::string working_dir;    // the DAG's working dir, absolute
  std::string default_shell;  // $SHELL of weft's environment, "" = sh
};

class DagRun {
 public:
  // `variables` is the run's scope (§2.6 up to dotenv); `info` carries the run id, run dir,
  // params and links, and is filled in as the run goes.
  DagRun(RunInfo info, eval::Variables variables, RunSettings settings, EventLoop& loop);
  DagRun(const DagRun&) = delete;
  DagRun& operator=(const DagRun&) = delete;

  void AddObserver(RunObserver* observer) { observers_.push_back(observer); }

  // Runs every step to the end and returns the run's final status.
  Status Execute();

  // Stop (§3.3): signal running steps, start nothing new, record aborted. A second request
  // kills the running steps at once.
  void RequestStop();

  const RunInfo& info() const { return info_; }

 private:
  // Engine-private progress of one step.
  struct StepRun {
    std::uint32_t waiting_for = 0;  // dependencies not yet settled
    bool upstream_failed = false;
    bool upstream_skipped = false;
    std::string blocking_step;  // a dependency that failed or was skipped
    StepCommand command;
    std::size_t command_index = 0;
    std::vector<std::string> env;  // the process environment, kept for list commands
    pid_t pid = 0;
  };

  void Begin();
  void Dispatch();
  void StartStep(std::uint32_t step);
  bool SpawnCommand(std::uint32_t step, std::string* error);
  void OnChildExit(const process::Exited& exited);
  void CompleteStep(std::uint32_t step, const process::ExitStatus& exit);
  void Settle(std::uint32_t step, Status status, std::string error);
  void ReleaseSettled();
  void FinishRunIfDone();
  Status FinalStatus() const;
  bool ContinuesAfter(std::uint32_t step) const;

  std::optional<eval::Variables> StepVariables(std::uint32_t step, std::string* error) const;
  std::string LogPath(std::uint32_t step, const char* suffix) const;

  void NotifyStep(std::uint32_t step);

  RunInfo info_;
  const dag::Dag& dag_;
  Plan plan_;
  eval::Variables variables_;
  RunSettings settings_;
  EventLoop& loop_;
  std::vector<RunObserver*> observers_;

  std::vector<StepRun> runs_;
  std::vector<std::uint32_t> steps_with_id_;  // for ${id.stdout} and friends
  std::vector<std::string> outputs_;          // captured output per step ("" = none)
  std::priority_queue<std::uint32_t, std::vector<std::uint32_t>, std::greater<>> ready_;
  std::vector<std::uint32_t> settled_;  // settled steps whose dependents are not yet released
  std::unordered_map<pid_t, std::uint32_t> running_;
  std::uint32_t settled_count_ = 0;
  bool stopping_ = false;
  EventLoop::TimerId delay_timer_ = 0;
  bool done_ = false;
};

}  // namespace weft::engine
