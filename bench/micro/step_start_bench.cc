// Starting steps (engine::DagRun) in a chain where every step has an id: each start builds the
// step's variables and its process environment, and expands its command. That work must not
// grow with the number of steps: a step's scope is an overlay on the run's, and ${id.stdout}
// and friends are looked up when a text names them, not copied into every step (which cost
// O(steps) per step, O(steps²) per run). The time per step (items/s) must stay flat from 100 to
// 600 steps.
//
// No process runs: the DAG's shell is found nowhere on PATH, so each step fails as it starts,
// before any spawn, and `continue_on: failure` starts the next one. Each run also forks the
// run's group guard once.

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "dag/loader.h"
#include "dag_text.h"
#include "engine/dag_run.h"
#include "engine/event_loop.h"
#include "eval/variables.h"

namespace weft::bench {
namespace {

// A run's scope the size of a usual process environment plus built-ins and params.
eval::Variables RunScope() {
  eval::Variables vars;
  for (int i = 0; i < 60; ++i) {
    vars.Set("ENV_" + std::to_string(i), "/usr/local/lib/value-" + std::to_string(i));
  }
  vars.Set("PATH", "/nonexistent/weft-bench-bin");
  vars.Set("DAG_NAME", "ids");
  vars.Set("DAG_RUN_ID", "0192c3a4-7b7e-7cc1-9b51-8d7b2f0e4a11");
  return vars;
}

void BM_StartStepsWithIds(benchmark::State& state) {
  const int steps = static_cast<int>(state.range(0));
  dag::LoadResult loaded =
      dag::LoadString(ChainWithIdsDag(steps, "weft-bench-no-such-shell"), "/bench/ids.yaml");
  if (!loaded.ok()) return state.SkipWithError("the generated DAG does not load");
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("weft-step-start-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const eval::Variables scope = RunScope();
  engine::EventLoop::BlockSignals();
  for (auto _ : state) {
    engine::RunInfo info;
    info.dag = loaded.dag;
    info.run_id = "r1";
    info.run_dir = dir.string();
    engine::EventLoop loop;
    engine::DagRun run(std::move(info), scope, engine::RunSettings{dir.string(), "", {}}, loop);
    if (run.Execute() != engine::Status::kFailed) {
      state.SkipWithError("the steps did not fail as they started");
      break;
    }
  }
  std::filesystem::remove_all(dir);
  state.SetItemsProcessed(state.iterations() * steps);
}
BENCHMARK(BM_StartStepsWithIds)->Arg(100)->Arg(300)->Arg(600)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace weft::bench
