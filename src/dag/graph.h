#pragma once

// The order of steps (§2.3): resolves each step's `depends` (names or ids) into indices under
// the `type` rule, and rejects what cannot run: duplicate names or ids, unknown dependencies
// and cycles. Runs in O(steps + edges), so a 100,000-step chain resolves in milliseconds.

#include <optional>
#include <vector>

#include "dag/dag.h"
#include "dag/diagnostic.h"

namespace weft::dag {

// What the model does not keep about a step's `depends`.
struct DependsSource {
  bool written = false;         // `depends:` was given, even as an empty list
  std::vector<Location> where;  // one per Step::depends entry
};

// Fills Step::depends_on of every step and returns the DAG's type:
// - graph: a step waits only for its `depends`;
// - chain: a step without `depends` waits for the one before it;
// - no `type`: graph when any step has a non-empty `depends`, else chain.
// `sources` has one entry per step. Reports every problem found.
DagType ResolveDependencies(std::optional<DagType> declared, std::vector<Step>& steps,
                            const std::vector<DependsSource>& sources, DiagnosticLog& log);

}  // namespace weft::dag
