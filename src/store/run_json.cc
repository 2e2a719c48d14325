#include "store/run_json.h"

#include <fmt/format.h>

#include <chrono>
#include <optional>

namespace weft::store {
namespace {

using nlohmann::ordered_json;

// 0 means "never" in the store.
ordered_json TimeOrNull(std::int64_t unix_ns) {
  return unix_ns == 0 ? ordered_json(nullptr) : ordered_json(Rfc3339(unix_ns));
}

ordered_json RefOrNull(const std::optional<engine::RunRef>& ref) {
  if (!ref) return nullptr;
  return {{"name", ref->name}, {"run_id", ref->run_id}};
}

// The store only keeps JSON objects; null marks params that cannot be read back.
ordered_json Params(const std::string& text) {
  auto params = ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
  return params.is_object() ? params : ordered_json(nullptr);
}

ordered_json StepJson(const StepRecord& step, const std::vector<RunRecord>& children) {
  ordered_json child_runs = ordered_json::array();
  for (const RunRecord& child : children) {
    if (child.parent_step != step.name) continue;
    child_runs.push_back({{"name", child.dag_name},
                          {"run_id", child.run_id},
                          {"status", engine::ToString(child.status)}});
  }
  return {
      {"name", step.name},
      {"status", engine::ToString(step.status)},
      {"exit_code", step.exit_code < 0 ? ordered_json(nullptr) : ordered_json(step.exit_code)},
      {"started_at", TimeOrNull(step.started_at_ns)},
      {"finished_at", TimeOrNull(step.finished_at_ns)},
      {"retry_count", step.retry_count},
      {"error", step.error},
      {"stdout_file", step.stdout_file},
      {"stderr_file", step.stderr_file},
      {"children", std::move(child_runs)},
  };
}

}  // namespace

std::string Rfc3339(std::int64_t unix_ns) {
  using namespace std::chrono;
  const sys_time<microseconds> time{floor<microseconds>(nanoseconds(unix_ns))};
  const auto day = floor<days>(time);
  const year_month_day date(day);
  const hh_mm_ss clock(time - day);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     clock.hours().count(), clock.minutes().count(), clock.seconds().count(),
                     clock.subseconds().count());
}

ordered_json HistoryEntryJson(const RunRecord& run) {
  return {
      {"name", run.dag_name},
      {"run_id", run.run_id},
      {"status", engine::ToString(run.status)},
      {"started_at", TimeOrNull(run.started_at_ns)},
      {"finished_at", TimeOrNull(run.finished_at_ns)},
      {"exit_code", run.exit_code ? ordered_json(*run.exit_code) : ordered_json(nullptr)},
      {"params", Params(run.params_json)},
      {"trace_id", run.trace_id.empty() ? ordered_json(nullptr) : ordered_json(run.trace_id)},
      {"parent", RefOrNull(run.parent)},
      {"root", RefOrNull(run.root)},
      {"error", run.error},
  };
}

ordered_json StatusJson(const RunRecord& run, const std::vector<StepRecord>& steps,
                        const std::vector<RunRecord>& children) {
  ordered_json status = HistoryEntryJson(run);
  ordered_json step_list = ordered_json::array();
  for (const StepRecord& step : steps) step_list.push_back(StepJson(step, children));
  status["steps"] = std::move(step_list);
  return status;
}

ordered_json HistoryJson(const std::vector<RunRecord>& runs) {
  ordered_json list = ordered_json::array();
  for (const RunRecord& run : runs) list.push_back(HistoryEntryJson(run));
  return list;
}

}  // namespace weft::store
