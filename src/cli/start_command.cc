// start, dry and validate: the verbs that load a DAG file.

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/dag_loading.h"
#include "cli/paths.h"
#include "cli/run_lookup.h"
#include "cli/run_tracing.h"
#include "cli/sub_dag.h"
#include "cli/terminal_view.h"
#include "engine/dag_run.h"
#include "eval/run_scope.h"
#include "eval/secrets.h"
#include "process/group_guard.h"
#include "store/run_store.h"
#include "store/store_observer.h"

extern char** environ;

namespace weft::cli {
namespace {

std::optional<engine::RunRef> ParseRunRef(const std::string& text) {
  auto colon = text.rfind(':');
  if (text.empty() || colon == std::string::npos) return std::nullopt;
  return engine::RunRef{text.substr(0, colon), text.substr(colon + 1)};
}

// Prints the tracing config's warnings and errors; false when it cannot be used.
bool PrintTracingProblems(const dag::Dag& dag, const trace::otlp::ResolvedExportConfig& tracing) {
  for (const auto& w : tracing.warnings) fmt::print(stderr, "{}: warning: otel: {}\n", dag.file, w);
  for (const auto& e : tracing.errors) fmt::print(stderr, "{}: error: otel: {}\n", dag.file, e);
  return tracing.ok();
}

// The tracing part of `dry` and `validate`, with the run's secrets masked (a resource attribute
// or the endpoint may be built from one).
std::string DescribeTracing(const trace::otlp::ExportConfig& config,
                            const eval::SecretMasker& secrets) {
  if (!config.enabled) {
    return "tracing: local record only (no otel export configured)\n";
  }
  std::string out = "tracing:\n";
  std::string text = trace::otlp::DescribeExportConfig(config);
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out += "  " + text.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return secrets.Mask(out);
}

bool HasCallSteps(const dag::Dag& dag) {
  return std::any_of(dag.steps.begin(), dag.steps.end(), [](const auto& s) { return s.call; });
}

std::string ThisExecutable() {
  std::error_code ec;
  std::string path = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  return ec ? "weft" : path;
}

// What a child run prints on stdout for its calling step (§4): one JSON object in one write,
// so the results of a fan-out's children, appending to the same log, never interleave. The
// params are shown as `weft status` shows them, secret ones masked: this lands in a log, and
// in any `stdout:` copy of it.
void PrintChildResult(const engine::RunInfo& info) {
  nlohmann::json outputs = nlohmann::json::object();
  for (const auto& [name, value] : info.outputs) outputs[name] = value;
  nlohmann::json params = nlohmann::json::parse(
      eval::MaskSecretParams(info.params_json, info.dag->secrets), nullptr, false);
  nlohmann::json result = {{"name", info.dag->name},
                           {"run_id", info.run_id},
                           {"status", engine::ToString(info.status)},
                           {"params", params.is_discarded() ? nlohmann::json::object() : params},
                           {"outputs", outputs}};
  std::string line = result.dump() + "\n";
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

// Starts the run and waits for its end; `kept` are steps of an earlier attempt that settle as
// they did (weft retry).
int RunDag(const StartFlags& flags, std::vector<engine::PriorStep> kept) {
  // Before anything is loaded: fork copies what weft holds by then (engine::RunSettings::guard).
  process::GroupGuard guard;
  std::string guard_error;
  guard.Start(&guard_error);
  PreparedRun prepared;
  std::string home = WeftHome();
  if (!PrepareRun(flags, home, &prepared)) return 2;
  const dag::Dag& dag = *prepared.dag;

  engine::RunInfo info;
  info.dag = prepared.dag;
  info.run_id = prepared.run_id;
  info.run_dir = prepared.run_dir;
  info.params_json = prepared.scope.params_json;
  if (!flags.parent.empty()) info.parent = ParseRunRef(flags.parent);
  if (!flags.root.empty()) info.root = ParseRunRef(flags.root);

  std::string error;
  std::unique_ptr<RunTracing> tracing = RunTracing::Create(
      dag, prepared.scope.variables, prepared.secrets, prepared.run_dir, home, &error);
  if (!tracing) {
    fmt::print(stderr, "weft: {}: {}\n", dag.file, prepared.secrets.Mask(error));
    return 2;
  }
  info.trace_id = tracing->trace_id();
  for (auto& [name, value] : tracing->ExporterEnvironment()) {
    prepared.scope.variables.Set(name, std::move(value));
  }

  std::unique_ptr<store::RunStore> store;
  try {
    store = std::make_unique<store::RunStore>(home);
  } catch (const std::exception& e) {
    fmt::print(stderr, "weft: {}\n", e.what());
    return 2;
  }
  store::StoreObserver recorder(*store, flags.parent_step, prepared.secrets);

  // A child run's stdout is its calling step's: it carries the result, progress goes to stderr.
  const bool child = info.parent.has_value();
  engine::EventLoop loop;
  bool terminal = !child && isatty(STDOUT_FILENO) == 1 && !flags.quiet;
  TerminalView view(child ? stderr : stdout,
                    terminal ? TerminalView::Mode::kLive : TerminalView::Mode::kPlain, loop,
                    terminal, prepared.secrets);

  info.error = guard_error;  // a run goes on unguarded
  engine::RunSettings settings{prepared.working_dir, prepared.default_shell, {}, &guard};
  ChildRunContext children;
  if (HasCallSteps(dag)) {
    children.weft = ThisExecutable();
    children.scope = prepared.sub_dags;
    children.parent = {dag.name, info.run_id};
    children.root = info.root ? *info.root : children.parent;
    children.base_file = flags.load.base_file;
    children.dags_dir = flags.load.dags_dir;
    children.parent_otel = WriteParentOtel(
        eval::ExpandOtelConfig(dag.otel, prepared.scope.variables), prepared.run_dir, &error);
    if (!error.empty()) {
      fmt::print(stderr, "weft: {}\n", error);
      return 2;
    }
    settings.sub_dag_command = [&children](const dag::Step& step, const eval::Variables& vars,
                                           std::vector<std::string>* argv, std::string* error) {
      return ChildCommand(children, step, vars, argv, error);
    };
  }
  engine::DagRun run(std::move(info), prepared.scope.variables, std::move(settings), loop);
  run.KeepPriorSteps(std::move(kept));
  run.AddObserver(tracing->observer());
  run.AddObserver(&recorder);
  run.AddObserver(&view);
  loop.OnSignal([&run](int) { run.RequestStop(); });
  engine::Status status = run.Execute();
  trace::otlp::ExportCounters spans = tracing->Finish();
  try {
    store->SetSpanCounters(
        {dag.name, run.info().run_id},
        {static_cast<std::int64_t>(spans.exported), static_cast<std::int64_t>(spans.retried),
         static_cast<std::int64_t>(spans.spooled), static_cast<std::int64_t>(spans.dropped)});
  } catch (const std::exception& e) {
    fmt::print(stderr, "weft: {}\n", e.what());
  }
  if (spans.spooled > 0) {
    fmt::print(stderr,
               "weft: {} spans could not be delivered to {} and were spooled; the next run "
               "or `weft otel flush {}` delivers them\n",
               spans.spooled, tracing->shown_endpoint(), flags.dag);
  }
  if (!recorder.complete()) {
    fmt::print(stderr, "weft: the record of run {} of `{}` in {} is incomplete (see above)\n",
               run.info().run_id, dag.name, store->path());
  }
  if (child) PrintChildResult(run.info());
  return status == engine::Status::kSucceeded ? 0 : 1;
}

}  // namespace

int Start(const StartFlags& flags) { return RunDag(flags, {}); }

int Retry(const RetryFlags& flags) {
  StartFlags start;
  start.load = flags.load;
  start.dag = flags.dag;
  start.run_id = flags.run_id;
  start.quiet = flags.quiet;
  std::vector<engine::PriorStep> kept;
  try {
    store::RunStore store(WeftHome());
    std::optional<store::RunRecord> run = FindRun(store, DagName(flags.dag), flags.run_id);
    if (!run) return 1;
    if (run->status == engine::Status::kRunning) {
      fmt::print(stderr, "weft: run {} of `{}` is still running; stop it first\n", run->run_id,
                 run->dag_name);
      return 1;
    }
    // The same params as before, as the words after `--`.
    auto params = nlohmann::json::parse(run->params_json, nullptr, false);
    if (params.is_object()) {
      for (const auto& [name, value] : params.items()) {
        std::string text = value.is_string() ? value.get<std::string>() : value.dump();
        bool positional =
            !name.empty() && name.find_first_not_of("0123456789") == std::string::npos;
        start.params.push_back(positional ? text : name + "=" + text);
      }
    }
    if (run->parent) start.parent = run->parent->name + ":" + run->parent->run_id;
    if (run->root) start.root = run->root->name + ":" + run->root->run_id;
    start.parent_step = run->parent_step;
    store::Outputs outputs = store.RunOutputs(run->ref());
    std::vector<store::StepRecord> steps = store.Steps(run->ref());
    bool found = flags.step.empty();
    for (const store::StepRecord& step : steps) {
      if (step.handler != engine::HandlerKind::kNone) continue;
      found |= step.name == flags.step;
      bool again =
          flags.step.empty() ? step.status != engine::Status::kSucceeded : step.name == flags.step;
      if (again) continue;
      engine::PriorStep prior{static_cast<std::uint32_t>(step.index),
                              step.status,
                              step.exit_code,
                              step.started_at_ns,
                              step.finished_at_ns,
                              step.retry_count,
                              step.error,
                              ""};
      kept.push_back(std::move(prior));
    }
    if (!found) {
      fmt::print(stderr, "weft: run {} of `{}` has no step `{}`\n", run->run_id, run->dag_name,
                 flags.step);
      return 1;
    }
    // A kept step's output is the value stored under its output name.
    std::shared_ptr<const dag::Dag> dag = LoadDag(flags.load, flags.dag);
    if (!dag) return 2;
    for (engine::PriorStep& prior : kept) {
      if (prior.index >= dag->steps.size()) continue;
      const std::string& name = dag->steps[prior.index].output;
      for (const auto& [key, value] : outputs) {
        if (!name.empty() && key == name) prior.output = value;
      }
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "weft: {}\n", e.what());
    return 2;
  }
  return RunDag(start, std::move(kept));
}

int Dry(const StartFlags& flags) {
  PreparedRun prepared;
  std::string home = WeftHome();
  if (!PrepareRun(flags, home, &prepared, /*dry=*/true)) return 2;
  auto tracing = ResolveTracing(*prepared.dag, prepared.scope.variables);
  if (!PrintTracingProblems(*prepared.dag, tracing)) return 2;
  std::fputs(DescribePlan(prepared).c_str(), stdout);
  std::fputs(DescribeTracing(tracing.config, prepared.secrets).c_str(), stdout);
  return 0;
}

int Validate(const LoadFlags& flags, const std::vector<std::string>& dags) {
  int exit_code = 0;
  std::string home = WeftHome();
  for (const auto& arg : dags) {
    StartFlags start;
    start.load = flags;
    start.dag = arg;
    PreparedRun prepared;
    if (!PrepareRun(start, home, &prepared, /*dry=*/true)) {
      exit_code = 2;
      continue;
    }
    auto tracing = ResolveTracing(*prepared.dag, prepared.scope.variables);
    if (!PrintTracingProblems(*prepared.dag, tracing)) {
      exit_code = 2;
      continue;
    }
    fmt::print("{}: ok ({} steps)\n", prepared.dag->file, prepared.dag->steps.size());
    if (tracing.config.enabled) {
      std::fputs(DescribeTracing(tracing.config, prepared.secrets).c_str(), stdout);
    }
  }
  return exit_code;
}

}  // namespace weft::cli
