#include "dag/dag_parser.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "dag/fields.h"
#include "dag/mapping_reader.h"
#include "dag/step_parser.h"
#include "dag/values.h"

namespace weft::dag {
namespace {

std::string_view Trim(std::string_view text) {
  const std::size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

// A label written as text: `key=value`, or a bare tag with an empty value.
std::pair<std::string, std::string> SplitLabel(std::string_view text) {
  const std::size_t equals = text.find('=');
  if (equals == std::string_view::npos) return {std::string(text), ""};
  return {std::string(Trim(text.substr(0, equals))), std::string(Trim(text.substr(equals + 1)))};
}

// A resource attribute keeps its YAML type: plain true/false, integers and numbers are typed;
// anything quoted is a string.
AttributeValue ToAttribute(const YamlNode& value) {
  if (value.plain) {
    if (value.text == "true" || value.text == "false") return value.text == "true";
    if (const auto integer = ParseInteger(value.text)) return *integer;
    if (const auto number = ParseNumber(value.text)) return *number;
  }
  return value.text;
}

class DagReader {
 public:
  DagReader(const MappingReader& fields, DocumentRole role, LogOutput inherited_log_output,
            DiagnosticLog& log)
      : fields_(fields), role_(role), inherited_log_output_(inherited_log_output), log_(log) {}

  DagDraft Read() && {
    Dag& dag = draft_.dag;
    dag.where = fields_.where();
    for (std::string_view key : fields_.Keys()) {
      if (fields_.Find(key) != nullptr) draft_.keys.push_back(key);
    }
    fields_.Read("name", &dag.name);
    fields_.Read("description", &dag.description);
    ReadType();
    if (const YamlNode* params = fields_.Find("params")) {
      if (auto parsed = ParseParamsValue(*params, "params", log_)) {
        dag.params = std::move(parsed->params);
      }
    }
    if (const YamlNode* env = fields_.Find("env")) dag.env = ParseEnv(*env, "env", log_);
    fields_.Read("dotenv", &dag.dotenv);
    if (const YamlNode* value = fields_.Find("log_output")) {
      draft_.log_output = ParseLogOutput(*value, fields_.Spelling("log_output"), log_);
    }
    const LogOutput log_output = draft_.log_output.value_or(inherited_log_output_);
    ReadSteps(log_output);
    fields_.ReadCount("max_active_steps", &dag.max_active_steps);
    fields_.ReadCount("timeout_sec", &dag.timeout_sec);
    fields_.ReadCount("delay_sec", &dag.delay_sec);
    fields_.Read("shell", &dag.shell);
    fields_.Read("working_dir", &dag.working_dir);
    fields_.Read("log_dir", &dag.log_dir);
    if (const YamlNode* value = fields_.Find("handler_on")) ReadHandlers(*value, log_output);
    if (const YamlNode* value = fields_.Find("preconditions")) {
      dag.preconditions = ParsePreconditions(*value, fields_.Spelling("preconditions"), log_);
    }
    if (const YamlNode* value = fields_.Find("otel")) ReadOtel(*value);
    if (const YamlNode* value = fields_.Find("max_output_size")) {
      if (const auto bytes = ReadInteger(*value, fields_.Spelling("max_output_size"), 0,
                                         std::numeric_limits<std::int64_t>::max(), log_)) {
        dag.max_output_size = static_cast<std::size_t>(*bytes);
      }
    }
    fields_.ReadCount("max_clean_up_time_sec", &dag.max_clean_up_time_sec);
    fields_.ReadCount("hist_retention_days", &dag.hist_retention_days);
    if (const YamlNode* value = fields_.Find("labels")) ReadLabels(*value);
    fields_.Read("group", &dag.group);
    if (const YamlNode* value = fields_.Find("schedule")) ReadSchedule(*value);
    if (const YamlNode* value = fields_.Find("secrets")) ReadSecrets(*value);
    return std::move(draft_);
  }

 private:
  void ReadType() {
    std::string type;
    if (!fields_.Read("type", &type)) return;
    if (type == "chain") {
      draft_.declared_type = DagType::kChain;
    } else if (type == "graph") {
      draft_.declared_type = DagType::kGraph;
    } else {
      fields_.Error("type", "`type` must be `chain` or `graph`, not `" + type + "`",
                    "chain runs steps top to bottom; graph runs them by `depends`");
    }
  }

  void ReadSteps(LogOutput log_output) {
    const YamlNode* steps = fields_.Find("steps");
    if (role_ == DocumentRole::kBase) {
      if (steps != nullptr) {
        log_.Warning(fields_.KeyWhere("steps"), "steps",
                     "`steps` in base.yaml are never inherited; they are ignored",
                     "move them into a DAG file");
      }
      return;
    }
    if (steps == nullptr) {
      log_.Error(fields_.KeyWhere("steps"), "steps", "the DAG has no steps",
                 "add `steps:` with at least one step");
      return;
    }
    ParsedSteps parsed = ParseSteps(*steps, "steps", log_output, log_);
    if (parsed.steps.empty() && (steps->is_sequence() || steps->is_mapping())) {
      fields_.Error("steps", "`steps` is empty", "add at least one step");
    }
    draft_.dag.steps = std::move(parsed.steps);
    draft_.depends = std::move(parsed.depends);
  }

  void ReadHandlers(const YamlNode& value, LogOutput log_output) {
    const std::string_view key = fields_.Spelling("handler_on");
    if (!value.is_mapping()) {
      fields_.Error("handler_on",
                    MustBe(key, "a mapping (success, failure, abort, exit, init)", value));
      return;
    }
    MappingReader handlers(value, Section::kHandlerOn, log_);
    HandlerOn& out = draft_.dag.handler_on;
    const std::pair<std::string_view, std::optional<Step>*> slots[] = {
        {"init", &out.init},   {"success", &out.success}, {"failure", &out.failure},
        {"abort", &out.abort}, {"exit", &out.exit},
    };
    for (const auto& [name, slot] : slots) {
      const YamlNode* handler = handlers.Find(name);
      if (handler == nullptr) continue;
      std::string default_name = "on" + std::string(name);
      default_name[2] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
      *slot = ParseHandler(*handler, handlers.Spelling(name), std::move(default_name), log_output,
                           log_);
    }
  }

  void ReadOtel(const YamlNode& value) {
    if (!value.is_mapping()) {
      fields_.Error("otel", MustBe("otel", "a mapping (enabled, endpoint, ...)", value));
      return;
    }
    MappingReader otel(value, Section::kOtel, log_);
    OtelConfig& config = draft_.dag.otel;
    config.where = value.where;
    otel.Read("enabled", &config.enabled);
    otel.Read("endpoint", &config.endpoint);
    otel.Read("insecure", &config.insecure);
    otel.Read("certificate", &config.certificate);
    otel.Read("client_certificate", &config.client_certificate);
    otel.Read("client_key", &config.client_key);
    otel.Read("propagate_exporter_env", &config.propagate_exporter_env);
    if (otel.Read("timeout", &config.timeout) && !IsDuration(*config.timeout) &&
        !IsExpandedAtRunTime(*config.timeout)) {
      otel.Error("timeout", "`timeout` `" + *config.timeout + "` is not a duration",
                 "write e.g. 30s, 500ms, 1m or a number of seconds");
      config.timeout.reset();
    }
    ReadChoice(otel, "protocol", {"grpc", "http/protobuf", "http/json"}, &config.protocol);
    ReadChoice(otel, "compression", {"gzip", "none"}, &config.compression);
    if (const YamlNode* sampler = otel.Find("sampler")) {
      const auto ratio = sampler->is_scalar() ? ParseNumber(sampler->text) : std::nullopt;
      if (ratio && *ratio >= 0 && *ratio <= 1) {
        config.sampler = *ratio;
      } else {
        otel.Error("sampler", MustBe("sampler", "a ratio from 0 to 1", *sampler),
                   "0.25 samples a quarter of the root runs");
      }
    }
    if (const YamlNode* headers = otel.Find("headers")) ReadHeaders(*headers);
    if (const YamlNode* resource = otel.Find("resource")) ReadResource(*resource);
  }

  void ReadChoice(const MappingReader& fields, std::string_view key,
                  std::initializer_list<std::string_view> choices,
                  std::optional<std::string>* out) {
    std::string value;
    if (!fields.Read(key, &value)) return;
    if (IsExpandedAtRunTime(value) ||
        std::find(choices.begin(), choices.end(), value) != choices.end()) {
      *out = std::move(value);
      return;
    }
    std::string allowed;
    for (std::string_view choice : choices) {
      allowed += allowed.empty() ? "" : ", ";
      allowed += choice;
    }
    fields.Error(key,
                 "`" + std::string(key) + "` must be one of " + allowed + ", not `" + value + "`");
  }

  // Header values are secrets: messages name the header, never its value.
  void ReadHeaders(const YamlNode& value) {
    if (!value.is_mapping()) {
      log_.Error(value.where, "headers", MustBe("headers", "a mapping name -> value", value));
      return;
    }
    for (std::size_t i = 0; i < value.size(); ++i) {
      const YamlNode& name = value.key(i);
      const YamlNode& text = value.value(i);
      if (!name.is_scalar() || !(text.is_scalar() || text.is_null())) {
        log_.Error(name.where, "headers", "each header must be `Name: value` with a string value",
                   "quote the value if it contains `: `");
        continue;
      }
      draft_.dag.otel.headers[name.text] = text.text;
    }
  }

  void ReadResource(const YamlNode& value) {
    if (!value.is_mapping()) {
      log_.Error(value.where, "resource", MustBe("resource", "a mapping name -> value", value));
      return;
    }
    for (std::size_t i = 0; i < value.size(); ++i) {
      const YamlNode& name = value.key(i);
      const YamlNode& attribute = value.value(i);
      if (!name.is_scalar() || !attribute.is_scalar()) {
        log_.Error(name.where, "resource",
                   "each resource attribute must be `name: value` with a string, number or "
                   "bool value, not " +
                       std::string(attribute.Describe()));
        continue;
      }
      draft_.dag.otel.resource[name.text] = ToAttribute(attribute);
    }
  }

  void ReadLabels(const YamlNode& value) {
    auto& labels = draft_.dag.labels;
    const std::string_view key = fields_.Spelling("labels");
    auto add_text = [&](std::string_view text) {
      for (std::size_t start = 0; start <= text.size();) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        if (const std::string_view label = Trim(text.substr(start, comma - start));
            !label.empty()) {
          labels.push_back(SplitLabel(label));
        }
        start = comma + 1;
      }
    };
    auto add_mapping = [&](const YamlNode& mapping) {
      for (std::size_t i = 0; i < mapping.size(); ++i) {
        const YamlNode& name = mapping.key(i);
        const YamlNode& text = mapping.value(i);
        if (!name.is_scalar() || !(text.is_scalar() || text.is_null())) {
          log_.Error(name.where, key, "each label must be `name: value` with a string value");
          continue;
        }
        labels.emplace_back(name.text, text.text);
      }
    };
    if (value.is_scalar()) {
      add_text(value.text);
    } else if (value.is_mapping()) {
      add_mapping(value);
    } else if (value.is_sequence()) {
      for (const YamlNode* item : value.children) {
        if (item->is_scalar()) {
          add_text(item->text);
        } else if (item->is_mapping()) {
          add_mapping(*item);
        } else {
          log_.Error(
              item->where, key,
              "each label must be a string or `name: value`, not " + std::string(item->Describe()));
        }
      }
    } else {
      fields_.Error("labels", MustBe(key, "a list, a comma-separated string or a mapping", value));
    }
  }

  void ReadSchedule(const YamlNode& value) {
    const YamlNode* start = &value;
    std::string_view key = "schedule";
    if (value.is_mapping()) {
      MappingReader schedule(value, Section::kSchedule, log_);
      start = schedule.Find("start");
      key = "start";
      if (start == nullptr) return;
    }
    auto expressions = ReadTextList(*start, key, log_);
    if (!expressions) return;
    for (std::string& expression : *expressions) {
      if (std::string error = CronError(expression); !error.empty()) {
        log_.Error(start->where, key, "schedule `" + expression + "`: " + error,
                   "e.g. `0 2 * * *` runs at 02:00 every day");
        continue;
      }
      draft_.dag.schedule.push_back(std::move(expression));
    }
  }

  void ReadSecrets(const YamlNode& value) {
    if (!value.is_sequence()) {
      fields_.Error("secrets", MustBe("secrets", "a list of variable names", value));
      return;
    }
    for (const YamlNode* item : value.children) {
      std::string name;
      if (item->is_scalar()) {
        name = item->text;
      } else if (item->is_mapping()) {
        MappingReader secret(*item, Section::kSecret, log_);
        if (!secret.Read("name", &name)) {
          log_.Error(item->where, "secrets", "a secret needs a `name`",
                     "name the variable whose value is masked in logs");
          continue;
        }
      } else {
        log_.Error(item->where, "secrets",
                   "a secret must be a variable name or a mapping with `name`, not " +
                       std::string(item->Describe()));
        continue;
      }
      if (!IsIdentifier(name)) {
        log_.Error(item->where, "secrets", "secret `" + name + "` is not a valid variable name",
                   "use letters, digits and `_`, not starting with a digit");
        continue;
      }
      draft_.dag.secrets.push_back(std::move(name));
    }
  }

  const MappingReader& fields_;
  DocumentRole role_;
  LogOutput inherited_log_output_;
  DiagnosticLog& log_;
  DagDraft draft_;
};

}  // namespace

bool DagDraft::Sets(std::string_view key) const {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

DagDraft ParseDagDocument(const YamlNode& document, DocumentRole role,
                          LogOutput inherited_log_output, DiagnosticLog& log) {
  if (!document.is_mapping()) {
    log.Error(document.where, "",
              "a DAG document must be a mapping of keys such as `steps:`, not " +
                  std::string(document.Describe()),
              "start the document with e.g. `steps:`");
    DagDraft empty;
    empty.dag.where = document.where;
    return empty;
  }
  MappingReader fields(document, Section::kDag, log);
  DagDraft draft = DagReader(fields, role, inherited_log_output, log).Read();
  if (role == DocumentRole::kLocal && draft.dag.name.empty()) {
    log.Error(document.where, "name", "a DAG after `---` needs a `name`",
              "`run:`/`call:` finds the DAGs of a file by their name");
  }
  return draft;
}

}  // namespace weft::dag
