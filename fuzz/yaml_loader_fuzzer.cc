// The DAG loader on arbitrary bytes: both key dialects, several documents, anchors and merge
// keys. Besides not crashing, hanging or leaking, a load either fails with located errors or
// yields a DAG whose dependencies point at real steps and form no cycle (§2.3).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "check.h"
#include "dag/loader.h"

namespace {

// Kahn's algorithm: true when every step can be ordered after its dependencies.
bool IsAcyclic(const weft::dag::Dag& dag) {
  const std::size_t n = dag.steps.size();
  std::vector<std::size_t> waiting(n);
  std::vector<std::vector<std::size_t>> dependents(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::uint32_t d : dag.steps[i].depends_on) {
      WEFT_FUZZ_CHECK(d < n);
      dependents[d].push_back(i);
      ++waiting[i];
    }
  }
  std::vector<std::size_t> ready;
  for (std::size_t i = 0; i < n; ++i) {
    if (waiting[i] == 0) ready.push_back(i);
  }
  std::size_t ordered = 0;
  while (!ready.empty()) {
    const std::size_t step = ready.back();
    ready.pop_back();
    ++ordered;
    for (std::size_t next : dependents[step]) {
      if (--waiting[next] == 0) ready.push_back(next);
    }
  }
  return ordered == n;
}

void CheckDag(const weft::dag::Dag& dag) {
  WEFT_FUZZ_CHECK(!dag.name.empty());
  WEFT_FUZZ_CHECK(IsAcyclic(dag));
  for (const auto& local : dag.local_dags) {
    WEFT_FUZZ_CHECK(local != nullptr);
    WEFT_FUZZ_CHECK(IsAcyclic(*local));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const weft::dag::LoadResult result = weft::dag::LoadString(text, "/fuzz/dag.yaml");
  WEFT_FUZZ_CHECK(result.ok() == result.errors.empty());
  for (const auto& diagnostics : {result.errors, result.warnings}) {
    for (const auto& d : diagnostics) {
      WEFT_FUZZ_CHECK(d.line >= 0 && d.column >= 0);
      WEFT_FUZZ_CHECK(!d.message.empty());
    }
  }
  if (result.ok()) CheckDag(*result.dag);
  return 0;
}
