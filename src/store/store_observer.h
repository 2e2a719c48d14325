#pragma once

// Records a run in the RunStore as the engine publishes it, without making the engine wait for
// the database: a SQLite commit costs tens of microseconds here (file locks for the other
// processes sharing weft.db), a tenth of the time it takes to start a step's process.
//
// The engine's thread only copies the changed step into a mirror of the run and wakes a writer
// thread; the writer gathers step changes for up to kGatherTime, then commits everything
// changed since its last round in one transaction (a step that changed twice is written once,
// in its latest state): a chain of short steps costs a commit per few dozen steps, not two per
// step. The start of a run and its end are written at once, and OnRunStarted, OnRunFinished
// and Flush return only once every change is committed, so the run's record is complete and
// durable before `weft start` exits. If the weft process is killed, at most the step changes of
// the last kGatherTime are lost, and the next reader marks the run failed anyway (§3.3).
//
// A write that fails (disk full, database locked beyond the busy timeout, file removed) never
// stops the run: it is logged with the database path and the reason, and the record is marked
// incomplete. The next round then rewrites the whole run from the mirror, so the record heals
// as soon as writing works again; complete() tells the caller whether the record is whole.
//
// Secrets (§5.1): stored errors (the run's and each step's) have the values of secret params
// (the DAG's `secrets:`, or names eval::IsSecretName recognises) and every value of the caller's
// masker replaced by `***`. Params and outputs are stored as given, because `weft retry` runs
// with them again; whoever shows them masks them (eval::MaskSecretParams).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/run_info.h"
#include "eval/secrets.h"
#include "store/process_identity.h"
#include "store/run_store.h"

namespace weft::store {

class StoreObserver : public engine::RunObserver {
 public:
  // `parent_step`: for a nested run, the name of the parent's step that started it ("" when
  // unknown or for a root run); `weft status` lists the child under that step.
  // `masker`: the values to mask besides those of secret params, e.g. the run's secret
  // variables and header values.
  explicit StoreObserver(RunStore& store, std::string parent_step = "",
                         eval::SecretMasker masker = {});
  // Writes whatever is still pending, then stops the writer thread.
  ~StoreObserver() override;
  StoreObserver(const StoreObserver&) = delete;
  StoreObserver& operator=(const StoreObserver&) = delete;

  void OnRunStarted(const engine::RunInfo& run) override;
  void OnStepChanged(const engine::RunInfo& run, std::size_t step) override;
  // Returns once every change of the run has been written (or has failed to be).
  void OnRunFinished(const engine::RunInfo& run) override;

  // Waits until every change published so far has been written or has failed to be.
  void Flush();
  // False while the stored record misses a change the engine published (after Flush, exact).
  bool complete() const;

  static constexpr std::chrono::milliseconds kGatherTime{50};

 private:
  // One round of the writer: what to write, copied from the mirror under the lock.
  struct Round {
    std::uint64_t upto = 0;  // the changes this round covers
    bool start = false;      // StartRun with every step
    bool rewrite = false;    // SaveRun: the repair after a failed round
    bool finish = false;     // FinishRun
    RunRecord run;
    std::vector<StepRecord> steps;  // every step (start, rewrite) or the changed ones
    Outputs outputs;
  };

  RunRecord ToRecord(const engine::RunInfo& run) const;
  StepRecord ToMaskedStepRecord(const engine::RunInfo& run, std::size_t index) const;
  // Copies steps the mirror does not have yet (handler steps appear during the run).
  void MirrorNewSteps(const engine::RunInfo& run);
  // Counts the change just made to the mirror, releases `lock` and wakes the writer.
  void Publish(std::unique_lock<std::mutex>& lock);
  Round TakeRound();  // needs mutex_
  bool Write(const Round& round);
  void WriterLoop();

  RunStore& store_;
  const std::string parent_step_;
  // Read and extended on the engine's thread only (OnRunStarted adds the secret params).
  eval::SecretMasker masker_;
  const ProcessIdentity process_ = ProcessIdentity::Self();

  mutable std::mutex mutex_;
  std::condition_variable work_or_stop_;
  std::condition_variable round_done_;
  // The run as last published, so that any round can write all of it.
  RunRecord run_;
  std::vector<StepRecord> steps_;
  Outputs outputs_;
  std::set<std::size_t> changed_steps_;
  bool start_pending_ = false;
  bool finish_pending_ = false;
  bool rewrite_pending_ = false;
  bool started_ = false;   // StartRun has succeeded for this run
  bool finished_ = false;  // the engine has published the end
  bool complete_ = true;
  bool stopping_ = false;
  bool flush_wanted_ = false;    // a Flush is waiting: write without gathering
  bool writer_idle_ = false;     // the writer waits for a change (not gathering, not writing)
  std::uint64_t published_ = 0;  // changes published so far
  std::uint64_t written_ = 0;    // changes the writer has handled
  std::thread writer_;           // last: it starts once every member above exists
};

// The exit code `weft start` ends with after a run in this final status (§3.2): 0 when it
// succeeded, 1 otherwise.
int StartExitCode(engine::Status status);

// One step of the engine's run as the store keeps it.
StepRecord ToStepRecord(const engine::RunInfo& run, std::size_t index);

}  // namespace weft::store
