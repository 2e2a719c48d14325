#pragma once

// Run and step statuses (§3.1). Their strings are a contract: they appear in span attributes,
// `weft status` output, JSON and the store.

#include <optional>
#include <string_view>

namespace weft::engine {

enum class Status {
  kNotStarted,
  kRunning,
  kFailed,
  kAborted,
  kSucceeded,
  kQueued,
  kPartiallySucceeded,
  kSkipped,  // steps only
};

std::string_view ToString(Status status);
std::optional<Status> ParseStatus(std::string_view text);

// True once nothing more will happen to a run or step in this status.
bool IsFinal(Status status);

}  // namespace weft::engine
