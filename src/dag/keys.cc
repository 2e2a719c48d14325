#include "dag/keys.h"

#include <array>
#include <unordered_map>

#include "dag/spelling.h"

namespace weft::dag {
namespace {

struct KeyRow {
  Section section;
  KeyInfo key;
};

constexpr bool kIgnored = true;

// clang-format off
constexpr KeyRow kKeys[] = {
    {Section::kDag, {"name", "name"}},
    {Section::kDag, {"description", "description"}},
    {Section::kDag, {"type", "type"}},
    {Section::kDag, {"params", "params"}},
    {Section::kDag, {"env", "env"}},
    {Section::kDag, {"dotenv", "dotenv"}},
    {Section::kDag, {"steps", "steps"}},
    {Section::kDag, {"max_active_steps", "max_active_steps"}},
    {Section::kDag, {"maxActiveSteps", "max_active_steps"}},
    {Section::kDag, {"timeout_sec", "timeout_sec"}},
    {Section::kDag, {"timeoutSec", "timeout_sec"}},
    {Section::kDag, {"delay_sec", "delay_sec"}},
    {Section::kDag, {"delaySec", "delay_sec"}},
    {Section::kDag, {"shell", "shell"}},
    {Section::kDag, {"working_dir", "working_dir"}},
    {Section::kDag, {"workingDir", "working_dir"}},
    {Section::kDag, {"dir", "working_dir"}},
    {Section::kDag, {"log_dir", "log_dir"}},
    {Section::kDag, {"logDir", "log_dir"}},
    {Section::kDag, {"log_output", "log_output"}},
    {Section::kDag, {"logOutput", "log_output"}},
    {Section::kDag, {"handler_on", "handler_on"}},
    {Section::kDag, {"handlerOn", "handler_on"}},
    {Section::kDag, {"preconditions", "preconditions"}},
    {Section::kDag, {"precondition", "preconditions"}},
    {Section::kDag, {"otel", "otel"}},
    {Section::kDag, {"max_output_size", "max_output_size"}},
    {Section::kDag, {"maxOutputSize", "max_output_size"}},
    {Section::kDag, {"max_clean_up_time_sec", "max_clean_up_time_sec"}},
    {Section::kDag, {"maxCleanUpTimeSec", "max_clean_up_time_sec"}},
    {Section::kDag, {"hist_retention_days", "hist_retention_days"}},
    {Section::kDag, {"histRetentionDays", "hist_retention_days"}},
    {Section::kDag, {"labels", "labels"}},
    {Section::kDag, {"tags", "labels"}},
    {Section::kDag, {"group", "group"}},
    {Section::kDag, {"schedule", "schedule"}},
    {Section::kDag, {"secrets", "secrets"}},
    {Section::kDag, {"mail_on", "mail_on", kIgnored}},
    {Section::kDag, {"mailOn", "mail_on", kIgnored}},
    {Section::kDag, {"smtp", "smtp", kIgnored}},
    {Section::kDag, {"error_mail", "error_mail", kIgnored}},
    {Section::kDag, {"errorMail", "error_mail", kIgnored}},
    {Section::kDag, {"info_mail", "info_mail", kIgnored}},
    {Section::kDag, {"infoMail", "info_mail", kIgnored}},
    {Section::kDag, {"max_active_runs", "max_active_runs", kIgnored}},
    {Section::kDag, {"maxActiveRuns", "max_active_runs", kIgnored}},
    {Section::kDag, {"queue", "queue", kIgnored}},
    {Section::kDag, {"skip_if_successful", "skip_if_successful", kIgnored}},
    {Section::kDag, {"skipIfSuccessful", "skip_if_successful", kIgnored}},
    {Section::kDag, {"restart_wait_sec", "restart_wait_sec", kIgnored}},
    {Section::kDag, {"restartWaitSec", "restart_wait_sec", kIgnored}},
    {Section::kDag, {"worker_selector", "worker_selector", kIgnored}},
    {Section::kDag, {"workerSelector", "worker_selector", kIgnored}},
    {Section::kDag, {"run_config", "run_config", kIgnored}},
    {Section::kDag, {"runConfig", "run_config", kIgnored}},
    {Section::kDag, {"registry_auths", "registry_auths", kIgnored}},
    {Section::kDag, {"registryAuths", "registry_auths", kIgnored}},
    {Section::kDag, {"container", "container", kIgnored}},
    {Section::kDag, {"ssh", "ssh", kIgnored}},

    {Section::kStep, {"name", "name"}},
    {Section::kStep, {"id", "id"}},
    {Section::kStep, {"description", "description"}},
    {Section::kStep, {"command", "command"}},
    {Section::kStep, {"script", "script"}},
    {Section::kStep, {"shell", "shell"}},
    {Section::kStep, {"working_dir", "working_dir"}},
    {Section::kStep, {"workingDir", "working_dir"}},
    {Section::kStep, {"dir", "working_dir"}},
    {Section::kStep, {"depends", "depends"}},
    {Section::kStep, {"env", "env"}},
    {Section::kStep, {"output", "output"}},
    {Section::kStep, {"stdout", "stdout"}},
    {Section::kStep, {"stderr", "stderr"}},
    {Section::kStep, {"log_output", "log_output"}},
    {Section::kStep, {"logOutput", "log_output"}},
    {Section::kStep, {"continue_on", "continue_on"}},
    {Section::kStep, {"continueOn", "continue_on"}},
    {Section::kStep, {"retry_policy", "retry_policy"}},
    {Section::kStep, {"retryPolicy", "retry_policy"}},
    {Section::kStep, {"repeat_policy", "repeat_policy"}},
    {Section::kStep, {"repeatPolicy", "repeat_policy"}},
    {Section::kStep, {"preconditions", "preconditions"}},
    {Section::kStep, {"precondition", "preconditions"}},
    {Section::kStep, {"timeout_sec", "timeout_sec"}},
    {Section::kStep, {"timeoutSec", "timeout_sec"}},
    {Section::kStep, {"signal_on_stop", "signal_on_stop"}},
    {Section::kStep, {"signalOnStop", "signal_on_stop"}},
    {Section::kStep, {"call", "call"}},
    {Section::kStep, {"run", "call"}},
    {Section::kStep, {"params", "params"}},
    {Section::kStep, {"parallel", "parallel"}},
    {Section::kStep, {"executor", "executor"}},
    {Section::kStep, {"type", "executor"}},
    {Section::kStep, {"mail_on_error", "mail_on_error", kIgnored}},
    {Section::kStep, {"mailOnError", "mail_on_error", kIgnored}},
    {Section::kStep, {"worker_selector", "worker_selector", kIgnored}},
    {Section::kStep, {"workerSelector", "worker_selector", kIgnored}},

    {Section::kOtel, {"enabled", "enabled"}},
    {Section::kOtel, {"endpoint", "endpoint"}},
    {Section::kOtel, {"headers", "headers"}},
    {Section::kOtel, {"insecure", "insecure"}},
    {Section::kOtel, {"timeout", "timeout"}},
    {Section::kOtel, {"resource", "resource"}},
    {Section::kOtel, {"protocol", "protocol"}},
    {Section::kOtel, {"compression", "compression"}},
    {Section::kOtel, {"certificate", "certificate"}},
    {Section::kOtel, {"client_certificate", "client_certificate"}},
    {Section::kOtel, {"clientCertificate", "client_certificate"}},
    {Section::kOtel, {"client_key", "client_key"}},
    {Section::kOtel, {"clientKey", "client_key"}},
    {Section::kOtel, {"sampler", "sampler"}},
    {Section::kOtel, {"propagate_exporter_env", "propagate_exporter_env"}},
    {Section::kOtel, {"propagateExporterEnv", "propagate_exporter_env"}},

    {Section::kRetryPolicy, {"limit", "limit"}},
    {Section::kRetryPolicy, {"interval_sec", "interval_sec"}},
    {Section::kRetryPolicy, {"intervalSec", "interval_sec"}},
    {Section::kRetryPolicy, {"exit_code", "exit_code"}},
    {Section::kRetryPolicy, {"exitCode", "exit_code"}},
    {Section::kRetryPolicy, {"backoff", "backoff"}},
    {Section::kRetryPolicy, {"max_interval_sec", "max_interval_sec"}},
    {Section::kRetryPolicy, {"maxIntervalSec", "max_interval_sec"}},

    {Section::kRepeatPolicy, {"repeat", "repeat"}},
    {Section::kRepeatPolicy, {"interval_sec", "interval_sec"}},
    {Section::kRepeatPolicy, {"intervalSec", "interval_sec"}},
    {Section::kRepeatPolicy, {"limit", "limit"}},
    {Section::kRepeatPolicy, {"condition", "condition"}},
    {Section::kRepeatPolicy, {"expected", "expected"}},
    {Section::kRepeatPolicy, {"exit_code", "exit_code"}},
    {Section::kRepeatPolicy, {"exitCode", "exit_code"}},
    {Section::kRepeatPolicy, {"backoff", "backoff"}},
    {Section::kRepeatPolicy, {"max_interval_sec", "max_interval_sec"}},
    {Section::kRepeatPolicy, {"maxIntervalSec", "max_interval_sec"}},

    {Section::kContinueOn, {"failure", "failure"}},
    {Section::kContinueOn, {"skipped", "skipped"}},
    {Section::kContinueOn, {"exit_code", "exit_code"}},
    {Section::kContinueOn, {"exitCode", "exit_code"}},
    {Section::kContinueOn, {"output", "output"}},
    {Section::kContinueOn, {"mark_success", "mark_success"}},
    {Section::kContinueOn, {"markSuccess", "mark_success"}},

    {Section::kHandlerOn, {"init", "init"}},
    {Section::kHandlerOn, {"success", "success"}},
    {Section::kHandlerOn, {"failure", "failure"}},
    {Section::kHandlerOn, {"abort", "abort"}},
    {Section::kHandlerOn, {"cancel", "abort"}},
    {Section::kHandlerOn, {"exit", "exit"}},

    {Section::kPrecondition, {"condition", "condition"}},
    {Section::kPrecondition, {"expected", "expected"}},
    {Section::kPrecondition, {"negate", "negate"}},
    {Section::kPrecondition, {"command", "command"}},

    {Section::kParallel, {"items", "items"}},
    {Section::kParallel, {"max_concurrent", "max_concurrent"}},
    {Section::kParallel, {"maxConcurrent", "max_concurrent"}},

    {Section::kExecutor, {"type", "type"}},
    {Section::kExecutor, {"config", "config"}},

    {Section::kSecret, {"name", "name"}},
    {Section::kSecret, {"provider", "provider"}},
    {Section::kSecret, {"key", "key"}},
    {Section::kSecret, {"options", "options"}},

    {Section::kSchedule, {"start", "start"}},
    {Section::kSchedule, {"stop", "stop", kIgnored}},
    {Section::kSchedule, {"restart", "restart", kIgnored}},
};
// clang-format on

constexpr std::size_t kSectionCount = static_cast<std::size_t>(Section::kSchedule) + 1;

// Built once: lookups happen for every key of every step.
struct KeyTable {
  std::array<std::unordered_map<std::string_view, const KeyInfo*>, kSectionCount> by_spelling;
  std::array<std::vector<std::string_view>, kSectionCount> spellings;

  KeyTable() {
    for (const KeyRow& row : kKeys) {
      const auto section = static_cast<std::size_t>(row.section);
      by_spelling[section].emplace(row.key.spelling, &row.key);
      spellings[section].push_back(row.key.spelling);
    }
  }
};

const KeyTable& Table() {
  static const KeyTable table;
  return table;
}

}  // namespace

const KeyInfo* FindKey(Section section, std::string_view spelling) {
  const auto& keys = Table().by_spelling[static_cast<std::size_t>(section)];
  auto it = keys.find(spelling);
  return it == keys.end() ? nullptr : it->second;
}

std::string_view SuggestKey(Section section, std::string_view unknown) {
  return NearestSpelling(unknown, SpellingsOf(section));
}

const std::vector<std::string_view>& SpellingsOf(Section section) {
  return Table().spellings[static_cast<std::size_t>(section)];
}

std::string_view SectionName(Section section) {
  switch (section) {
    case Section::kDag:
      return "the DAG";
    case Section::kStep:
      return "a step";
    case Section::kOtel:
      return "`otel`";
    case Section::kRetryPolicy:
      return "`retry_policy`";
    case Section::kRepeatPolicy:
      return "`repeat_policy`";
    case Section::kContinueOn:
      return "`continue_on`";
    case Section::kHandlerOn:
      return "`handler_on`";
    case Section::kPrecondition:
      return "a precondition";
    case Section::kParallel:
      return "`parallel`";
    case Section::kExecutor:
      return "`executor`";
    case Section::kSecret:
      return "a secret";
    case Section::kSchedule:
      return "`schedule`";
  }
  return "this mapping";
}

}  // namespace weft::dag
