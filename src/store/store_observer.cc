#include "store/store_observer.h"

#include <spdlog/spdlog.h>

#include <exception>
#include <utility>
#include <vector>

namespace weft::store {
namespace {

engine::RunRef RefOf(const engine::RunInfo& run) {
  return {run.dag != nullptr ? run.dag->name : "", run.run_id};
}

std::vector<StepRecord> AllSteps(const engine::RunInfo& run) {
  std::vector<StepRecord> steps;
  steps.reserve(run.steps.size());
  for (std::size_t i = 0; i < run.steps.size(); ++i) steps.push_back(ToStepRecord(run, i));
  return steps;
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

StoreObserver::StoreObserver(RunStore& store, std::string parent_step)
    : store_(store), parent_step_(std::move(parent_step)) {}

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
  record.error = run.error;
  if (engine::IsFinal(run.status)) record.exit_code = StartExitCode(run.status);
  record.process = process_;
  record.attempt = attempt_;
  return record;
}

template <typename Write>
void StoreObserver::Record(const engine::RunInfo& run, const char* what, Write write) {
  try {
    if (complete_) {
      write();
    } else {
      store_.SaveRun(ToRecord(run), AllSteps(run), run.outputs);
      complete_ = true;
    }
  } catch (const std::exception& error) {
    complete_ = false;
    spdlog::error(
        "could not record {} of run {} {}: {}. The run goes on; its record in {} is "
        "incomplete until a later write succeeds",
        what, RefOf(run).name, run.run_id, error.what(), store_.path());
  }
}

void StoreObserver::OnRunStarted(const engine::RunInfo& run) {
  Record(run, "the start", [&] { attempt_ = store_.StartRun(ToRecord(run), AllSteps(run)); });
}

void StoreObserver::OnStepChanged(const engine::RunInfo& run, std::size_t step) {
  if (step >= run.steps.size()) {
    spdlog::error(
        "run {} {}: the engine reported a change of step {} but the run has {} steps; "
        "not recorded",
        RefOf(run).name, run.run_id, step, run.steps.size());
    return;
  }
  Record(run, "a step change", [&] { store_.SaveStep(RefOf(run), ToStepRecord(run, step)); });
}

void StoreObserver::OnRunFinished(const engine::RunInfo& run) {
  Record(run, "the end", [&] { store_.FinishRun(ToRecord(run), run.outputs); });
}

}  // namespace weft::store
