// Variable expansion (eval::Expand) of step commands: every command line and env value of every
// step goes through it when the step starts.

#include <benchmark/benchmark.h>

#include <string>

#include "eval/expand.h"
#include "eval/variables.h"

namespace weft::bench {
namespace {

// A run's scope: built-ins, params, env, an upstream JSON output; 60 variables in all.
eval::Variables RunScope() {
  eval::Variables vars;
  for (int i = 0; i < 50; ++i) vars.Set("VAR_" + std::to_string(i), "value-" + std::to_string(i));
  vars.Set("DAG_NAME", "etl");
  vars.Set("DAG_RUN_ID", "0192c3a4-7b7e-7cc1-9b51-8d7b2f0e4a11");
  vars.Set("DAG_RUN_LOG_FILE", "/home/u/.local/share/weft/runs/etl/0192c3a4/run.log");
  vars.Set("1", "first");
  vars.Set("DAY", "2024-06-01");
  vars.Set("fetch.output", R"({"rows":[{"id":1,"name":"a"},{"id":2,"name":"b"}],"total":2})");
  vars.Set("fetch.stdout", "/home/u/.local/share/weft/runs/etl/0192c3a4/0-fetch.out");
  for (int i = 0; i < 3; ++i) vars.Set("CFG_" + std::to_string(i), "/etc/etl/" + std::to_string(i));
  return vars;
}

void BM_ExpandCommand(benchmark::State& state) {
  const eval::Variables vars = RunScope();
  const std::string command =
      "python3 load.py --day ${DAY} --run $DAG_RUN_ID --rows ${fetch.output.total} "
      "--first '${fetch.output.rows[0].name}' --in ${fetch.stdout} --log \"$DAG_RUN_LOG_FILE\" "
      "--cfg ${CFG_2} --keep \\$HOME --unknown ${NOT_SET} $1";
  const eval::ExpandOptions shell{.respect_single_quotes = true};
  for (auto _ : state) benchmark::DoNotOptimize(eval::Expand(command, vars, shell));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(command.size()));
}
BENCHMARK(BM_ExpandCommand);

// A long script with a reference every ~100 bytes: expansion must stay linear in the text.
void BM_ExpandScript(benchmark::State& state) {
  const eval::Variables vars = RunScope();
  std::string script;
  while (script.size() < static_cast<std::size_t>(state.range(0))) {
    script += "echo \"processing ${VAR_7} for ${DAY} in ${DAG_NAME}\" >> \"$DAG_RUN_LOG_FILE\"\n";
  }
  for (auto _ : state) benchmark::DoNotOptimize(eval::Expand(script, vars));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(script.size()));
}
BENCHMARK(BM_ExpandScript)->Arg(1 << 10)->Arg(1 << 16);

}  // namespace
}  // namespace weft::bench
