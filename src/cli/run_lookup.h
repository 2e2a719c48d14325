#pragma once

// How the verbs that act on a stored run (status, logs, trace, stop, retry) find it: a DAG
// argument that is a file or a name, and --run-id or the latest run.

#include <optional>
#include <string>

#include "store/run_store.h"

namespace weft::cli {

// A DAG argument of a query: a DAG file (its name is read from it) or a DAG name.
std::string DagName(const std::string& arg);

// The run `run_id` of DAG `name`, else (run_id "") its latest run. Prints why not to stderr.
std::optional<store::RunRecord> FindRun(store::RunStore& store, const std::string& name,
                                        const std::string& run_id);

}  // namespace weft::cli
