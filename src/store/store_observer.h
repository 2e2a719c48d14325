#pragma once

// Records a run in the RunStore as the engine publishes it. Each notification costs one small
// write (one step, or the run's end); only the start writes every step.
//
// A write that fails (disk full, database locked beyond the busy timeout, file removed) never
// stops the run: it is logged once per failure with the database path and the reason, and the
// record is marked incomplete. The next notification then rewrites the whole run instead of
// its one change, so the record heals as soon as writing works again; complete() tells the
// caller whether the stored record is whole.

#include <string>

#include "engine/run_info.h"
#include "store/process_identity.h"
#include "store/run_store.h"

namespace weft::store {

class StoreObserver : public engine::RunObserver {
 public:
  // `parent_step`: for a nested run, the name of the parent's step that started it ("" when
  // unknown or for a root run); `weft status` lists the child under that step.
  explicit StoreObserver(RunStore& store, std::string parent_step = "");

  void OnRunStarted(const engine::RunInfo& run) override;
  void OnStepChanged(const engine::RunInfo& run, std::size_t step) override;
  void OnRunFinished(const engine::RunInfo& run) override;

  // False while the stored record misses a change the engine published.
  bool complete() const { return complete_; }

 private:
  RunRecord ToRecord(const engine::RunInfo& run) const;
  // Runs `write`; on failure logs `what` with the reason and marks the record incomplete.
  template <typename Write>
  void Record(const engine::RunInfo& run, const char* what, Write write);

  RunStore& store_;
  std::string parent_step_;
  ProcessIdentity process_ = ProcessIdentity::Self();
  int attempt_ = 1;
  bool complete_ = true;
};

// The exit code `weft start` ends with after a run in this final status (§3.2): 0 when it
// succeeded, 1 otherwise.
int StartExitCode(engine::Status status);

// One step of the engine's run as the store keeps it.
StepRecord ToStepRecord(const engine::RunInfo& run, std::size_t index);

}  // namespace weft::store
