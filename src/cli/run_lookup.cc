#include "cli/run_lookup.h"

#include <fmt/format.h>

#include <cstdio>

#include "cli/paths.h"
#include "dag/loader.h"

namespace weft::cli {

std::string DagName(const std::string& arg) {
  std::string tried;
  std::string file = ResolveDagFile(arg, WeftHome() + "/dags", &tried);
  if (!file.empty()) {
    dag::LoadResult loaded = dag::LoadFile(file);
    if (loaded.ok()) return loaded.dag->name;
  }
  return arg;
}

std::optional<store::RunRecord> FindRun(store::RunStore& store, const std::string& name,
                                        const std::string& run_id) {
  std::optional<store::RunRecord> run =
      run_id.empty() ? store.LatestRun(name) : store.FindRun({name, run_id});
  if (!run) {
    if (run_id.empty()) {
      fmt::print(stderr, "weft: no runs of DAG `{}` in {}\n", name, store.path());
    } else {
      fmt::print(stderr, "weft: no run `{}` of DAG `{}` in {}\n", run_id, name, store.path());
    }
  }
  return run;
}

}  // namespace weft::cli
