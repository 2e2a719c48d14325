#include "engine/dag_run.h"

#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/step_command.h"
#include "eval/run_scope.h"

namespace weft::engine {
namespace {

std::string Trim(const std::string& s) {
  const char* ws = " \t\r\n";
  auto begin = s.find_first_not_of(ws);
  if (begin == std::string::npos) return "";
  auto end = s.find_last_not_of(ws);
  return s.substr(begin, end - begin + 1);
}

// Reads at most `limit` + 1 bytes, so an oversized output is detected without reading it all.
std::string ReadPrefix(const std::string& path, std::size_t limit) {
  std::ifstream in(path, std::ios::binary);
  std::string data(limit + 1, '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<std::size_t>(in.gcount()));
  return data;
}

bool IsTraceContextVariable(std::string_view name) {
  for (std::string_view carrier : {"TRACEPARENT", "TRACESTATE", "BAGGAGE"}) {
    if (name.size() == carrier.size() &&
        std::equal(name.begin(), name.end(), carrier.begin(), [](char a, char b) {
          return std::toupper(static_cast<unsigned char>(a)) == b;
        })) {
      return true;
    }
  }
  return false;
}

// The `stdout:`/`stderr:` copies of a finished step's logs; returns what went wrong, or "".
std::string CopyLogs(const StepCommand& command, const StepState& state) {
  std::error_code ec;
  for (const auto& [from, to] : {std::pair{&state.stdout_file, &command.stdout_copy},
                                 std::pair{&state.stderr_file, &command.stderr_copy}}) {
    if (to->empty()) continue;
    std::filesystem::create_directories(std::filesystem::path(*to).parent_path(), ec);
    std::filesystem::copy_file(*from, *to, std::filesystem::copy_options::overwrite_existing, ec);
    if (ec) return "cannot copy " + *from + " to " + *to + ": " + ec.message();
  }
  return "";
}

std::string ExitError(const process::ExitStatus& exit) {
  if (exit.signal != 0) {
    const char* name = sigabbrev_np(exit.signal);
    return std::string("killed by signal SIG") + (name ? name : std::to_string(exit.signal));
  }
  return "exit code " + std::to_string(exit.exit_code);
}

}  // namespace

DagRun::DagRun(RunInfo info, eval::Variables variables, RunSettings settings, EventLoop& loop)
    : info_(std::move(info)),
      dag_(*info_.dag),
      plan_(dag_),
      variables_(std::move(variables)),
      settings_(std::move(settings)),
      loop_(loop) {
  const auto n = plan_.size();
  runs_.resize(n);
  outputs_.resize(n);
  info_.steps.resize(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    if (!dag_.steps[i].id.empty()) steps_with_id_.push_back(i);
    runs_[i].waiting_for = plan_.dependency_count(i);
    StepState& state = info_.steps[i];
    state.step = &dag_.steps[i];
    state.stdout_file = LogPath(i, "out");
    state.stderr_file =
        dag_.steps[i].log_output == dag::LogOutput::kMerged ? state.stdout_file : LogPath(i, "err");
  }
}

std::string DagRun::LogPath(std::uint32_t step, const char* suffix) const {
  return info_.run_dir + "/" + std::to_string(step) + "-" +
         FileSafeName(dag_.steps[step].name).substr(0, 64) + "." + suffix;
}

Status DagRun::Execute() {
  loop_.OnChildExit([this](const process::Exited& exited) { OnChildExit(exited); });
  if (dag_.delay_sec > 0) {
    delay_timer_ = loop_.AddTimer(static_cast<std::int64_t>(dag_.delay_sec) * 1'000'000'000,
                                  [this] { Begin(); });
  } else {
    Begin();
  }
  if (!done_) loop_.Run();
  return info_.status;
}

void DagRun::Begin() {
  info_.status = Status::kRunning;
  info_.started_at_ns = EventLoop::UnixNs();
  for (auto* o : observers_) o->OnRunStarted(info_);
  if (stopping_) {
    FinishRunIfDone();
    return;
  }
  for (std::uint32_t i = 0; i < plan_.size(); ++i) {
    if (runs_[i].waiting_for == 0) ready_.push(i);
  }
  Dispatch();
  FinishRunIfDone();
}

void DagRun::Dispatch() {
  const auto limit = static_cast<std::size_t>(dag_.max_active_steps);
  while (!ready_.empty() && !stopping_ && (limit == 0 || running_.size() < limit)) {
    std::uint32_t step = ready_.top();
    ready_.pop();
    StartStep(step);
    ReleaseSettled();  // a step that could not start settles at once
  }
}

void DagRun::NotifyStep(std::uint32_t step) {
  for (auto* o : observers_) o->OnStepChanged(info_, step);
}

std::optional<eval::Variables> DagRun::StepVariables(std::uint32_t step, std::string* error) const {
  const StepState& state = info_.steps[step];
  // Lowest first: upstream outputs, references to steps with ids, this step's built-ins; the
  // step's own env comes last and wins.
  eval::NamedValues upstream;
  for (std::uint32_t source : plan_.output_sources(step)) {
    upstream.emplace_back(dag_.steps[source].output, outputs_[source]);
  }
  for (std::uint32_t other : steps_with_id_) {
    const dag::Step& s = dag_.steps[other];
    const StepState& other_state = info_.steps[other];
    upstream.emplace_back(s.id + ".stdout", other_state.stdout_file);
    upstream.emplace_back(s.id + ".stderr", other_state.stderr_file);
    if (other_state.exit_code >= 0) {
      upstream.emplace_back(s.id + ".exit_code", std::to_string(other_state.exit_code));
    }
    if (!s.output.empty() && IsFinal(other_state.status)) {
      upstream.emplace_back(s.id + ".output", outputs_[other]);
    }
  }
  upstream.emplace_back("DAG_RUN_STEP_NAME", dag_.steps[step].name);
  upstream.emplace_back("DAG_RUN_STEP_STDOUT_FILE", state.stdout_file);
  upstream.emplace_back("DAG_RUN_STEP_STDERR_FILE", state.stderr_file);
  eval::CommandOptions commands;
  commands.working_dir = settings_.working_dir;
  return eval::BuildStepVariables(variables_, upstream, dag_.steps[step].env, commands, error);
}

void DagRun::StartStep(std::uint32_t step) {
  StepState& state = info_.steps[step];
  StepRun& run = runs_[step];
  state.status = Status::kRunning;
  state.started_at_ns = EventLoop::UnixNs();
  run.command_index = 0;
  std::string error;
  std::optional<eval::Variables> vars = StepVariables(step, &error);
  if (!vars) {
    NotifyStep(step);
    Settle(step, Status::kFailed, error);
    return;
  }
  // Trace context is the observers' to give: an inherited one would point at weft's parent.
  std::vector<std::pair<std::string, std::string>> extra;
  for (auto* o : observers_) o->AddStepEnvironment(info_, step, extra);
  run.env.clear();
  run.env.reserve(vars->size() + extra.size());
  for (const auto& [name, value] : vars->entries()) {
    if (!IsTraceContextVariable(name)) run.env.push_back(name + "=" + value);
  }
  for (const auto& [name, value] : extra) run.env.push_back(name + "=" + value);

  StepCommandContext context{settings_.working_dir, settings_.default_shell, LogPath(step, "sh")};
  if (!BuildStepCommand(dag_, dag_.steps[step], *vars, context, &run.command, &error) ||
      !SpawnCommand(step, &error)) {
    NotifyStep(step);
    Settle(step, Status::kFailed, error);
    return;
  }
  NotifyStep(step);
}

bool DagRun::SpawnCommand(std::uint32_t step, std::string* error) {
  StepRun& run = runs_[step];
  StepState& state = info_.steps[step];
  process::SpawnSpec spec{run.command.argvs[run.command_index], run.env, run.command.working_dir,
                          state.stdout_file, state.stderr_file};
  pid_t pid = process::Spawn(spec, error);
  if (pid < 0) return false;
  run.pid = pid;
  state.pid = pid;
  running_.emplace(pid, step);
  return true;
}

void DagRun::OnChildExit(const process::Exited& exited) {
  auto it = running_.find(exited.pid);
  if (it == running_.end()) return;  // not a step of this run
  std::uint32_t step = it->second;
  running_.erase(it);
  runs_[step].pid = 0;
  CompleteStep(step, exited.status);
  ReleaseSettled();
  Dispatch();
  FinishRunIfDone();
}

void DagRun::CompleteStep(std::uint32_t step, const process::ExitStatus& exit) {
  StepRun& run = runs_[step];
  StepState& state = info_.steps[step];
  const dag::Step& spec = dag_.steps[step];
  state.exit_code = exit.exit_code;
  if (exit.exit_code == 0 && ++run.command_index < run.command.argvs.size() && !stopping_) {
    std::string error;
    if (SpawnCommand(step, &error)) return;
    Settle(step, Status::kFailed, error);
    return;
  }
  if (std::string error = CopyLogs(run.command, state); !error.empty()) {
    Settle(step, Status::kFailed, error);
    return;
  }
  if (exit.exit_code != 0) {
    Settle(step, stopping_ ? Status::kAborted : Status::kFailed, ExitError(exit));
    return;
  }
  if (!spec.output.empty()) {
    std::string data = ReadPrefix(state.stdout_file, dag_.max_output_size);
    if (data.size() > dag_.max_output_size) {
      Settle(step, Status::kFailed,
             "output of `" + spec.output + "` exceeds max_output_size (" +
                 std::to_string(dag_.max_output_size) + " bytes)");
      return;
    }
    outputs_[step] = Trim(data);
    info_.outputs.emplace_back(spec.output, outputs_[step]);
  }
  Settle(step, Status::kSucceeded, "");
}

bool DagRun::ContinuesAfter(std::uint32_t step) const {
  const auto& continue_on = dag_.steps[step].continue_on;
  const StepState& state = info_.steps[step];
  if (!continue_on) return false;
  if (state.status == Status::kSkipped) return continue_on->skipped;
  if (state.status != Status::kFailed) return false;
  if (continue_on->failure) return true;
  return std::find(continue_on->exit_codes.begin(), continue_on->exit_codes.end(),
                   state.exit_code) != continue_on->exit_codes.end();
}

void DagRun::Settle(std::uint32_t step, Status status, std::string error) {
  StepState& state = info_.steps[step];
  state.status = status;
  state.error = std::move(error);
  if (status == Status::kFailed && dag_.steps[step].continue_on &&
      dag_.steps[step].continue_on->mark_success && ContinuesAfter(step)) {
    state.status = Status::kSucceeded;
  }
  state.finished_at_ns = EventLoop::UnixNs();
  if (state.started_at_ns == 0) state.started_at_ns = state.finished_at_ns;
  ++settled_count_;
  NotifyStep(step);
  settled_.push_back(step);
}

// Releases the dependents of every settled step. A worklist rather than recursion: a failure
// at the head of a 100,000-step chain aborts the whole chain without deep recursion.
void DagRun::ReleaseSettled() {
  while (!settled_.empty()) {
    std::uint32_t step = settled_.back();
    settled_.pop_back();
    const StepState& state = info_.steps[step];
    bool passes = state.status == Status::kSucceeded || ContinuesAfter(step);
    for (std::uint32_t dependent : plan_.dependents(step)) {
      StepRun& run = runs_[dependent];
      if (!passes) {
        bool skipped = state.status == Status::kSkipped;
        if (skipped) {
          run.upstream_skipped = true;
        } else {
          run.upstream_failed = true;
        }
        if (run.blocking_step.empty()) run.blocking_step = dag_.steps[step].name;
      }
      if (--run.waiting_for != 0) continue;
      if (run.upstream_failed) {
        Settle(dependent, Status::kAborted,
               "dependency `" + run.blocking_step + "` did not succeed");
      } else if (run.upstream_skipped) {
        Settle(dependent, Status::kSkipped, "dependency `" + run.blocking_step + "` was skipped");
      } else if (stopping_) {
        Settle(dependent, Status::kAborted, "run stopped");
      } else {
        ready_.push(dependent);
      }
    }
  }
}

void DagRun::RequestStop() {
  if (done_) return;
  bool first = !stopping_;
  stopping_ = true;
  if (delay_timer_ != 0 && info_.status == Status::kNotStarted) {
    loop_.CancelTimer(delay_timer_);
    Begin();
    return;
  }
  if (first) {
    // Steps not yet started will never start.
    while (!ready_.empty()) {
      std::uint32_t step = ready_.top();
      ready_.pop();
      Settle(step, Status::kAborted, "run stopped");
    }
    ReleaseSettled();
    for (const auto& [pid, step] : running_) {
      const std::string& name = dag_.steps[step].signal_on_stop;
      int sig = name.empty() ? SIGTERM : process::SignalNumber(name);
      process::SignalGroup(pid, sig > 0 ? sig : SIGTERM);
    }
    if (!running_.empty()) {
      loop_.AddTimer(static_cast<std::int64_t>(dag_.max_clean_up_time_sec) * 1'000'000'000,
                     [this] { RequestStop(); });
    }
  } else {
    for (const auto& [pid, step] : running_) process::SignalGroup(pid, SIGKILL);
  }
  FinishRunIfDone();
}

Status DagRun::FinalStatus() const {
  if (stopping_) return Status::kAborted;
  bool any_failed = false;
  bool any_continued = false;
  bool any_succeeded = false;
  for (std::uint32_t i = 0; i < plan_.size(); ++i) {
    const StepState& state = info_.steps[i];
    if (state.status == Status::kSucceeded) any_succeeded = true;
    if (state.status == Status::kFailed || state.status == Status::kAborted) {
      if (state.status == Status::kFailed && ContinuesAfter(i)) {
        any_continued = true;
      } else {
        any_failed = true;
      }
    }
  }
  if (any_failed) return Status::kFailed;
  if (any_continued) return any_succeeded ? Status::kPartiallySucceeded : Status::kFailed;
  return Status::kSucceeded;
}

void DagRun::FinishRunIfDone() {
  if (done_ || settled_count_ < plan_.size() || !running_.empty()) return;
  if (info_.status != Status::kRunning) return;  // delay_sec not over yet
  done_ = true;
  info_.status = FinalStatus();
  info_.finished_at_ns = EventLoop::UnixNs();
  for (auto* o : observers_) o->OnRunFinished(info_);
  loop_.Quit();
}

}  // namespace weft::engine
