#include "engine/status.h"

#include <array>
#include <utility>

namespace weft::engine {
namespace {

constexpr std::array<std::pair<Status, std::string_view>, 8> kNames = {{
    {Status::kNotStarted, "not_started"},
    {Status::kRunning, "running"},
    {Status::kFailed, "failed"},
    {Status::kAborted, "aborted"},
    {Status::kSucceeded, "succeeded"},
    {Status::kQueued, "queued"},
    {Status::kPartiallySucceeded, "partially_succeeded"},
    {Status::kSkipped, "skipped"},
}};

}  // namespace

std::string_view ToString(Status status) {
  for (const auto& [s, name] : kNames) {
    if (s == status) return name;
  }
  return "unknown";
}

std::optional<Status> ParseStatus(std::string_view text) {
  for (const auto& [s, name] : kNames) {
    if (name == text) return s;
  }
  return std::nullopt;
}

bool IsFinal(Status status) {
  switch (status) {
    case Status::kFailed:
    case Status::kAborted:
    case Status::kSucceeded:
    case Status::kPartiallySucceeded:
    case Status::kSkipped:
      return true;
    default:
      return false;
  }
}

}  // namespace weft::engine
