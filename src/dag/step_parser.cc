#include "dag/step_parser.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <span>
#include <unordered_set>
#include <utility>

#include "dag/fields.h"
#include "dag/mapping_reader.h"
#include "dag/values.h"

namespace weft::dag {
namespace {

constexpr int kMaxExitCode = 255;
constexpr std::string_view kShellCharacters = " \t\n;|&<>()`";

std::string_view Trim(std::string_view text) {
  const std::size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1);
}

// An id is used as ${id.output}: it must read as one word.
bool IsStepId(std::string_view id) {
  if (id.empty() || !std::isalpha(static_cast<unsigned char>(id[0]))) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

// A DAG name or path, possibly with ${VAR}: anything a shell would split or interpret means
// the user wrote a command where weft expects a DAG.
bool LooksLikeCommand(std::string_view target) {
  std::size_t i = 0;
  while (i < target.size()) {
    if (target.compare(i, 2, "${") == 0) {
      const std::size_t close = target.find('}', i);
      if (close == std::string_view::npos) return true;
      i = close + 1;
      continue;
    }
    if (kShellCharacters.find(target[i]) != std::string_view::npos) return true;
    ++i;
  }
  return false;
}

// A parallel item: scalars as written, collections as compact JSON with YAML's plain scalars
// typed the way JSON would read them.
nlohmann::json ToJson(const YamlNode& node) {
  switch (node.kind) {
    case YamlNode::Kind::kNull:
      return nullptr;
    case YamlNode::Kind::kScalar:
      if (node.plain) {
        if (node.text == "true" || node.text == "false") return node.text == "true";
        if (const auto integer = ParseInteger(node.text)) return *integer;
        if (const auto number = ParseNumber(node.text)) return *number;
      }
      return node.text;
    case YamlNode::Kind::kSequence: {
      nlohmann::json array = nlohmann::json::array();
      for (const YamlNode* item : node.children) array.push_back(ToJson(*item));
      return array;
    }
    case YamlNode::Kind::kMapping: {
      nlohmann::json object = nlohmann::json::object();
      for (std::size_t i = 0; i < node.size(); ++i) {
        const YamlNode& key = node.key(i);
        object[key.is_scalar() ? key.text : ToJson(key).dump()] = ToJson(node.value(i));
      }
      return object;
    }
  }
  return nullptr;
}

// Reads one step into a Step that already sits where it belongs (a step is over a kilobyte;
// building it in place saves moving 100,000 of them).
class StepReader {
 public:
  StepReader(const YamlNode& node, LogOutput log_output, Step& step, DependsSource& depends,
             DiagnosticLog& log)
      : node_(node), log_(log), step_(step), depends_(depends) {
    step_.where = node.where;
    step_.log_output = log_output;
  }

  void Read() {
    if (node_.is_scalar()) {
      SetCommandText(node_, "command");
    } else if (node_.is_mapping()) {
      ReadMapping(MappingReader(node_, Section::kStep, log_));
    } else {
      log_.Error(
          node_.where, "",
          "a step must be a mapping or a command string, not " + std::string(node_.Describe()));
    }
  }

 private:
  void ReadMapping(const MappingReader& fields) {
    Step& step = step_;
    fields.Read("name", &step.name);
    if (fields.Read("id", &step.id) && !IsStepId(step.id)) {
      fields.Error("id", "step id `" + step.id + "` is not a valid id",
                   "start with a letter; use letters, digits, `_` and `-`");
    }
    fields.Read("description", &step.description);
    ReadCommand(fields);
    fields.Read("script", &step.script);
    fields.Read("shell", &step.shell);
    fields.Read("working_dir", &step.working_dir);
    ReadDepends(fields);
    if (const YamlNode* env = fields.Find("env")) step.env = ParseEnv(*env, "env", log_);
    ReadOutput(fields);
    fields.Read("stdout", &step.stdout_file);
    fields.Read("stderr", &step.stderr_file);
    if (const YamlNode* value = fields.Find("log_output")) {
      if (auto mode = ParseLogOutput(*value, fields.Spelling("log_output"), log_)) {
        step.log_output = *mode;
      }
    }
    if (const YamlNode* value = fields.Find("continue_on")) {
      ReadContinueOn(*value, fields.Spelling("continue_on"));
    }
    if (const YamlNode* value = fields.Find("retry_policy")) {
      ReadRetryPolicy(*value, fields.Spelling("retry_policy"));
    }
    if (const YamlNode* value = fields.Find("repeat_policy")) {
      ReadRepeatPolicy(*value, fields.Spelling("repeat_policy"));
    }
    if (const YamlNode* value = fields.Find("preconditions")) {
      step.preconditions = ParsePreconditions(*value, fields.Spelling("preconditions"), log_);
    }
    fields.ReadCount("timeout_sec", &step.timeout_sec);
    ReadSignal(fields);
    ReadExecutor(fields);
    ReadCall(fields);
    CheckWhatRuns(fields);
  }

  // A multi-line command is a script; one line is a command.
  void SetCommandText(const YamlNode& value, std::string_view key) {
    const std::string_view text = Trim(value.text);
    if (text.empty()) {
      log_.Error(value.where, key, "`" + std::string(key) + "` is empty",
                 "give the command to run, or remove the key");
    } else if (text.find('\n') != std::string_view::npos) {
      step_.script = std::string(text) + "\n";
      command_is_script_ = true;
    } else {
      step_.commands.emplace_back(text);
    }
  }

  void ReadCommand(const MappingReader& fields) {
    const std::string_view key = fields.Spelling("command");
    const YamlNode* value = fields.Find("command");
    if (value == nullptr) return;
    if (value->is_scalar()) {
      SetCommandText(*value, key);
      return;
    }
    if (!value->is_sequence()) {
      fields.Error("command", MustBe(key, "a string or a list of strings", *value));
      return;
    }
    for (const YamlNode* item : value->children) {
      // `- echo a: b` unquoted reads as a one-entry mapping; Dagu takes it back as text.
      if (item->is_mapping() && item->size() == 1 && item->key(0).is_scalar() &&
          item->value(0).is_scalar()) {
        step_.commands.push_back(item->key(0).text + ": " + item->value(0).text);
      } else if (item->is_scalar()) {
        if (std::string_view text = Trim(item->text); !text.empty()) {
          step_.commands.emplace_back(text);
        }
      } else if (!item->is_null()) {
        log_.Error(item->where, key,
                   "each command of `" + std::string(key) + "` must be a string, not " +
                       std::string(item->Describe()),
                   "quote a command that contains `: `");
      }
    }
    if (step_.commands.empty()) {
      fields.Error("command", "`" + std::string(key) + "` is an empty list",
                   "give at least one command, or remove the key");
    }
  }

  void ReadDepends(const MappingReader& fields) {
    depends_.written = fields.Written("depends");
    const YamlNode* value = fields.Find("depends");
    if (value == nullptr) return;
    const std::string_view key = fields.Spelling("depends");
    const std::span<const YamlNode* const> items = ItemsOrOne(value);
    step_.depends.reserve(items.size());
    depends_.where.reserve(items.size());
    for (const YamlNode* item : items) {
      if (!item->is_scalar() || item->text.empty()) {
        log_.Error(item->where, key,
                   "each entry of `" + std::string(key) + "` must be a step name or id, not " +
                       (item->is_scalar() ? "an empty string" : std::string(item->Describe())));
        continue;
      }
      step_.depends.push_back(item->text);
      depends_.where.push_back(item->where);
    }
  }

  void ReadOutput(const MappingReader& fields) {
    std::string name;
    if (!fields.Read("output", &name)) return;
    if (name.starts_with('$')) name.erase(0, 1);
    if (!IsIdentifier(name)) {
      fields.Error("output", "`output` must name a variable, not `" + name + "`",
                   "use letters, digits and `_`, not starting with a digit");
      return;
    }
    step_.output = std::move(name);
  }

  void ReadContinueOn(const YamlNode& value, std::string_view key) {
    ContinueOn continue_on;
    if (value.is_scalar()) {
      if (value.text == "failed" || value.text == "failure") {
        continue_on.failure = true;
      } else if (value.text == "skipped") {
        continue_on.skipped = true;
      } else {
        log_.Error(value.where, key, MustBe(key, "`failed`, `skipped` or a mapping", value));
        return;
      }
    } else if (value.is_mapping()) {
      MappingReader fields(value, Section::kContinueOn, log_);
      fields.Read("failure", &continue_on.failure);
      fields.Read("skipped", &continue_on.skipped);
      fields.Read("mark_success", &continue_on.mark_success);
      if (const YamlNode* codes = fields.Find("exit_code")) {
        if (auto parsed =
                ReadIntegerList(*codes, fields.Spelling("exit_code"), 0, kMaxExitCode, log_)) {
          continue_on.exit_codes = std::move(*parsed);
        }
      }
      fields.Read("output", &continue_on.output);
    } else {
      log_.Error(value.where, key, MustBe(key, "`failed`, `skipped` or a mapping", value));
      return;
    }
    step_.continue_on = std::make_shared<const ContinueOn>(std::move(continue_on));
  }

  // Policy numbers may be ${VAR}, checked when the step runs; literal ones are checked here.
  void ReadPolicyNumber(const MappingReader& fields, std::string_view key, std::string* out) {
    const YamlNode* value = fields.Find(key);
    if (value == nullptr) return;
    if (value->is_scalar() &&
        (IsExpandedAtRunTime(value->text) || ParseInteger(value->text).value_or(-1) >= 0)) {
      *out = value->text;
      return;
    }
    fields.Error(key,
                 MustBe(fields.Spelling(key), "a whole number of at least 0 or ${VAR}", *value));
  }

  void ReadBackoff(const MappingReader& fields, std::string* out) {
    const YamlNode* value = fields.Find("backoff");
    if (value == nullptr) return;
    if (value->is_scalar()) {
      if (const auto flag = ParseBool(value->text)) {
        *out = *flag ? "true" : "";
        return;
      }
      if (IsExpandedAtRunTime(value->text) || ParseNumber(value->text).value_or(0) > 1) {
        *out = value->text;
        return;
      }
    }
    fields.Error("backoff", MustBe("backoff", "true, false or a factor above 1", *value),
                 "`backoff: true` doubles the interval after each attempt");
  }

  void ReadRetryPolicy(const YamlNode& value, std::string_view key) {
    if (!value.is_mapping()) {
      log_.Error(value.where, key, MustBe(key, "a mapping (limit, interval_sec, ...)", value));
      return;
    }
    MappingReader fields(value, Section::kRetryPolicy, log_);
    RetryPolicy policy;
    ReadPolicyNumber(fields, "limit", &policy.limit);
    ReadPolicyNumber(fields, "interval_sec", &policy.interval_sec);
    ReadPolicyNumber(fields, "max_interval_sec", &policy.max_interval_sec);
    ReadBackoff(fields, &policy.backoff);
    if (const YamlNode* codes = fields.Find("exit_code")) {
      if (auto parsed =
              ReadIntegerList(*codes, fields.Spelling("exit_code"), 0, kMaxExitCode, log_)) {
        policy.exit_codes = std::move(*parsed);
      }
    }
    step_.retry_policy = std::make_shared<const RetryPolicy>(std::move(policy));
  }

  void ReadRepeatPolicy(const YamlNode& value, std::string_view key) {
    if (!value.is_mapping()) {
      log_.Error(value.where, key, MustBe(key, "a mapping (repeat, interval_sec, ...)", value));
      return;
    }
    MappingReader fields(value, Section::kRepeatPolicy, log_);
    RepeatPolicy policy;
    ReadPolicyNumber(fields, "interval_sec", &policy.interval_sec);
    ReadPolicyNumber(fields, "limit", &policy.limit);
    ReadPolicyNumber(fields, "max_interval_sec", &policy.max_interval_sec);
    ReadBackoff(fields, &policy.backoff);
    if (const YamlNode* codes = fields.Find("exit_code")) {
      if (auto parsed =
              ReadIntegerList(*codes, fields.Spelling("exit_code"), 0, kMaxExitCode, log_)) {
        policy.exit_codes = std::move(*parsed);
      }
    }
    Condition condition;
    condition.where = fields.KeyWhere("condition");
    if (fields.Read("condition", &condition.condition)) {
      fields.Read("expected", &condition.expected);
      condition.is_command = condition.expected.empty();
      policy.condition = std::move(condition);
    } else if (fields.Find("expected") != nullptr) {
      fields.Error("expected", "`expected` needs a `condition` to compare with");
    }
    const bool has_test = policy.condition.has_value() || !policy.exit_codes.empty();
    const YamlNode* repeat = fields.Find("repeat");
    if (repeat == nullptr) {
      fields.Error("repeat", "`" + std::string(key) + "` needs `repeat`",
                   "write `repeat: while` or `repeat: until` with a condition or exit_code, or "
                   "`repeat: true` to repeat until stopped");
      return;
    }
    if (repeat->is_scalar() && (repeat->text == "while" || repeat->text == "until")) {
      if (!has_test) {
        fields.Error("repeat", "`repeat: " + repeat->text + "` needs `condition` or `exit_code`",
                     "add the condition to test after each run");
        return;
      }
      policy.mode =
          repeat->text == "while" ? RepeatPolicy::Mode::kWhile : RepeatPolicy::Mode::kUntil;
    } else if (const auto flag = repeat->is_scalar() ? ParseBool(repeat->text) : std::nullopt) {
      if (!*flag) return;
      policy.mode = has_test ? RepeatPolicy::Mode::kWhile : RepeatPolicy::Mode::kAlways;
    } else {
      fields.Error("repeat",
                   MustBe(fields.Spelling("repeat"), "while, until, true or false", *repeat));
      return;
    }
    step_.repeat_policy = std::make_shared<const RepeatPolicy>(std::move(policy));
  }

  void ReadSignal(const MappingReader& fields) {
    std::string name;
    if (!fields.Read("signal_on_stop", &name)) return;
    if (auto signal = CanonicalSignal(name)) {
      step_.signal_on_stop = std::move(*signal);
    } else {
      fields.Error("signal_on_stop", "`" + name + "` is not a signal name",
                   "use a name such as SIGTERM, SIGINT, SIGHUP or SIGKILL");
    }
  }

  void ReadExecutor(const MappingReader& fields) {
    const YamlNode* value = fields.Find("executor");
    if (value == nullptr) return;
    const std::string_view key = fields.Spelling("executor");
    std::string type;
    if (value->is_scalar()) {
      type = value->text;
    } else if (value->is_mapping()) {
      MappingReader executor(*value, Section::kExecutor, log_);
      executor.Read("type", &type);
    } else {
      fields.Error("executor", MustBe(key, "an executor type or a mapping with `type`", *value));
      return;
    }
    if (!type.empty() && type != "shell" && type != "command") {
      fields.Error("executor", "weft does not support the `" + type + "` executor",
                   "weft runs commands in a shell (executor `shell` or `command`); call the "
                   "tool from a command instead");
    }
  }

  void ReadCall(const MappingReader& fields) {
    const std::string_view key = fields.Spelling("call");
    if (fields.Written("call")) {
      const YamlNode* target = fields.Find("call");
      if (target == nullptr || !target->is_scalar() || Trim(target->text).empty()) {
        fields.Error("call",
                     "`" + std::string(key) + "` names no DAG: `" + std::string(key) +
                         "` calls a sub-DAG by name or path",
                     "give the DAG to call, e.g. `" + std::string(key) +
                         ": child` for child.yaml; use `command:` for a shell command");
        return;
      }
      if (LooksLikeCommand(target->text)) {
        fields.Error("call",
                     "`" + std::string(key) + ": " + target->text + "` names no DAG: `" +
                         std::string(key) + "` calls a sub-DAG, it does not run shell commands",
                     "use `command: " + target->text + "` to run it in a shell");
        return;
      }
      SubDagCall call;
      call.target = target->text;
      if (const YamlNode* params = fields.Find("params")) {
        if (auto parsed = ParseParamsValue(*params, fields.Spelling("params"), log_)) {
          call.params = std::move(parsed->params);
          call.params_text = std::move(parsed->text);
        }
      }
      if (const YamlNode* parallel = fields.Find("parallel")) {
        call.parallel = ReadParallel(*parallel, fields.Spelling("parallel"));
      }
      step_.call = std::make_shared<const SubDagCall>(std::move(call));
      return;
    }
    for (std::string_view only_with_call : {"params", "parallel"}) {
      if (fields.Find(only_with_call) != nullptr) {
        fields.Error(only_with_call,
                     "`" + std::string(fields.Spelling(only_with_call)) +
                         "` applies to a sub-DAG call, and this step has no `run`/`call`",
                     "add `call: <dag>` or remove it");
      }
    }
  }

  std::optional<SubDagCall::Parallel> ReadParallel(const YamlNode& value, std::string_view key) {
    SubDagCall::Parallel parallel;
    const YamlNode* items = &value;
    std::string_view items_key = key;
    if (value.is_mapping()) {
      MappingReader fields(value, Section::kParallel, log_);
      fields.ReadCount("max_concurrent", &parallel.max_concurrent, 1);
      items = fields.Find("items");
      items_key = "items";
      if (items == nullptr) {
        log_.Error(value.where, key, "`" + std::string(key) + "` needs `items`",
                   "give a list, or a variable holding one such as ${ITEMS}");
        return std::nullopt;
      }
    }
    if (items->is_scalar()) {
      if (!IsExpandedAtRunTime(items->text)) {
        log_.Error(items->where, items_key,
                   MustBe(items_key, "a list or a variable holding one, such as ${ITEMS}", *items));
        return std::nullopt;
      }
      parallel.items_variable = items->text;
    } else if (items->is_sequence()) {
      if (items->children.empty()) {
        log_.Error(items->where, items_key, "`" + std::string(items_key) + "` is an empty list",
                   "give at least one item");
        return std::nullopt;
      }
      for (const YamlNode* item : items->children) {
        parallel.items.push_back(item->is_scalar() ? item->text : ToJson(*item).dump());
      }
    } else {
      log_.Error(items->where, items_key,
                 MustBe(items_key, "a list or a variable holding one, such as ${ITEMS}", *items));
      return std::nullopt;
    }
    return parallel;
  }

  void CheckWhatRuns(const MappingReader& fields) {
    const Step& step = step_;
    const bool runs_command = !step.commands.empty() || !step.script.empty();
    if (command_is_script_ && fields.Find("script") != nullptr) {
      fields.Error("script",
                   "a multi-line `command` is already a script, and this step also "
                   "has `script`",
                   "put the script in `script:` and the interpreter in `command:`");
    } else if (step.call && runs_command) {
      fields.Error("call", "a step either runs a command or calls a sub-DAG, not both",
                   "split it into two steps");
    } else if (step.commands.size() > 1 && !step.script.empty()) {
      fields.Error("command", "with `script`, `command` names the one program that runs it",
                   "give a single command, e.g. `command: python3`");
    } else if (!runs_command && !step.call && !fields.Written("call") &&
               fields.Find("command") == nullptr) {
      log_.Error(node_.where, "",
                 "step" + (step.name.empty() ? "" : " `" + step.name + "`") + " has nothing to run",
                 "give it `command`, `script` or `call`");
    }
  }

  const YamlNode& node_;
  DiagnosticLog& log_;
  Step& step_;
  DependsSource& depends_;
  bool command_is_script_ = false;
};

// `step-N` after the position (N from 1), skipping names other steps already have.
void NameUnnamedSteps(std::vector<Step>& steps) {
  const auto unnamed = [](const Step& step) { return step.name.empty(); };
  if (std::none_of(steps.begin(), steps.end(), unnamed)) return;
  std::unordered_set<std::string> taken;
  for (const Step& step : steps) taken.insert(step.name);
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (!steps[i].name.empty()) continue;
    std::size_t n = i + 1;
    while (taken.contains("step-" + std::to_string(n))) ++n;
    steps[i].name = "step-" + std::to_string(n);
    taken.insert(steps[i].name);
  }
}

}  // namespace

std::optional<LogOutput> ParseLogOutput(const YamlNode& value, std::string_view key,
                                        DiagnosticLog& log) {
  if (value.is_scalar() && value.text == "separate") return LogOutput::kSeparate;
  if (value.is_scalar() && value.text == "merged") return LogOutput::kMerged;
  log.Error(value.where, key, MustBe(key, "`separate` or `merged`", value));
  return std::nullopt;
}

ParsedSteps ParseSteps(const YamlNode& value, std::string_view key, LogOutput log_output,
                       DiagnosticLog& log) {
  ParsedSteps parsed;
  auto read = [&](const YamlNode& node) -> Step& {
    Step& step = parsed.steps.emplace_back();
    StepReader(node, log_output, step, parsed.depends.emplace_back(), log).Read();
    return step;
  };
  if (value.is_sequence()) {
    parsed.steps.reserve(value.size());
    parsed.depends.reserve(value.size());
    for (const YamlNode* item : value.children) read(*item);
  } else if (value.is_mapping()) {
    parsed.steps.reserve(value.size());
    parsed.depends.reserve(value.size());
    for (std::size_t i = 0; i < value.size(); ++i) {
      const YamlNode& name = value.key(i);
      if (!name.is_scalar()) {
        log.Error(name.where, key,
                  "a step name must be a string, not " + std::string(name.Describe()));
        continue;
      }
      Step& step = read(value.value(i));
      if (!step.name.empty() && step.name != name.text) {
        log.Error(
            name.where, "name",
            "this step is named `" + name.text + "` by its key and `" + step.name + "` by `name`",
            "remove `name:`; in a mapping of steps the key is the name");
      }
      step.name = name.text;
      step.where = name.where;
    }
  } else {
    log.Error(value.where, key, MustBe(key, "a list of steps or a mapping name -> step", value));
    return parsed;
  }
  NameUnnamedSteps(parsed.steps);
  return parsed;
}

Step ParseHandler(const YamlNode& value, std::string_view key, std::string default_name,
                  LogOutput log_output, DiagnosticLog& log) {
  Step step;
  DependsSource depends;
  StepReader(value, log_output, step, depends, log).Read();
  if (depends.written) {
    log.Error(value.where, key,
              "handler `" + std::string(key) +
                  "` cannot have `depends`: handlers run after the "
                  "steps",
              "remove `depends`");
  }
  if (step.name.empty()) step.name = std::move(default_name);
  return step;
}

}  // namespace weft::dag
