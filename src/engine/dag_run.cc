#include "engine/dag_run.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "engine/step_command.h"
#include "eval/condition.h"
#include "eval/expand.h"
#include "eval/items.h"
#include "eval/run_scope.h"
#include "os/unique_fd.h"

namespace weft::engine {
namespace {

std::string Trim(const std::string& s) {
  const char* ws = " \t\r\n";
  auto begin = s.find_first_not_of(ws);
  if (begin == std::string::npos) return "";
  auto end = s.find_last_not_of(ws);
  return s.substr(begin, end - begin + 1);
}

// Reads at most `limit` + 1 bytes from `offset`, so an oversized output is detected without
// reading it all.
std::string ReadPrefix(const std::string& path, std::uintmax_t offset, std::size_t limit) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset));
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

// Whether a scope's name goes into a step's environment. Trace context is the observers' to
// give: an inherited one would point at weft's parent. A name an environment cannot hold
// (empty, or with '=') is left out.
bool IsExported(std::string_view name) {
  return !name.empty() && name.find('=') == std::string_view::npos && !IsTraceContextVariable(name);
}

// The run's scope as "NAME=value" strings, made once for every step of the run.
std::shared_ptr<const process::SharedEnvironment> RunEnvironment(const eval::Variables& scope) {
  std::vector<std::string> entries;
  entries.reserve(scope.size());
  scope.ForEach([&entries](const std::string& name, const std::string& value) {
    if (IsExported(name)) entries.push_back(name + "=" + value);
  });
  return std::make_shared<const process::SharedEnvironment>(std::move(entries));
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

// The results of a fan-out's children, one JSON object per line, as one JSON array.
std::string JsonLinesAsArray(const std::string& lines) {
  std::string out = "[";
  std::istringstream in(lines);
  for (std::string line; std::getline(in, line);) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (out.size() > 1) out += ",";
    out += line;
  }
  return out + "]";
}

// signal_on_stop, SIGTERM when unset (the loader rejects names that are no signal).
int StopSignal(const dag::Step& step) {
  int sig = step.signal_on_stop.empty() ? 0 : process::SignalNumber(step.signal_on_stop);
  return sig > 0 ? sig : SIGTERM;
}

std::uintmax_t FileSize(const std::string& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : size;
}

// The size of a step's log before an attempt. A file created ahead (O_EXCL) is empty: no
// process has had it yet.
std::uintmax_t LogSize(const os::UniqueFd& ahead, const std::string& path) {
  return ahead.valid() ? 0 : FileSize(path);
}

const dag::Step* HandlerStep(const dag::HandlerOn& handlers, HandlerKind kind) {
  const std::optional<dag::Step>* step = nullptr;
  switch (kind) {
    case HandlerKind::kInit:
      step = &handlers.init;
      break;
    case HandlerKind::kSuccess:
      step = &handlers.success;
      break;
    case HandlerKind::kFailure:
      step = &handlers.failure;
      break;
    case HandlerKind::kAbort:
      step = &handlers.abort;
      break;
    case HandlerKind::kExit:
      step = &handlers.exit;
      break;
    case HandlerKind::kNone:
      return nullptr;
  }
  return *step ? &**step : nullptr;
}

std::string FormatSeconds(std::int64_t ns) {
  std::ostringstream out;
  out << static_cast<double>(ns) / 1e9 << "s";
  return out.str();
}

eval::CommandOptions CommandsIn(const std::string& working_dir) {
  eval::CommandOptions options;
  options.working_dir = working_dir;
  return options;
}

}  // namespace

// ${id.stdout}, ${id.stderr}, ${id.exit_code} and ${id.output} of the DAG's steps that have an
// id (§2.4), looked up when a text names one rather than copied into every step's scope: that
// copy made each step pay for every step of the run. It holds its own copy of what it serves, so
// a step scope that keeps it alive never reads a DagRun that is gone. A step's exit code is there
// once its process has exited (the latest attempt's), its output once a step with `output:` has
// settled. Values are read when a text is expanded: for what a step expands as it starts (all
// but a repeat_policy condition) that is what a copy taken at its start held.
class DagRun::StepReferences final : public eval::References {
 public:
  void Add(const std::string& id, std::string stdout_file, std::string stderr_file) {
    by_id_[id] = {std::move(stdout_file), std::move(stderr_file), std::nullopt, std::nullopt};
  }
  // A negative code means none.
  void SetExitCode(std::string_view id, int exit_code) {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return;
    if (exit_code < 0) {
      it->second.exit_code.reset();
    } else {
      it->second.exit_code = std::to_string(exit_code);
    }
  }
  void SetOutput(std::string_view id, std::string output) {
    if (auto it = by_id_.find(id); it != by_id_.end()) it->second.output = std::move(output);
  }

  // "<id>.<field>"; ids hold no dot (the loader checks), so the first one splits the name.
  const std::string* Find(std::string_view name) const override {
    const std::size_t dot = name.find('.');
    if (dot == std::string_view::npos) return nullptr;
    auto it = by_id_.find(name.substr(0, dot));
    if (it == by_id_.end()) return nullptr;
    const Slot& slot = it->second;
    const std::string_view field = name.substr(dot + 1);
    if (field == "stdout") return &slot.stdout_file;
    if (field == "stderr") return &slot.stderr_file;
    if (field == "exit_code" && slot.exit_code) return &*slot.exit_code;
    if (field == "output" && slot.output) return &*slot.output;
    return nullptr;
  }

 private:
  struct Slot {
    std::string stdout_file;
    std::string stderr_file;
    std::optional<std::string> exit_code;
    std::optional<std::string> output;
  };
  std::unordered_map<std::string, Slot, eval::NameHash, std::equal_to<>> by_id_;
};

DagRun::DagRun(RunInfo info, eval::Variables variables, RunSettings settings, EventLoop& loop)
    : info_(std::move(info)),
      dag_(*info_.dag),
      plan_(dag_),
      variables_(std::make_shared<const eval::Variables>(std::move(variables))),
      run_env_(RunEnvironment(*variables_)),
      references_(std::make_shared<StepReferences>()),
      settings_(std::move(settings)),
      loop_(loop) {
  const auto n = plan_.size();
  constexpr std::size_t kHandlerKinds = 5;
  runs_.reserve(n + kHandlerKinds);
  runs_.resize(n);
  outputs_.resize(n);
  // Handler states are appended later; observers hold indices, the reserve keeps pointers too.
  info_.steps.reserve(n + kHandlerKinds);
  info_.steps.resize(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    runs_[i].waiting_for = plan_.dependency_count(i);
    StepState& state = info_.steps[i];
    state.step = &dag_.steps[i];
    state.stdout_file = LogPath(i, "out");
    state.stderr_file =
        dag_.steps[i].log_output == dag::LogOutput::kMerged ? state.stdout_file : LogPath(i, "err");
    if (!state.step->id.empty()) {
      references_->Add(state.step->id, state.stdout_file, state.stderr_file);
    }
  }
}

std::string DagRun::LogPath(std::uint32_t step, const char* suffix) const {
  const dag::Step& spec = *info_.steps[step].step;
  std::string name = IsHandler(step) ? "handler-" + spec.name : spec.name;
  return info_.run_dir + "/" + std::to_string(step) + "-" + FileSafeName(name).substr(0, 64) + "." +
         suffix;
}

Status DagRun::Execute() {
  std::string error;
  if (settings_.guard != nullptr) {
    guard_ = settings_.guard;
  } else if (!own_guard_.Start(&error)) {
    info_.error = error;  // the run goes on, unguarded
  }
  loop_.OnChildExit([this](const process::Exited& exited) { OnChildExit(exited); });
  if (dag_.delay_sec > 0) {
    delay_timer_ = loop_.AddTimer(static_cast<std::int64_t>(dag_.delay_sec) * 1'000'000'000,
                                  [this] { Begin(); });
  } else {
    Begin();
  }
  if (phase_ != Phase::kDone) loop_.Run();
  return info_.status;
}

void DagRun::Begin() {
  delay_timer_ = 0;
  info_.status = Status::kRunning;
  info_.started_at_ns = EventLoop::UnixNs();
  for (auto* o : observers_) o->OnRunStarted(info_);
  if (halt_ != Halt::kNone) {
    AbortPending("run stopped");
    EnterHandlers();
    return;
  }
  if (!PreconditionsMet()) {
    precondition_unmet_ = true;
    AbortPending("run precondition not met");
    Finish();
    return;
  }
  if (dag_.timeout_sec > 0) {
    run_timer_ =
        loop_.AddTimer(static_cast<std::int64_t>(dag_.timeout_sec) * 1'000'000'000, [this] {
          run_timer_ = 0;
          StopRunning(Halt::kTimedOut);
        });
  }
  if (HandlerStep(dag_.handler_on, HandlerKind::kInit) != nullptr) {
    phase_ = Phase::kInit;
    handler_queue_ = {HandlerKind::kInit};
    StartNextHandler();
    return;
  }
  StartSteps();
}

bool DagRun::PreconditionsMet() {
  for (const dag::Condition& condition : dag_.preconditions) {
    std::string error;
    auto result =
        eval::EvaluateCondition(condition, *variables_, CommandsIn(settings_.working_dir), &error);
    if (!result || !result->met) {
      info_.error = "precondition not met: " + (result ? result->reason : error);
      return false;
    }
  }
  return true;
}

void DagRun::StartSteps() {
  phase_ = Phase::kSteps;
  for (std::uint32_t i = 0; i < plan_.size(); ++i) {
    if (runs_[i].waiting_for == 0) ready_.push(i);
  }
  Dispatch();
  AdvanceIfIdle();
}

void DagRun::Dispatch() {
  StartReadySteps();
  // After the spawns, so that no step waits for another's files: those of the next ready steps,
  // one per slot (several slots can free before the engine's next turn), and of the steps that
  // a step started since the last dispatch may release (in a chain, every next step).
  std::vector<std::uint32_t> next = std::exchange(released_by_starts_, {});
  if (halt_ != Halt::kNone) return;
  const std::size_t slots = std::clamp<std::size_t>(static_cast<std::size_t>(dag_.max_active_steps),
                                                    1, kStepsWithLogsAhead);
  std::vector<std::uint32_t> head;
  for (; head.size() < slots && !ready_.empty(); ready_.pop()) head.push_back(ready_.top());
  for (std::uint32_t step : head) {
    CreateLogsAhead(step);
    ready_.push(step);
  }
  for (std::uint32_t step : next) CreateLogsAhead(step);
}

void DagRun::StartReadySteps() {
  const auto limit = static_cast<std::size_t>(dag_.max_active_steps);
  // A step between attempts (a retry's or a repeat's wait) keeps its slot, as does an exit not
  // yet completed unless it lends it (LendsSlot).
  const auto holding = [this] {
    return waiting_.size() + static_cast<std::size_t>(std::count_if(
                                 exits_.begin(), exits_.end(),
                                 [](const PendingExit& exit) { return !exit.lends_slot; }));
  };
  while (!ready_.empty() && halt_ == Halt::kNone &&
         (limit == 0 || running_.size() + holding() < limit)) {
    std::uint32_t step = ready_.top();
    ready_.pop();
    StartStep(step);
    if (runs_[step].pid != 0) {
      for (std::uint32_t dependent : plan_.dependents(step)) {
        const StepRun& later = runs_[dependent];
        if (later.waiting_for == 1 && !later.upstream_failed && !later.upstream_skipped) {
          released_by_starts_.push_back(dependent);
        }
      }
    }
    ReleaseSettled();  // a step that could not start settles at once
  }
}

// A child opened (and created) its log files between fork and exec, on the run's critical path:
// two path walks, and two inode allocations of ~20 us each on a quiet ext4, far more after
// mass deletions. Created here, for the steps likely to start next (the head of the ready
// queue, the dependents waiting only for a step just started), they cost the engine's idle time
// while the running steps work, and the child gets the open descriptors. At most
// kStepsWithLogsAhead steps hold them at a time, so the engine's descriptors stay few. O_EXCL:
// a file that exists (a retried run's) is left to the child to open, and never removed.
void DagRun::CreateLogsAhead(std::uint32_t step) {
  StepRun& run = runs_[step];
  const StepState& state = info_.steps[step];
  // A step noted by StartReadySteps may have settled since (its upstream failed).
  if (steps_with_logs_ahead_ == kStepsWithLogsAhead || run.stdout_ahead.valid() ||
      run.stderr_ahead.valid() || run.pid != 0 || state.status != Status::kNotStarted ||
      kept_.contains(step)) {
    return;
  }
  const auto create = [](const std::string& path) {
    return os::UniqueFd(
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600));
  };
  run.stdout_ahead = create(state.stdout_file);
  if (state.stderr_file != state.stdout_file) run.stderr_ahead = create(state.stderr_file);
  if (run.stdout_ahead.valid() || run.stderr_ahead.valid()) ++steps_with_logs_ahead_;
}

// Closes the descriptors CreateLogsAhead opened for `step`. A step that settles without having
// run (skipped, aborted, not startable) also removes those files while empty, so that it
// leaves none behind, as before they were created ahead.
void DagRun::ReleaseLogsAhead(std::uint32_t step, bool remove_empty) {
  StepRun& run = runs_[step];
  const StepState& state = info_.steps[step];
  if (!run.stdout_ahead.valid() && !run.stderr_ahead.valid()) return;
  for (const auto& [file, path] : {std::pair{&run.stdout_ahead, &state.stdout_file},
                                   std::pair{&run.stderr_ahead, &state.stderr_file}}) {
    struct stat info;
    if (remove_empty && file->valid() && ::fstat(file->get(), &info) == 0 && info.st_size == 0) {
      ::unlink(path->c_str());
    }
    file->Reset();
  }
  --steps_with_logs_ahead_;
}

void DagRun::NotifyStep(std::uint32_t step) {
  DeliverHeldNotice();
  if (std::exchange(hold_next_notice_, false) && IsFinal(info_.steps[step].status)) {
    held_notice_ = step;
    return;
  }
  for (auto* o : observers_) o->OnStepChanged(info_, step);
}

void DagRun::DeliverHeldNotice() {
  if (!held_notice_) return;
  const std::uint32_t step = *std::exchange(held_notice_, std::nullopt);
  for (auto* o : observers_) o->OnStepChanged(info_, step);
}

// Events go to the observers (span events, the terminal) and, as a line, to the step's stderr
// log, where a reader of the log looks for why an attempt ended. Merged logs get no line: their
// stdout may be captured as the step's output.
void DagRun::Record(std::uint32_t step, StepEvent event, const std::string& note) {
  DeliverHeldNotice();
  StepState& state = info_.steps[step];
  event.time_ns = EventLoop::UnixNs();
  state.events.push_back(std::move(event));
  for (auto* o : observers_) o->OnStepEvent(info_, step, state.events.back());
  if (state.stderr_file != state.stdout_file) {
    std::ofstream(state.stderr_file, std::ios::app) << "weft: " << note << "\n";
  }
}

std::optional<eval::Variables> DagRun::StepVariables(std::uint32_t step, std::string* error) const {
  const StepState& state = info_.steps[step];
  // Lowest first: upstream outputs, this step's built-ins; the step's own env comes last and
  // wins. Handlers see every output of the run. ${id.stdout} and friends are not copied in: the
  // scope looks them up in references_ when a text names one, and they are no environment
  // variables (a name with a dot is none).
  eval::NamedValues upstream;
  if (IsHandler(step)) {
    for (const auto& [name, value] : info_.outputs) upstream.emplace_back(name, value);
  } else {
    for (std::uint32_t source : plan_.output_sources(step)) {
      upstream.emplace_back(dag_.steps[source].output, outputs_[source]);
    }
  }
  upstream.emplace_back("DAG_RUN_STEP_NAME", state.step->name);
  upstream.emplace_back("DAG_RUN_STEP_STDOUT_FILE", state.stdout_file);
  upstream.emplace_back("DAG_RUN_STEP_STDERR_FILE", state.stderr_file);
  if (IsHandler(step)) upstream.emplace_back("DAG_RUN_STATUS", std::string(ToString(outcome_)));
  return eval::BuildStepVariables(variables_, references_, upstream, state.step->env,
                                  CommandsIn(settings_.working_dir), error);
}

void DagRun::KeepPriorSteps(std::vector<PriorStep> steps) {
  for (PriorStep& prior : steps) {
    if (prior.index < plan_.size()) kept_[prior.index] = std::move(prior);
  }
}

void DagRun::StartStep(std::uint32_t step) {
  StepState& state = info_.steps[step];
  StepRun& run = runs_[step];
  const dag::Step& spec = *state.step;
  if (auto kept = kept_.find(step); kept != kept_.end() && !IsHandler(step)) {
    // As it ended before: its logs are still in the run directory, its output still holds.
    const PriorStep& prior = kept->second;
    SetExitCode(step, prior.exit_code);
    state.retry_count = prior.retry_count;
    state.started_at_ns = prior.started_at_ns;
    if (!spec.output.empty() && prior.status == Status::kSucceeded) {
      outputs_[step] = prior.output;
      info_.outputs.emplace_back(spec.output, prior.output);
    }
    state.finished_at_ns = prior.finished_at_ns;
    Settle(step, prior.status, prior.error);
    return;
  }
  state.started_at_ns = EventLoop::UnixNs();
  std::string error;
  run.vars = StepVariables(step, &error);
  std::optional<RetryRule> retry = RetryRule{};
  std::optional<RepeatRule> repeat = RepeatRule{};
  if (run.vars && spec.retry_policy) retry = ResolveRetry(*spec.retry_policy, *run.vars, &error);
  if (run.vars && retry && spec.repeat_policy) {
    repeat = ResolveRepeat(*spec.repeat_policy, *run.vars, &error);
  }
  if (!run.vars || !retry || !repeat) {
    MarkRunning(step);
    Settle(step, Status::kFailed, error);
    return;
  }
  run.retry = *retry;
  run.repeat = *repeat;
  if (!StepPreconditionsMet(step)) return;

  std::vector<std::pair<std::string, std::string>> extra;
  for (auto* o : observers_) o->AddStepEnvironment(info_, step, extra);
  // run.vars is an overlay directly on variables_ (StepVariables), so its own names are all
  // that the step's environment adds to the run's.
  run.env = process::Environment(run_env_);
  run.vars->ForEachOwn([&run](const std::string& name, const std::string& value) {
    if (IsExported(name)) run.env.Set(name, value);
  });
  for (const auto& [name, value] : extra) run.env.Set(name, value);

  StepCommandContext context{settings_.working_dir, settings_.default_shell, LogPath(step, "sh"),
                             &working_dirs_};
  bool built = spec.call ? BuildCall(step, &error)
                         : BuildStepCommand(dag_, spec, *run.vars, context, &run.command, &error);
  if (!built || !BeginAttempt(step, &error)) {
    MarkRunning(step);
    Settle(step, Status::kFailed, error);
    return;
  }
  if (state.status != Status::kNotStarted) return;  // settled at once: a `parallel:` of no items
  // In the slot of an exit not yet completed, the step is reported running after that exit is
  // reported finished: observers never see more steps running than max_active_steps allows.
  const auto lender = std::find_if(exits_.begin(), exits_.end(), [](const PendingExit& exit) {
    return exit.lends_slot && !exit.started;
  });
  if (lender != exits_.end()) {
    lender->started = step;
  } else {
    MarkRunning(step);
  }
}

// A started step becomes `running` to observers only with its notice: one held back (its slot
// taken before the exit that freed it was completed) is not yet counted among the running.
void DagRun::MarkRunning(std::uint32_t step) {
  info_.steps[step].status = Status::kRunning;
  NotifyStep(step);
}

// Unmet → skipped with the reason; a condition that cannot be evaluated fails the step.
bool DagRun::StepPreconditionsMet(std::uint32_t step) {
  StepRun& run = runs_[step];
  for (const dag::Condition& condition : info_.steps[step].step->preconditions) {
    std::string error;
    auto result =
        eval::EvaluateCondition(condition, *run.vars, CommandsIn(settings_.working_dir), &error);
    if (!result) {
      MarkRunning(step);
      Settle(step, Status::kFailed, "precondition: " + error);
      return false;
    }
    if (!result->met) {
      MarkRunning(step);
      Record(step, {"precondition.unmet", 0, {{"condition", condition.condition}}},
             "precondition not met: " + result->reason);
      Settle(step, Status::kSkipped, "precondition not met: " + result->reason);
      return false;
    }
  }
  return true;
}

// One `weft start` of the child per item (one without `parallel:`), built by the CLI.
bool DagRun::BuildCall(std::uint32_t step, std::string* error) {
  StepRun& run = runs_[step];
  const dag::Step& spec = *info_.steps[step].step;
  if (!settings_.sub_dag_command) {
    *error = "sub-DAG calls cannot run here";
    return false;
  }
  run.command = {};
  run.command.working_dir = settings_.working_dir;
  SetLogCopies(spec, *run.vars, run.command.working_dir, &run.command);
  run.fan_out = spec.call->parallel.has_value();
  std::vector<std::string> items = {""};
  if (run.fan_out) {
    const auto& parallel = *spec.call->parallel;
    run.max_concurrent = parallel.max_concurrent > 0 ? parallel.max_concurrent : 10;
    items.clear();
    for (const std::string& item : parallel.items) items.push_back(eval::Expand(item, *run.vars));
    if (!parallel.items_variable.empty()) {
      items = eval::SplitItems(eval::Expand(parallel.items_variable, *run.vars));
    }
  }
  for (const std::string& item : items) {
    eval::Variables vars = *run.vars;
    if (run.fan_out) vars.Set("ITEM", item);
    std::vector<std::string> argv;
    if (!settings_.sub_dag_command(spec, vars, &argv, error)) return false;
    run.command.argvs.push_back(std::move(argv));
  }
  return true;
}

bool DagRun::BeginAttempt(std::uint32_t step, std::string* error) {
  StepRun& run = runs_[step];
  StepState& state = info_.steps[step];
  run.command_index = 0;
  run.timed_out = false;
  run.stdout_start = LogSize(run.stdout_ahead, state.stdout_file);
  run.stderr_start = LogSize(run.stderr_ahead, state.stderr_file);
  if (run.fan_out) {
    run.children_failed = 0;
    while (run.command_index < run.command.argvs.size() &&
           run.children_running < static_cast<std::size_t>(run.max_concurrent)) {
      if (!SpawnCommand(step, run.command_index, error)) break;
      ++run.command_index;
      ++run.children_running;
    }
    if (run.children_running == 0) {
      if (!error->empty()) return false;
      // No items: nothing to run, nothing failed. The step still leaves its (empty) logs, like
      // any step that succeeded, whether or not they were created ahead: later steps may read
      // ${id.stdout}, and `stdout:` copies them.
      ReleaseLogsAhead(step, /*remove_empty=*/false);
      for (const std::string* path : {&state.stdout_file, &state.stderr_file}) {
        os::UniqueFd(::open(path->c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
      }
      CompleteStep(step, {});
      return true;
    }
    if (!error->empty()) {
      // The children already running finish; the step fails with them.
      ++run.children_failed;
      run.failed_child = {1, 0};
      run.command_index = run.command.argvs.size();
      Record(step, {"spawn.failed", 0, {}}, *error);
    }
  } else if (!SpawnCommand(step, 0, error)) {
    return false;
  }
  if (int timeout = state.step->timeout_sec; timeout > 0) {
    run.timeout_timer = loop_.AddTimer(static_cast<std::int64_t>(timeout) * 1'000'000'000,
                                       [this, step] { OnStepTimeout(step); });
  }
  return true;
}

bool DagRun::SpawnCommand(std::uint32_t step, std::size_t index, std::string* error) {
  StepRun& run = runs_[step];
  StepState& state = info_.steps[step];
  process::SpawnSpec spec{run.command.argvs[index], &run.env, run.command.working_dir,
                          state.stdout_file, state.stderr_file};
  spec.stdout_fd = run.stdout_ahead.get();
  spec.stderr_fd = run.stderr_ahead.get();
  pid_t pid = process::Spawn(spec, error);
  if (pid < 0) return false;
  ReleaseLogsAhead(step, /*remove_empty=*/false);
  guard_->Watch(pid);
  run.pid = pid;
  run.exited_at_ns = 0;
  state.pid = pid;
  running_.emplace(pid, step);
  return true;
}

void DagRun::OnChildExit(const process::Exited& exited) {
  auto it = running_.find(exited.pid);
  if (it == running_.end()) return;  // not a step of this run
  std::uint32_t step = it->second;
  running_.erase(it);
  guard_->Forget(exited.pid);
  runs_[step].pid = 0;
  runs_[step].exited_at_ns = EventLoop::UnixNs();
  exits_.push_back({step, exited.status, false, {}});
  exits_.back().lends_slot = LendsSlot(step);
  // The freed slot is filled before the exit is completed (the step's output, its observers),
  // which would otherwise delay every start of a run kept at max_active_steps.
  if (exits_.back().lends_slot) StartReadySteps();
  if (completing_exits_) return;  // the call below this one completes it in turn
  completing_exits_ = true;
  while (!exits_.empty()) {
    // Children that exited meanwhile, often while a spawn above waited for its child's exec,
    // have their slots refilled before any more completion work.
    loop_.ReapChildren();
    hold_next_notice_ = true;
    CompleteStep(exits_.front().step, exits_.front().status);
    ReleaseSettled();
    const std::optional<std::uint32_t> started = exits_.front().started;
    exits_.pop_front();
    if (started) MarkRunning(*started);
    StartReadySteps();
    hold_next_notice_ = false;
    DeliverHeldNotice();
  }
  completing_exits_ = false;
  Dispatch();
  AdvanceIfIdle();
}

// Whether the exit of `step`, just reaped, may have its slot refilled before it is completed:
// the same step starts as would after completing it. The step starts no process of its own on
// completion (a `parallel:` call's next child, a command list's next command) and does not wait
// for another attempt (a retry or a repeat, which keeps the slot); no dependent of an exit not
// yet completed, this one included, would come before the head of the ready queue (counted
// loosely: a dependent waiting for no more steps than there are exits pending); and no more
// exits than slots wait, so that completions never fall behind the starts without bound.
bool DagRun::LendsSlot(std::uint32_t step) const {
  const StepRun& run = runs_[step];
  const dag::Step& spec = *info_.steps[step].step;
  if (phase_ != Phase::kSteps || halt_ != Halt::kNone || ready_.empty() || IsHandler(step) ||
      run.fan_out || run.command_index + 1 < run.command.argvs.size() || spec.retry_policy ||
      spec.repeat_policy || exits_.size() > static_cast<std::size_t>(dag_.max_active_steps)) {
    return false;
  }
  const std::uint32_t next = ready_.top();
  for (const PendingExit& exit : exits_) {
    for (std::uint32_t dependent : plan_.dependents(exit.step)) {
      if (runs_[dependent].waiting_for <= exits_.size() && dependent < next) return false;
    }
  }
  return true;
}

// Every process group the step has running (several in a fan-out). O(running steps).
void DagRun::SignalStep(std::uint32_t step, int signal) {
  for (const auto& [pid, owner] : running_) {
    if (owner == step) process::SignalGroup(pid, signal);
  }
}

void DagRun::OnStepTimeout(std::uint32_t step) {
  StepRun& run = runs_[step];
  run.timeout_timer = 0;
  if (run.pid == 0 && run.children_running == 0) return;
  run.timed_out = true;
  int timeout = info_.steps[step].step->timeout_sec;
  Record(step, {"timeout", 0, {{"timeout_sec", std::int64_t{timeout}}}},
         "timed out after " + std::to_string(timeout) + "s; stopping the step");
  SignalStep(step, StopSignal(*info_.steps[step].step));
  loop_.AddTimer(static_cast<std::int64_t>(dag_.max_clean_up_time_sec) * 1'000'000'000,
                 [this, step] {
                   const StepRun& run = runs_[step];
                   if (run.timed_out && (run.pid != 0 || run.children_running > 0)) {
                     SignalStep(step, SIGKILL);
                   }
                 });
}

// A child of a fan-out ended: start the next item unless the step is being stopped. True when
// the last child has ended.
bool DagRun::FanOutDone(std::uint32_t step, const process::ExitStatus& exit) {
  StepRun& run = runs_[step];
  --run.children_running;
  if (exit.exit_code != 0) {
    ++run.children_failed;
    run.failed_child = exit;
  }
  if (halt_ != Halt::kNone || run.timed_out) run.command_index = run.command.argvs.size();
  while (run.command_index < run.command.argvs.size() &&
         run.children_running < static_cast<std::size_t>(run.max_concurrent)) {
    std::string error;
    if (SpawnCommand(step, run.command_index, &error)) {
      ++run.children_running;
    } else {
      ++run.children_failed;
      run.failed_child = {1, 0};
      Record(step, {"spawn.failed", 0, {}}, error);
    }
    ++run.command_index;
  }
  if (run.children_running > 0) return false;
  run.pid = 0;
  return true;
}

void DagRun::CompleteStep(std::uint32_t step, const process::ExitStatus& child_exit) {
  StepRun& run = runs_[step];
  StepState& state = info_.steps[step];
  process::ExitStatus exit = child_exit;
  const bool halted = halt_ != Halt::kNone;
  if (run.fan_out) {
    if (run.children_running > 0 && !FanOutDone(step, child_exit)) return;
    exit = run.children_failed > 0 ? run.failed_child : process::ExitStatus{};
  } else if (exit.exit_code == 0 && ++run.command_index < run.command.argvs.size() && !halted &&
             !run.timed_out) {
    std::string error;
    if (SpawnCommand(step, run.command_index, &error)) return;
    Settle(step, Status::kFailed, error);
    return;
  }
  SetExitCode(step, exit.exit_code);
  if (run.timeout_timer != 0) loop_.CancelTimer(run.timeout_timer);
  run.timeout_timer = 0;
  if (run.timed_out) {
    SetExitCode(step, 124);
    Settle(step, Status::kFailed,
           "timed out after " + std::to_string(state.step->timeout_sec) + "s");
    return;
  }
  if (halted) {
    Settle(step, exit.exit_code == 0 ? Status::kSucceeded : Status::kAborted,
           exit.exit_code == 0 ? "" : ExitError(exit));
    return;
  }
  if (exit.exit_code != 0 && RetryLater(step, exit.exit_code)) return;
  std::string error;
  std::optional<bool> repeat = RepeatLater(step, exit.exit_code, &error);
  if (!repeat) {
    Settle(step, Status::kFailed, "repeat_policy: " + error);
    return;
  }
  if (*repeat) return;
  if (std::string copy_error = CopyLogs(run.command, state); !copy_error.empty()) {
    Settle(step, Status::kFailed, copy_error);
    return;
  }
  if (exit.exit_code != 0) {
    run.output_matched = OutputMatches(step);
    Settle(step, Status::kFailed, ExitError(exit));
    return;
  }
  CaptureOutput(step);
}

bool DagRun::RetryLater(std::uint32_t step, int exit_code) {
  StepRun& run = runs_[step];
  StepState& state = info_.steps[step];
  const dag::Step& spec = *state.step;
  if (!spec.retry_policy || state.retry_count >= run.retry.limit) return false;
  const auto& codes = spec.retry_policy->exit_codes;
  if (!codes.empty() && std::find(codes.begin(), codes.end(), exit_code) == codes.end()) {
    return false;
  }
  ++state.retry_count;
  std::int64_t delay = run.retry.backoff.DelayNs(state.retry_count);
  Record(step,
         {"retry",
          0,
          {{"attempt", std::int64_t{state.retry_count}},
           {"exit_code", std::int64_t{exit_code}},
           {"delay_sec", static_cast<double>(delay) / 1e9}}},
         "exit code " + std::to_string(exit_code) + "; retry " + std::to_string(state.retry_count) +
             " of " + std::to_string(run.retry.limit) + " in " + FormatSeconds(delay));
  NotifyStep(step);
  WaitThenAttempt(step, delay);
  return true;
}

// Decides after each execution whether the step runs again (§3.3 repeat_policy); `limit`
// counts every execution. A condition that cannot be evaluated is an error, never a silent
// stop or an endless loop.
std::optional<bool> DagRun::RepeatLater(std::uint32_t step, int exit_code, std::string* error) {
  StepRun& run = runs_[step];
  const dag::Step& spec = *info_.steps[step].step;
  ++run.executions;
  if (!spec.repeat_policy || spec.repeat_policy->mode == dag::RepeatPolicy::Mode::kNone) {
    return false;
  }
  if (run.repeat.limit > 0 && run.executions >= run.repeat.limit) return false;
  const dag::RepeatPolicy& policy = *spec.repeat_policy;
  bool holds = exit_code == 0;
  if (policy.condition) {
    auto result = eval::EvaluateCondition(*policy.condition, *run.vars,
                                          CommandsIn(settings_.working_dir), error);
    if (!result) return std::nullopt;
    holds = result->met;
  } else if (!policy.exit_codes.empty()) {
    holds = std::find(policy.exit_codes.begin(), policy.exit_codes.end(), exit_code) !=
            policy.exit_codes.end();
  }
  bool again = false;
  switch (policy.mode) {
    case dag::RepeatPolicy::Mode::kAlways:
      again = exit_code == 0;
      break;
    case dag::RepeatPolicy::Mode::kWhile:
      again = holds;
      break;
    case dag::RepeatPolicy::Mode::kUntil:
      again = !holds;
      break;
    case dag::RepeatPolicy::Mode::kNone:
      break;
  }
  if (!again) return false;
  std::int64_t delay = run.repeat.backoff.DelayNs(run.executions);
  Record(step,
         {"repeat",
          0,
          {{"execution", std::int64_t{run.executions}},
           {"exit_code", std::int64_t{exit_code}},
           {"delay_sec", static_cast<double>(delay) / 1e9}}},
         "execution " + std::to_string(run.executions) + " ended with exit code " +
             std::to_string(exit_code) + "; repeating in " + FormatSeconds(delay));
  WaitThenAttempt(step, delay);
  return true;
}

void DagRun::WaitThenAttempt(std::uint32_t step, std::int64_t delay_ns) {
  runs_[step].exited_at_ns = 0;  // a step stopped while it waits finishes then
  EventLoop::TimerId timer = loop_.AddTimer(delay_ns, [this, step] {
    waiting_.erase(step);
    if (std::string error; !BeginAttempt(step, &error)) Settle(step, Status::kFailed, error);
    ReleaseSettled();
    Dispatch();
    AdvanceIfIdle();
  });
  waiting_[step] = timer;
}

// The exit code of the step's latest process, also as ${id.exit_code} (a negative code means
// none).
void DagRun::SetExitCode(std::uint32_t step, int exit_code) {
  StepState& state = info_.steps[step];
  state.exit_code = exit_code;
  if (!IsHandler(step) && !state.step->id.empty()) {
    references_->SetExitCode(state.step->id, exit_code);
  }
}

void DagRun::CaptureOutput(std::uint32_t step) {
  const dag::Step& spec = *info_.steps[step].step;
  if (spec.output.empty()) {
    Settle(step, Status::kSucceeded, "");
    return;
  }
  std::string data =
      ReadPrefix(info_.steps[step].stdout_file, runs_[step].stdout_start, dag_.max_output_size);
  if (runs_[step].fan_out) data = JsonLinesAsArray(data);
  if (data.size() > dag_.max_output_size) {
    Settle(step, Status::kFailed,
           "output of `" + spec.output + "` exceeds max_output_size (" +
               std::to_string(dag_.max_output_size) + " bytes)");
    return;
  }
  std::string value = Trim(data);
  if (!IsHandler(step)) outputs_[step] = value;
  info_.outputs.emplace_back(spec.output, std::move(value));
  Settle(step, Status::kSucceeded, "");
}

// continue_on.output: any pattern found in what the failed attempt wrote (stdout, then stderr;
// at most max_output_size of each is read).
bool DagRun::OutputMatches(std::uint32_t step) {
  const auto& continue_on = info_.steps[step].step->continue_on;
  if (!continue_on || continue_on->output.empty()) return false;
  const StepState& state = info_.steps[step];
  std::string text = ReadPrefix(state.stdout_file, runs_[step].stdout_start, dag_.max_output_size);
  if (state.stderr_file != state.stdout_file) {
    text += ReadPrefix(state.stderr_file, runs_[step].stderr_start, dag_.max_output_size);
  }
  for (const std::string& pattern : continue_on->output) {
    std::string error;  // an invalid regex matches nothing; the loader reports it
    bool found = pattern.rfind("re:", 0) == 0
                     ? eval::MatchesExpected(text, pattern, &error).value_or(false)
                     : text.find(pattern) != std::string::npos;
    if (found) return true;
  }
  return false;
}

bool DagRun::ContinuesAfter(std::uint32_t step) const {
  const auto& continue_on = info_.steps[step].step->continue_on;
  const StepState& state = info_.steps[step];
  if (!continue_on) return false;
  if (state.status == Status::kSkipped) return continue_on->skipped;
  if (state.status != Status::kFailed) return false;
  if (continue_on->failure || runs_[step].output_matched) return true;
  return std::find(continue_on->exit_codes.begin(), continue_on->exit_codes.end(),
                   state.exit_code) != continue_on->exit_codes.end();
}

void DagRun::Settle(std::uint32_t step, Status status, std::string error) {
  StepState& state = info_.steps[step];
  StepRun& run = runs_[step];
  state.status = status;
  state.error = std::move(error);
  if (status == Status::kFailed && state.step->continue_on &&
      state.step->continue_on->mark_success && ContinuesAfter(step)) {
    state.status = Status::kSucceeded;
  }
  // A step that ran finished when its process did, not when its completion was handled.
  if (!kept_.contains(step)) {
    state.finished_at_ns = run.exited_at_ns != 0 ? run.exited_at_ns : EventLoop::UnixNs();
  }
  if (state.started_at_ns == 0) state.started_at_ns = state.finished_at_ns;
  if (!IsHandler(step) && !state.step->id.empty() && !state.step->output.empty()) {
    references_->SetOutput(state.step->id, outputs_[step]);
  }
  ReleaseLogsAhead(step, /*remove_empty=*/true);
  // A settled step keeps only what observers and later steps read.
  run.vars.reset();
  run.env = process::Environment();
  run.command = {};
  NotifyStep(step);
  if (IsHandler(step)) {
    OnHandlerSettled(step);
    return;
  }
  ++settled_count_;
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
      } else if (halt_ != Halt::kNone || phase_ != Phase::kSteps) {
        Settle(dependent, Status::kAborted,
               halt_ == Halt::kTimedOut ? "run timed out"
               : init_failed_           ? "init handler failed"
                                        : "run stopped");
      } else {
        ready_.push(dependent);
      }
    }
  }
}

// Settles every DAG step that has not started (and every step waiting for a retry or repeat)
// as aborted; steps that depend on them follow through ReleaseSettled.
void DagRun::AbortPending(const std::string& reason) {
  while (!ready_.empty()) {
    std::uint32_t step = ready_.top();
    ready_.pop();
    Settle(step, Status::kAborted, reason);
  }
  for (const auto& [step, timer] : waiting_) {
    loop_.CancelTimer(timer);
    Settle(step, Status::kAborted, reason);
  }
  waiting_.clear();
  if (phase_ == Phase::kDelay || phase_ == Phase::kInit) {
    // Nothing was released yet: settle the roots, their dependents follow.
    for (std::uint32_t i = 0; i < plan_.size(); ++i) {
      if (info_.steps[i].status == Status::kNotStarted && runs_[i].waiting_for == 0) {
        Settle(i, Status::kAborted, reason);
      }
    }
  }
  ReleaseSettled();
}

void DagRun::RequestStop() { StopRunning(Halt::kStopped); }

void DagRun::StopRunning(Halt reason) {
  if (phase_ == Phase::kDone) return;
  if (++stop_requests_ > 1) {
    // Kill at once; handlers not yet started will not start.
    handler_queue_.clear();
    for (const auto& [pid, step] : running_) process::SignalGroup(pid, SIGKILL);
    return;
  }
  halt_ = reason;
  if (reason == Halt::kTimedOut) {
    info_.error = "run timed out after " + std::to_string(dag_.timeout_sec) + "s";
  }
  if (phase_ == Phase::kDelay) {
    loop_.CancelTimer(delay_timer_);
    Begin();
    return;
  }
  AbortPending(reason == Halt::kTimedOut ? "run timed out" : "run stopped");
  if (phase_ == Phase::kHandlers && reason == Halt::kStopped) {
    // What is left of the handlers becomes abort then exit.
    bool abort_started = false;
    for (std::size_t i = plan_.size(); i < info_.steps.size(); ++i) {
      abort_started |= info_.steps[i].handler == HandlerKind::kAbort;
    }
    std::erase_if(handler_queue_, [](HandlerKind k) { return k != HandlerKind::kExit; });
    if (!abort_started) handler_queue_.insert(handler_queue_.begin(), HandlerKind::kAbort);
  }
  std::vector<pid_t> signalled;
  for (const auto& [pid, step] : running_) {
    int sig = StopSignal(*info_.steps[step].step);
    Record(step, {"signal", 0, {{"signal", std::string("SIG") + sigabbrev_np(sig)}}},
           std::string("run ") + (reason == Halt::kTimedOut ? "timed out" : "stopped") +
               "; sending SIG" + sigabbrev_np(sig));
    process::SignalGroup(pid, sig);
    signalled.push_back(pid);
  }
  if (!signalled.empty()) {
    loop_.AddTimer(static_cast<std::int64_t>(dag_.max_clean_up_time_sec) * 1'000'000'000,
                   [this, signalled] {
                     for (pid_t pid : signalled) {
                       if (running_.count(pid)) process::SignalGroup(pid, SIGKILL);
                     }
                   });
  }
  AdvanceIfIdle();
}

// The outcome of the DAG's steps (§3.1), before any handler runs.
Status DagRun::OutcomeOfSteps() const {
  if (halt_ == Halt::kStopped) return Status::kAborted;
  if (halt_ == Halt::kTimedOut || init_failed_) return Status::kFailed;
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

// When the DAG's steps are all settled and nothing runs, the handlers take over.
void DagRun::AdvanceIfIdle() {
  if (phase_ != Phase::kSteps || settled_count_ < plan_.size() || !running_.empty() ||
      !waiting_.empty()) {
    return;
  }
  EnterHandlers();
}

// success for succeeded and partially_succeeded runs, failure, or abort; exit always, last.
void DagRun::EnterHandlers() {
  phase_ = Phase::kHandlers;
  if (run_timer_ != 0) loop_.CancelTimer(run_timer_);
  run_timer_ = 0;
  outcome_ = OutcomeOfSteps();
  HandlerKind first = outcome_ == Status::kAborted  ? HandlerKind::kAbort
                      : outcome_ == Status::kFailed ? HandlerKind::kFailure
                                                    : HandlerKind::kSuccess;
  handler_queue_ = {first, HandlerKind::kExit};
  if (stop_requests_ > 1) handler_queue_.clear();
  StartNextHandler();
}

void DagRun::StartNextHandler() {
  while (!handler_queue_.empty()) {
    HandlerKind kind = handler_queue_.front();
    handler_queue_.erase(handler_queue_.begin());
    const dag::Step* spec = HandlerStep(dag_.handler_on, kind);
    if (spec == nullptr) continue;
    auto step = static_cast<std::uint32_t>(info_.steps.size());
    StepState& state = info_.steps.emplace_back();
    state.step = spec;
    state.handler = kind;
    state.stdout_file = LogPath(step, "out");
    state.stderr_file =
        spec->log_output == dag::LogOutput::kMerged ? state.stdout_file : LogPath(step, "err");
    runs_.emplace_back();
    StartStep(step);
    return;
  }
  if (phase_ == Phase::kHandlers) Finish();
}

void DagRun::OnHandlerSettled(std::uint32_t step) {
  const StepState& state = info_.steps[step];
  bool failed = state.status != Status::kSucceeded && state.status != Status::kSkipped;
  if (state.handler == HandlerKind::kInit) {
    if (failed || halt_ != Halt::kNone) {
      init_failed_ = failed;
      if (failed && info_.error.empty()) info_.error = "init handler: " + state.error;
      AbortPending(halt_ == Halt::kNone ? "init handler failed" : "run stopped");
      EnterHandlers();
    } else {
      StartSteps();
    }
    return;
  }
  handler_failed_ |= failed;
  StartNextHandler();
}

void DagRun::Finish() {
  phase_ = Phase::kDone;
  if (run_timer_ != 0) loop_.CancelTimer(run_timer_);
  if (precondition_unmet_) {
    info_.status = Status::kAborted;
  } else {
    info_.status = OutcomeOfSteps();
    if (handler_failed_ && info_.status != Status::kAborted) info_.status = Status::kFailed;
  }
  info_.finished_at_ns = EventLoop::UnixNs();
  DeliverHeldNotice();
  for (auto* o : observers_) o->OnRunFinished(info_);
  loop_.Quit();
}

}  // namespace weft::engine
