// start, dry and validate: the verbs that load a DAG file.

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/dag_loading.h"
#include "cli/paths.h"
#include "cli/terminal_view.h"
#include "engine/dag_run.h"
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

}  // namespace

int Start(const StartFlags& flags) {
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

  std::unique_ptr<store::RunStore> store;
  try {
    store = std::make_unique<store::RunStore>(home);
  } catch (const std::exception& e) {
    fmt::print(stderr, "weft: {}\n", e.what());
    return 2;
  }
  store::StoreObserver recorder(*store);

  engine::EventLoop loop;
  bool terminal = isatty(STDOUT_FILENO) == 1 && !flags.quiet;
  TerminalView view(stdout, terminal ? TerminalView::Mode::kLive : TerminalView::Mode::kPlain, loop,
                    terminal);

  engine::DagRun run(std::move(info), prepared.scope.variables,
                     engine::RunSettings{prepared.working_dir, prepared.default_shell}, loop);
  run.AddObserver(&recorder);
  run.AddObserver(&view);
  loop.OnSignal([&run](int) { run.RequestStop(); });
  engine::Status status = run.Execute();
  if (!recorder.complete()) {
    fmt::print(stderr, "weft: the record of run {} of `{}` in {} is incomplete (see above)\n",
               run.info().run_id, dag.name, store->path());
  }
  return status == engine::Status::kSucceeded ? 0 : 1;
}

int Dry(const StartFlags& flags) {
  PreparedRun prepared;
  std::string home = WeftHome();
  if (!PrepareRun(flags, home, &prepared, /*dry=*/true)) return 2;
  std::fputs(DescribePlan(prepared).c_str(), stdout);
  return 0;
}

int Validate(const LoadFlags& flags, const std::vector<std::string>& dags) {
  int exit_code = 0;
  for (const auto& arg : dags) {
    std::shared_ptr<const dag::Dag> dag = LoadDag(flags, arg);
    if (!dag) {
      exit_code = 2;
      continue;
    }
    fmt::print("{}: ok ({} steps)\n", dag->file, dag->steps.size());
  }
  return exit_code;
}

}  // namespace weft::cli
