#include "dag/fields.h"

#include <algorithm>
#include <cctype>
#include <unordered_set>
#include <utility>

#include "dag/mapping_reader.h"
#include "dag/values.h"
#include "eval/params.h"

namespace weft::dag {
namespace {

constexpr std::string_view kNameRule = "use letters, digits and `_`, not starting with a digit";

// The text of a value that is a plain string where one is expected; empty for `key:`.
std::optional<std::string> ValueText(const YamlNode& value, std::string_view what,
                                     DiagnosticLog& log) {
  if (value.is_null()) return std::string();
  if (value.is_scalar()) return value.text;
  log.Error(value.where, what,
            "the value of `" + std::string(what) + "` must be a string, not " +
                std::string(value.Describe()));
  return std::nullopt;
}

bool IsSafeUnquoted(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("_./:@%+,=-").find(c) != std::string_view::npos;
}

// Collects named params while checking their names; positional ones pass through.
class ParamCollector {
 public:
  ParamCollector(std::string_view key, DiagnosticLog& log) : key_(key), log_(log) {}

  void Add(std::string name, std::string value, Location where) {
    if (!name.empty()) {
      if (!IsIdentifier(name)) {
        log_.Error(where, key_, "param name `" + name + "` is not a valid variable name",
                   std::string(kNameRule));
        ok_ = false;
        return;
      }
      if (!names_.insert(name).second) {
        log_.Error(where, key_, "param `" + name + "` is declared twice", "remove one of them");
        ok_ = false;
        return;
      }
    }
    params_.params.push_back({std::move(name), std::move(value), where});
  }

  // Marks a problem reported elsewhere, so that Finish returns nothing.
  void Fail() { ok_ = false; }

  // `text` is the params as the file wrote them (the string form); when "" it is built from
  // the params, quoted so that ParseParams reads them back.
  std::optional<ParsedParams> Finish(std::string text) {
    if (!ok_) return std::nullopt;
    if (text.empty()) {
      for (const ParamDef& param : params_.params) {
        if (!text.empty()) text += ' ';
        if (!param.name.empty()) text += param.name + "=";
        text += QuoteParam(param.default_value);
      }
    }
    params_.text = std::move(text);
    return std::move(params_);
  }

 private:
  std::string_view key_;
  DiagnosticLog& log_;
  ParsedParams params_;
  std::unordered_set<std::string> names_;
  bool ok_ = true;
};

std::optional<Condition> ParseCondition(const YamlNode& value, std::string_view key,
                                        DiagnosticLog& log) {
  if (value.is_scalar()) return Condition{value.text, "", true, false, value.where};
  if (!value.is_mapping()) {
    log.Error(value.where, key,
              "a precondition must be a command or a mapping with `condition`, not " +
                  std::string(value.Describe()));
    return std::nullopt;
  }
  MappingReader fields(value, Section::kPrecondition, log);
  Condition condition;
  condition.where = value.where;
  std::string command;
  const bool has_condition = fields.Read("condition", &condition.condition);
  const bool has_command = fields.Read("command", &command);
  fields.Read("expected", &condition.expected);
  fields.Read("negate", &condition.negate);
  if (has_condition == has_command) {
    log.Error(value.where, key,
              has_condition ? "a precondition has either `condition` or `command`, not both"
                            : "a precondition needs `condition` or `command`",
              "write `condition: \"$VAR\"` with `expected:`, or `command: test -f file`");
    return std::nullopt;
  }
  if (has_command) {
    if (fields.Find("expected") != nullptr) {
      fields.Error("expected", "`expected` applies to `condition`, not to `command`");
      return std::nullopt;
    }
    condition.condition = std::move(command);
  }
  // Dagu runs a condition without `expected` as a command.
  condition.is_command = condition.expected.empty();
  return condition;
}

}  // namespace

std::vector<EnvEntry> ParseEnv(const YamlNode& value, std::string_view key, DiagnosticLog& log) {
  std::vector<EnvEntry> entries;
  auto add = [&](std::string name, std::string text, Location where) {
    if (!IsIdentifier(name)) {
      log.Error(where, key, "`" + name + "` is not a valid environment variable name",
                std::string(kNameRule));
      return;
    }
    entries.push_back({std::move(name), std::move(text), where});
  };
  auto add_mapping = [&](const YamlNode& mapping) {
    for (std::size_t i = 0; i < mapping.size(); ++i) {
      const YamlNode& name = mapping.key(i);
      if (!name.is_scalar()) {
        log.Error(name.where, key,
                  "an env name must be a string, not " + std::string(name.Describe()));
        continue;
      }
      if (auto text = ValueText(mapping.value(i), name.text, log)) {
        add(name.text, std::move(*text), name.where);
      }
    }
  };
  if (value.is_mapping()) {
    add_mapping(value);
  } else if (value.is_sequence()) {
    for (const YamlNode* item : value.children) {
      if (item->is_mapping()) {
        add_mapping(*item);
      } else if (item->is_scalar()) {
        const std::size_t equals = item->text.find('=');
        if (equals == std::string::npos) {
          log.Error(item->where, key, "env entry " + Quote(*item) + " has no `=`",
                    "write NAME=value or NAME: value");
          continue;
        }
        add(item->text.substr(0, equals), item->text.substr(equals + 1), item->where);
      } else {
        log.Error(
            item->where, key,
            "an env entry must be NAME=value or NAME: value, not " + std::string(item->Describe()));
      }
    }
  } else if (!value.is_null()) {
    log.Error(value.where, key, MustBe(key, "a mapping or a list of NAME=value entries", value));
  }
  return entries;
}

std::optional<ParsedParams> ParseParamsValue(const YamlNode& value, std::string_view key,
                                             DiagnosticLog& log) {
  ParamCollector params(key, log);
  if (value.is_scalar()) {
    std::string error;
    auto parsed = eval::ParseParams(value.text, &error);
    if (!parsed) {
      log.Error(value.where, key, error);
      return std::nullopt;
    }
    for (eval::Param& param : *parsed) {
      params.Add(std::move(param.name), std::move(param.value), value.where);
    }
    return params.Finish(value.text);
  }
  auto add_mapping = [&](const YamlNode& mapping) {
    for (std::size_t i = 0; i < mapping.size(); ++i) {
      const YamlNode& name = mapping.key(i);
      if (!name.is_scalar()) {
        log.Error(name.where, key,
                  "a param name must be a string, not " + std::string(name.Describe()));
        params.Fail();
        continue;
      }
      if (auto text = ValueText(mapping.value(i), name.text, log)) {
        params.Add(name.text, std::move(*text), name.where);
      } else {
        params.Fail();
      }
    }
  };
  if (value.is_mapping()) {
    add_mapping(value);
  } else if (value.is_sequence()) {
    for (const YamlNode* item : value.children) {
      if (item->is_mapping()) {
        add_mapping(*item);
      } else if (item->is_scalar()) {
        const std::size_t equals = item->text.find('=');
        std::string name = equals == std::string::npos ? "" : item->text.substr(0, equals);
        if (IsIdentifier(name)) {
          params.Add(std::move(name), item->text.substr(equals + 1), item->where);
        } else {
          params.Add("", item->text, item->where);
        }
      } else {
        log.Error(item->where, key,
                  "a param must be NAME: value, \"NAME=value\" or a value, not " +
                      std::string(item->Describe()));
        params.Fail();
      }
    }
  } else if (!value.is_null()) {
    log.Error(value.where, key, MustBe(key, "a string, a list or a mapping", value));
    return std::nullopt;
  }
  return params.Finish("");
}

std::vector<Condition> ParsePreconditions(const YamlNode& value, std::string_view key,
                                          DiagnosticLog& log) {
  std::vector<Condition> conditions;
  if (value.is_sequence()) {
    for (const YamlNode* item : value.children) {
      if (auto condition = ParseCondition(*item, key, log)) {
        conditions.push_back(std::move(*condition));
      }
    }
  } else if (auto condition = ParseCondition(value, key, log)) {
    conditions.push_back(std::move(*condition));
  }
  return conditions;
}

std::string QuoteParam(std::string_view value) {
  if (!value.empty() && std::all_of(value.begin(), value.end(), IsSafeUnquoted)) {
    return std::string(value);
  }
  // POSIX single quotes keep everything literally; a ' inside closes, escapes and reopens.
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  quoted += '\'';
  return quoted;
}

}  // namespace weft::dag
