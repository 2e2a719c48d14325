#include "store/store_observer.h"

#include <spdlog/spdlog.h>

#include <exception>
#include <nlohmann/json.hpp>
#include <utility>

namespace weft::store {
namespace {

// The names a DAG lists under `secrets:`.
const std::vector<std::string>& DeclaredSecrets(const dag::Dag* dag) {
  static const std::vector<std::string> kNone;
  return dag != nullptr ? dag->secrets : kNone;
}

}  // namespace

int StartExitCode(engine::Status status) { return status == engine::Status::kSucceeded ? 0 : 1; }

StepRecord ToStepRecord(const engine::RunInfo& run, std::size_t index) {
  const engine::StepState& state = run.steps[index];
  StepRecord step;
  step.index = static_cast<int>(index);
  if (state.step != nullptr) step.name = state.step->name;
  step.handler = state.handler;
  step.status = state.status;
  step.exit_code = state.exit_code;
  step.started_at_ns = state.started_at_ns;
  step.finished_at_ns = state.finished_at_ns;
  step.retry_count = state.retry_count;
  step.error = state.error;
  step.stdout_file = state.stdout_file;
  step.stderr_file = state.stderr_file;
  step.pid = state.pid;
  return step;
}

StoreObserver::StoreObserver(RunStore& store, std::string parent_step, eval::SecretMasker masker)
    : store_(store),
      parent_step_(std::move(parent_step)),
      masker_(std::move(masker)),
      writer_(&StoreObserver::WriterLoop, this) {}

StoreObserver::~StoreObserver() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_or_stop_.notify_one();
  writer_.join();
}

RunRecord StoreObserver::ToRecord(const engine::RunInfo& run) const {
  RunRecord record;
  if (run.dag != nullptr) {
    record.dag_name = run.dag->name;
    record.dag_file = run.dag->file;
  }
  record.run_id = run.run_id;
  record.run_dir = run.run_dir;
  record.status = run.status;
  record.started_at_ns = run.started_at_ns;
  record.finished_at_ns = run.finished_at_ns;
  record.params_json = run.params_json;
  record.parent = run.parent;
  record.parent_step = parent_step_;
  record.root = run.root;
  record.trace_id = run.trace_id;
  record.error = masker_.Mask(run.error);
  if (engine::IsFinal(run.status)) record.exit_code = StartExitCode(run.status);
  record.process = process_;
  return record;
}

StepRecord StoreObserver::ToMaskedStepRecord(const engine::RunInfo& run, std::size_t index) const {
  StepRecord step = ToStepRecord(run, index);
  step.error = masker_.Mask(step.error);
  return step;
}

void StoreObserver::MirrorNewSteps(const engine::RunInfo& run) {
  for (std::size_t i = steps_.size(); i < run.steps.size(); ++i) {
    steps_.push_back(ToMaskedStepRecord(run, i));
    changed_steps_.insert(i);
  }
}

void StoreObserver::OnRunStarted(const engine::RunInfo& run) {
  // The values of secret params are masked in stored errors.
  const auto params = nlohmann::json::parse(run.params_json, nullptr, /*allow_exceptions=*/false);
  if (params.is_object()) {
    for (const auto& [name, value] : params.items()) {
      if (value.is_string() && eval::IsSecretName(name, DeclaredSecrets(run.dag.get()))) {
        masker_.Add(value.get_ref<const std::string&>());
      }
    }
  }
  std::unique_lock lock(mutex_);
  run_ = ToRecord(run);
  steps_.clear();
  outputs_.clear();
  changed_steps_.clear();
  start_pending_ = true;
  finish_pending_ = false;
  rewrite_pending_ = false;
  started_ = false;
  finished_ = false;
  Publish(lock);
  // The run is on disk before any step runs: a weft killed from then on leaves a run the next
  // reader finds and marks failed, never no run at all. One commit per run. Its steps go with
  // the writer's next round, while the first steps run: a thousand of them, ~18 k instructions
  // each, would otherwise hold up the first start by several milliseconds.
  Flush();
  lock.lock();
  MirrorNewSteps(run);
  Publish(lock);
}

void StoreObserver::OnStepChanged(const engine::RunInfo& run, std::size_t step) {
  if (step >= run.steps.size()) {
    spdlog::error(
        "run {} {}: the engine reported a change of step {} but the run has {} steps; "
        "not recorded",
        run.dag != nullptr ? run.dag->name : "", run.run_id, step, run.steps.size());
    return;
  }
  std::unique_lock lock(mutex_);
  MirrorNewSteps(run);
  steps_[step] = ToMaskedStepRecord(run, step);
  changed_steps_.insert(step);
  Publish(lock);
}

void StoreObserver::OnRunFinished(const engine::RunInfo& run) {
  std::unique_lock lock(mutex_);
  MirrorNewSteps(run);
  const int attempt = run_.attempt;
  run_ = ToRecord(run);
  run_.attempt = attempt;
  outputs_ = run.outputs;
  finish_pending_ = true;
  finished_ = true;
  Publish(lock);
  Flush();
}

void StoreObserver::Flush() {
  std::unique_lock lock(mutex_);
  if (written_ == published_) return;
  flush_wanted_ = true;
  work_or_stop_.notify_one();
  round_done_.wait(lock, [this] { return written_ == published_; });
}

bool StoreObserver::complete() const {
  std::lock_guard lock(mutex_);
  return complete_;
}

void StoreObserver::Publish(std::unique_lock<std::mutex>& lock) {
  ++published_;
  // Only an idle writer needs waking: one that gathers or writes takes this change with the
  // next round anyway, and waking it for each change would cost a wake-up per step event.
  const bool wake = writer_idle_;
  // Waking the writer while holding the lock would only make it block on the lock again.
  lock.unlock();
  if (wake) work_or_stop_.notify_one();
}

StoreObserver::Round StoreObserver::TakeRound() {
  Round round;
  round.upto = published_;
  round.run = run_;
  round.outputs = outputs_;
  if (rewrite_pending_) {
    // A run whose start was never stored is started again, which also counts its attempt.
    round.start = !started_;
    round.rewrite = started_;
    round.finish = !started_ && finished_;
    round.steps = steps_;
  } else {
    round.start = start_pending_;
    round.finish = finish_pending_;
    if (round.start) {
      round.steps = steps_;
    } else {
      for (const std::size_t index : changed_steps_) round.steps.push_back(steps_[index]);
    }
  }
  rewrite_pending_ = false;
  start_pending_ = false;
  finish_pending_ = false;
  flush_wanted_ = false;
  changed_steps_.clear();
  return round;
}

bool StoreObserver::Write(const Round& round) {
  try {
    if (round.start) {
      const int attempt = store_.StartRun(round.run, round.steps);
      std::lock_guard lock(mutex_);
      started_ = true;
      run_.attempt = attempt;
    } else if (round.rewrite) {
      store_.SaveRun(round.run, round.steps, round.outputs);
    } else if (!round.steps.empty()) {
      store_.SaveSteps(round.run.ref(), round.steps);
    }
    if (round.finish) store_.FinishRun(round.run, round.outputs);
    return true;
  } catch (const std::exception& error) {
    spdlog::error(
        "could not record run {} {}: {}. The run goes on; its record in {} is "
        "incomplete until a later write succeeds",
        round.run.dag_name, round.run.run_id, error.what(), store_.path());
    return false;
  }
}

void StoreObserver::WriterLoop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    writer_idle_ = true;
    work_or_stop_.wait(lock, [this] { return stopping_ || written_ != published_; });
    writer_idle_ = false;
    if (written_ == published_) return;  // stopping with nothing left to write
    if (!start_pending_ && !finish_pending_ && !rewrite_pending_) {
      work_or_stop_.wait_for(lock, kGatherTime, [this] { return stopping_ || flush_wanted_; });
    }
    const Round round = TakeRound();
    lock.unlock();
    const bool written = Write(round);
    lock.lock();
    if (!written) {
      rewrite_pending_ = true;
      complete_ = false;
    } else if (round.start || round.rewrite) {
      complete_ = true;
    }
    written_ = round.upto;
    round_done_.notify_all();
  }
}

}  // namespace weft::store
