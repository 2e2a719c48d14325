#pragma once

// What the engine publishes about a run: the state every observer (store, tracing, terminal
// view) reads. The engine owns it and updates it before each notification; observers only read.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dag/dag.h"
#include "engine/status.h"

namespace weft::engine {

// A run named by DAG name and run id (parent and root links of nested runs).
struct RunRef {
  std::string name;
  std::string run_id;
};

// Something notable that happened to a step: a retry, an unmet precondition, a timeout, a stop
// signal. Tracing turns these into span events; the store and terminal show them.
struct StepEvent {
  std::string name;  // "retry", "precondition.unmet", "timeout", "signal"
  std::int64_t time_ns = 0;
  std::vector<std::pair<std::string, dag::AttributeValue>> attributes;
};

enum class HandlerKind { kNone, kInit, kSuccess, kFailure, kAbort, kExit };

struct StepState {
  const dag::Step* step = nullptr;  // points into RunInfo::dag
  HandlerKind handler = HandlerKind::kNone;
  Status status = Status::kNotStarted;
  int exit_code = -1;               // -1 = no process exited
  std::int64_t started_at_ns = 0;   // unix time; 0 = never started
  std::int64_t finished_at_ns = 0;  // 0 = not finished
  int pid = 0;
  int retry_count = 0;
  std::string error;  // short reason when failed/aborted/skipped
  std::string stdout_file;
  std::string stderr_file;
  std::vector<StepEvent> events;
};

struct RunInfo {
  std::shared_ptr<const dag::Dag> dag;
  std::string run_id;
  std::string run_dir;
  std::string params_json;  // the resolved params as a JSON object
  std::optional<RunRef> parent;
  std::optional<RunRef> root;
  std::string trace_id;  // set by the caller before the run starts; "" when none
  Status status = Status::kNotStarted;
  std::int64_t started_at_ns = 0;
  std::int64_t finished_at_ns = 0;
  std::string error;
  // DAG steps in file order, then handler steps in the order they ran.
  std::vector<StepState> steps;
  // Captured outputs (`output:`), in the order they were set.
  std::vector<std::pair<std::string, std::string>> outputs;
};

// Receives a run's events, in order, on the engine's thread. Implementations must be quick:
// they are called from the event loop (an exporter hands work to its own thread).
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void OnRunStarted(const RunInfo&) {}
  // A step changed status (started, finished, skipped, aborted, retrying).
  virtual void OnStepChanged(const RunInfo&, std::size_t /*step*/) {}
  virtual void OnStepEvent(const RunInfo&, std::size_t /*step*/, const StepEvent&) {}
  virtual void OnRunFinished(const RunInfo&) {}
  // Called just before a step's process starts: add variables to its environment (for
  // example TRACEPARENT of the step's span).
  virtual void AddStepEnvironment(const RunInfo&, std::size_t /*step*/,
                                  std::vector<std::pair<std::string, std::string>>& /*env*/) {}
};

}  // namespace weft::engine
