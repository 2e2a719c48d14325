// Loading a large DAG: YAML parse, step parsing, name resolution and the dependency graph checks
// (dag::LoadString), the path `weft validate` and `weft start` take before anything runs.

#include <benchmark/benchmark.h>

#include "dag/loader.h"
#include "dag_text.h"

namespace weft::bench {
namespace {

void Load(benchmark::State& state, const std::string& text, std::int64_t steps) {
  for (auto _ : state) {
    dag::LoadResult loaded = dag::LoadString(text, "/bench/dag.yaml");
    if (!loaded.ok()) {
      state.SkipWithError("the generated DAG does not load");
      break;
    }
    benchmark::DoNotOptimize(loaded.dag);
  }
  state.SetItemsProcessed(state.iterations() * steps);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}

void BM_LoadChain(benchmark::State& state) {
  const int steps = static_cast<int>(state.range(0));
  Load(state, ChainDag(steps), steps);
}
BENCHMARK(BM_LoadChain)->Arg(1000)->Arg(100'000)->Unit(benchmark::kMillisecond);

void BM_LoadLayered(benchmark::State& state) {
  const int layers = static_cast<int>(state.range(0));
  const int width = static_cast<int>(state.range(1));
  Load(state, LayeredDag(layers, width), std::int64_t{layers} * width);
  state.counters["edges"] = static_cast<double>((layers - 1) * width * width);
}
BENCHMARK(BM_LoadLayered)->Args({10, 100})->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace weft::bench
