#pragma once

// The `--json` contract of `weft status` and `weft history` (§6): stable objects that scripts
// parse, built from stored records. Keys appear in the order §6 lists them; times are RFC 3339
// in UTC with microseconds; absent values are null (never "" or -1), so a script can test
// for them.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "store/run_store.h"

namespace weft::store {

// One `weft status --json` object: the run, its steps in DAG order (handlers after), and
// under each step the runs it started, taken from `children` by their parent_step.
nlohmann::ordered_json StatusJson(const RunRecord& run, const std::vector<StepRecord>& steps,
                                  const std::vector<RunRecord>& children);

// One run of `weft history --json`: the status object without `steps`.
nlohmann::ordered_json HistoryEntryJson(const RunRecord& run);

// `weft history --json`: the runs in the order given (the store returns newest first).
nlohmann::ordered_json HistoryJson(const std::vector<RunRecord>& runs);

// Unix nanoseconds as RFC 3339 UTC, e.g. "2024-05-01T09:30:00.250000Z".
std::string Rfc3339(std::int64_t unix_ns);

}  // namespace weft::store
