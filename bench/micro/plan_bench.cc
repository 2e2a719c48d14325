// Readiness propagation: building the engine's Plan (dependents as CSR, dependency counts) and
// walking it the way DagRun releases steps: a settled step decrements the count of each of its
// dependents and a dependent whose count reaches zero joins the ready queue. Each settled step
// should cost its out-degree, whatever the size of the DAG.

#include <benchmark/benchmark.h>

#include <functional>
#include <memory>
#include <queue>
#include <vector>

#include "dag/loader.h"
#include "dag_text.h"
#include "engine/plan.h"

namespace weft::bench {
namespace {

std::shared_ptr<const dag::Dag> Loaded(const std::string& text) {
  dag::LoadResult loaded = dag::LoadString(text, "/bench/dag.yaml");
  return loaded.ok() ? loaded.dag : nullptr;
}

// The DAG a benchmark with arguments (layers, width) runs on; a chain is layers x 1.
std::shared_ptr<const dag::Dag> DagFor(const benchmark::State& state) {
  const int layers = static_cast<int>(state.range(0));
  const int width = static_cast<int>(state.range(1));
  return Loaded(width == 1 ? ChainDag(layers) : LayeredDag(layers, width));
}

std::int64_t Edges(const dag::Dag& dag) {
  std::int64_t edges = 0;
  for (const dag::Step& step : dag.steps)
    edges += static_cast<std::int64_t>(step.depends_on.size());
  return edges;
}

void BM_PlanBuild(benchmark::State& state) {
  auto dag = DagFor(state);
  if (!dag) return state.SkipWithError("the generated DAG does not load");
  for (auto _ : state) {
    engine::Plan plan(*dag);
    benchmark::DoNotOptimize(plan.size());
  }
  state.SetItemsProcessed(state.iterations() * Edges(*dag));
}

// Settles every step in ready order (lowest index first, as DagRun's ready queue does).
void BM_ReadinessPropagation(benchmark::State& state) {
  auto dag = DagFor(state);
  if (!dag) return state.SkipWithError("the generated DAG does not load");
  const engine::Plan plan(*dag);
  std::vector<std::uint32_t> waiting(plan.size());
  for (auto _ : state) {
    std::priority_queue<std::uint32_t, std::vector<std::uint32_t>, std::greater<>> ready;
    for (std::uint32_t i = 0; i < plan.size(); ++i) {
      waiting[i] = plan.dependency_count(i);
      if (waiting[i] == 0) ready.push(i);
    }
    std::uint32_t settled = 0;
    while (!ready.empty()) {
      const std::uint32_t step = ready.top();
      ready.pop();
      ++settled;
      for (std::uint32_t dependent : plan.dependents(step)) {
        if (--waiting[dependent] == 0) ready.push(dependent);
      }
    }
    if (settled != plan.size()) return state.SkipWithError("not every step became ready");
  }
  state.SetItemsProcessed(state.iterations() * Edges(*dag));
}

BENCHMARK(BM_PlanBuild)->Args({100'000, 1})->Args({10, 100})->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ReadinessPropagation)
    ->Args({100'000, 1})
    ->Args({10, 100})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace weft::bench
