#pragma once

// retry_policy and repeat_policy with their string fields expanded and checked (§3.3). The
// model keeps them as written because `limit: ${RETRIES}` is only known when the step starts.

#include <cstdint>
#include <optional>
#include <string>

#include "dag/dag.h"
#include "eval/variables.h"

namespace weft::engine {

// The wait before attempt k+1: interval_sec × factor^(k-1), at most max_interval_sec.
struct Backoff {
  double interval_sec = 0;
  double factor = 1;            // 1 = constant interval
  double max_interval_sec = 0;  // 0 = no cap
  // `attempt` counts from 1 (the wait before the first retry or repeat).
  std::int64_t DelayNs(int attempt) const;
};

struct RetryRule {
  int limit = 0;  // retries after the first attempt
  Backoff backoff;
};

struct RepeatRule {
  int limit = 0;  // executions in all, the first included; 0 = unlimited
  Backoff backoff;
};

// Expand and parse. nullopt with *error naming the field and its value when a field is not a
// number in range (limits ≥ 0, intervals ≥ 0, backoff `true`, `false` or a factor ≥ 1).
std::optional<RetryRule> ResolveRetry(const dag::RetryPolicy& policy, const eval::Variables& vars,
                                      std::string* error);
std::optional<RepeatRule> ResolveRepeat(const dag::RepeatPolicy& policy,
                                        const eval::Variables& vars, std::string* error);

}  // namespace weft::engine
