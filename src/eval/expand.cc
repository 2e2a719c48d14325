#include "eval/expand.h"

#include <charconv>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_map>

namespace weft::eval {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsPathSeparator(char c) { return c == '.' || c == '['; }

bool IsNumber(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

// Follows `path` (".key", "[0]", in any sequence) from `doc`; nullptr when any step is missing
// or the path is malformed.
const nlohmann::json* Walk(const nlohmann::json& doc, std::string_view path) {
  const nlohmann::json* node = &doc;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '.') {
      std::size_t end = i + 1;
      while (end < path.size() && !IsPathSeparator(path[end])) ++end;
      const std::string key(path.substr(i + 1, end - i - 1));
      if (key.empty() || !node->is_object()) return nullptr;
      auto it = node->find(key);
      if (it == node->end()) return nullptr;
      node = &*it;
      i = end;
    } else if (path[i] == '[') {
      const std::size_t close = path.find(']', i);
      if (close == std::string_view::npos) return nullptr;
      const std::string_view digits = path.substr(i + 1, close - i - 1);
      std::size_t index = 0;
      if (!IsNumber(digits) || !node->is_array() ||
          std::from_chars(digits.data(), digits.data() + digits.size(), index).ec != std::errc() ||
          index >= node->size())
        return nullptr;
      node = &(*node)[index];
      i = close + 1;
    } else {
      return nullptr;
    }
  }
  return node;
}

// One expansion of one text. Holds the per-call caches that keep it linear: parsed JSON values
// and the position of the next '}'.
class Expander {
 public:
  Expander(std::string_view text, const Variables& vars, const ExpandOptions& options)
      : text_(text),
        vars_(vars),
        shell_(options.respect_single_quotes),
        shell_env_(options.respect_single_quotes && options.shell_reads_environment) {}

  std::string Run() {
    out_.reserve(text_.size());
    std::size_t i = 0;
    while (i < text_.size()) {
      const char c = text_[i];
      if (shell_ && c == '\'' && !in_double_quotes_) {
        i = CopySingleQuoted(i);
      } else if (shell_ && c == '"') {
        in_double_quotes_ = !in_double_quotes_;
        out_.push_back(c);
        ++i;
      } else if (c == '\\' && i + 1 < text_.size()) {
        if (text_[i + 1] != '$' || shell_) out_.push_back(c);
        out_.push_back(text_[i + 1]);
        i += 2;
      } else if (c == '$') {
        i = ExpandAt(i);
      } else {
        out_.push_back(c);
        ++i;
      }
    }
    return std::move(out_);
  }

 private:
  // Copies '...' verbatim (to the end of the text when it is not closed; the shell reports it).
  std::size_t CopySingleQuoted(std::size_t open) {
    std::size_t close = text_.find('\'', open + 1);
    std::size_t end = close == std::string_view::npos ? text_.size() : close + 1;
    out_.append(text_.substr(open, end - open));
    return end;
  }

  // Expands the reference starting with the '$' at `dollar`; returns where scanning resumes.
  std::size_t ExpandAt(std::size_t dollar) {
    const std::size_t start = dollar + 1;
    if (start < text_.size() && text_[start] == '{') {
      const std::size_t close = NextClose(start + 1);
      if (close == std::string_view::npos) {
        out_.push_back('$');
        return start;
      }
      const std::string_view content = text_.substr(start + 1, close - start - 1);
      if ((shell_env_ && IsVariableName(content)) || !AppendBraced(content)) {
        out_.append(text_.substr(dollar, close + 1 - dollar));
      }
      return close + 1;
    }
    std::size_t end = start;
    if (end < text_.size() && IsDigit(text_[end]) && text_[end] != '0') {
      ++end;  // $1..$9; as in the shell, $10 is $1 followed by 0
    } else if (end < text_.size() && IsNameStart(text_[end])) {
      while (end < text_.size() && IsNameChar(text_[end])) ++end;
    }
    if (end == start) {
      out_.push_back('$');
      return start;
    }
    const std::string_view name = text_.substr(start, end - start);
    const std::string* value = shell_env_ && IsNameStart(name[0]) ? nullptr : vars_.Find(name);
    if (value != nullptr) {
      AppendValue(*value);
    } else {
      out_.append(text_.substr(dollar, end - dollar));
    }
    return end;
  }

  // Position of the first '}' at or after `from`. Remembers the last answer, so that a text
  // full of unclosed "${" is still scanned once.
  std::size_t NextClose(std::size_t from) {
    if (next_close_ != std::string_view::npos && next_close_ < from) {
      next_close_ = text_.find('}', from);
    }
    return next_close_;
  }

  // Inserts a value into the output; in shell text read by the shell, quoted so that the shell
  // takes it as one literal word (or part of one).
  void AppendValue(std::string_view value) {
    if (!shell_env_) {
      out_.append(value);
    } else if (in_double_quotes_) {
      for (char c : value) {
        if (c == '$' || c == '`' || c == '"' || c == '\\') out_.push_back('\\');
        out_.push_back(c);
      }
    } else {
      out_.push_back('\'');
      for (char c : value) {
        if (c == '\'') {
          out_.append("'\\''");
        } else {
          out_.push_back(c);
        }
      }
      out_.push_back('\'');
    }
  }

  // Appends the value of ${content}; false when it names nothing.
  bool AppendBraced(std::string_view content) {
    if (const std::string* value = vars_.Find(content)) {
      AppendValue(*value);
      return true;
    }
    if (IsVariableName(content) || IsNumber(content)) return false;
    // VAR is the leading name; failing that, a dotted name such as `id.output`.
    std::size_t first = 0;
    while (first < content.size() && !IsPathSeparator(content[first])) ++first;
    if (AppendFromJson(content, first)) return true;
    if (first < content.size() && content[first] == '.') {
      std::size_t second = first + 1;
      while (second < content.size() && !IsPathSeparator(content[second])) ++second;
      return AppendFromJson(content, second);
    }
    return false;
  }

  // Appends the JSON value at content[split..] inside the variable content[..split].
  bool AppendFromJson(std::string_view content, std::size_t split) {
    if (split == 0 || split >= content.size()) return false;
    const std::string_view name = content.substr(0, split);
    const nlohmann::json* doc = ParsedJson(name);
    if (!doc) return false;
    const nlohmann::json* node = Walk(*doc, content.substr(split));
    if (!node) return false;
    if (node->is_string()) {
      AppendValue(node->get_ref<const std::string&>());
    } else {
      AppendValue(node->dump());
    }
    return true;
  }

  // The variable `name` parsed as JSON, or nullptr when it is unknown or not JSON.
  const nlohmann::json* ParsedJson(std::string_view name) {
    auto [it, inserted] = json_.try_emplace(name);
    if (inserted) {
      if (const std::string* value = vars_.Find(name)) {
        nlohmann::json parsed = nlohmann::json::parse(*value, nullptr, /*allow_exceptions=*/false);
        if (!parsed.is_discarded()) it->second = std::move(parsed);
      }
    }
    return it->second ? &*it->second : nullptr;
  }

  std::string_view text_;
  const Variables& vars_;
  const bool shell_;
  const bool shell_env_;
  bool in_double_quotes_ = false;
  std::string out_;
  std::size_t next_close_ = 0;
  std::unordered_map<std::string_view, std::optional<nlohmann::json>> json_;
};

}  // namespace

std::string Expand(std::string_view text, const Variables& vars, const ExpandOptions& options) {
  return Expander(text, vars, options).Run();
}

}  // namespace weft::eval
