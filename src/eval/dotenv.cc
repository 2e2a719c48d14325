#include "eval/dotenv.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "eval/expand.h"

namespace weft::eval {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// Walks the text line by line; quoted values may consume further lines.
class DotenvParser {
 public:
  DotenvParser(std::string_view text, std::string_view file) : text_(text), file_(file) {}

  std::optional<std::vector<DotenvEntry>> Parse(std::string* error) {
    std::vector<DotenvEntry> entries;
    while (pos_ < text_.size()) {
      SkipBlanks();
      if (AtLineEnd() || text_[pos_] == '#') {
        SkipLine();
        continue;
      }
      std::optional<DotenvEntry> entry = ParseAssignment(error);
      if (!entry) return std::nullopt;
      entries.push_back(std::move(*entry));
    }
    return entries;
  }

 private:
  std::optional<DotenvEntry> ParseAssignment(std::string* error) {
    DotenvEntry entry;
    entry.line = line_;
    const std::size_t line_end = std::min(text_.find('\n', pos_), text_.size());
    const std::string_view rest = text_.substr(pos_, line_end - pos_);
    const std::size_t equals = rest.find('=');
    if (equals == std::string_view::npos) {
      // The line is not quoted back: a value pasted without its name is often a secret.
      return Fail(error,
                  "expected NAME=VALUE, found a line without '=' (not shown: it may hold a "
                  "secret); add '=' (NAME= for an empty value) or comment the line out with '#'");
    }
    std::string_view name = rest.substr(0, equals);
    if (name.starts_with("export") && name.size() > 6 && IsBlank(name[6])) name.remove_prefix(7);
    entry.name = Trimmed(name);
    if (!IsVariableName(entry.name)) {
      return Fail(error, "invalid variable name \"" + entry.name +
                             "\"; a name is letters, digits and '_', not starting with a digit");
    }
    pos_ += equals + 1;
    SkipBlanks();
    bool ok = true;
    if (pos_ < text_.size() && text_[pos_] == '\'') {
      entry.expand = false;
      ok = ReadSingleQuoted(entry.value, error);
    } else if (pos_ < text_.size() && text_[pos_] == '"') {
      ok = ReadDoubleQuoted(entry.value, error);
    } else {
      ReadUnquoted(entry.value);
      return entry;
    }
    if (!ok || !ExpectLineEnd(error)) return std::nullopt;
    return entry;
  }

  void ReadUnquoted(std::string& value) {
    const std::size_t line_end = std::min(text_.find('\n', pos_), text_.size());
    std::string_view raw = text_.substr(pos_, line_end - pos_);
    // `pos_ - 1` is at worst the '=' before the value.
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '#' && IsBlank(text_[pos_ + i - 1])) {
        raw = raw.substr(0, i);
        break;
      }
    }
    value = Trimmed(raw);
    pos_ = line_end;
  }

  bool ReadSingleQuoted(std::string& value, std::string* error) {
    const int start_line = line_;
    const std::size_t close = text_.find('\'', pos_ + 1);
    if (close == std::string_view::npos) return Unclosed('\'', start_line, error);
    value = text_.substr(pos_ + 1, close - pos_ - 1);
    for (char c : value) line_ += c == '\n';
    pos_ = close + 1;
    return true;
  }

  bool ReadDoubleQuoted(std::string& value, std::string* error) {
    const int start_line = line_;
    for (++pos_; pos_ < text_.size(); ++pos_) {
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c == '\n') ++line_;
      if (c != '\\' || pos_ + 1 >= text_.size()) {
        value.push_back(c);
        continue;
      }
      const char next = text_[++pos_];
      switch (next) {
        case 'n':
          value.push_back('\n');
          break;
        case 'r':
          value.push_back('\r');
          break;
        case 't':
          value.push_back('\t');
          break;
        case '"':
          value.push_back('"');
          break;
        case '\\':
          value.push_back('\\');
          break;
        default:  // e.g. \$, which expansion turns into a literal $
          value.push_back('\\');
          value.push_back(next);
          if (next == '\n') ++line_;
      }
    }
    return Unclosed('"', start_line, error);
  }

  // After a closing quote only blanks and a comment may follow on the line.
  bool ExpectLineEnd(std::string* error) {
    SkipBlanks();
    if (!AtLineEnd() && text_[pos_] != '#') {
      Fail(error, "unexpected text after the closing quote; quote the whole value");
      return false;
    }
    SkipLine();
    return true;
  }

  bool Unclosed(char quote, int start_line, std::string* error) {
    line_ = start_line;
    Fail(error, std::string("the value's opening ") + quote + " is never closed; add the closing " +
                    quote);
    return false;
  }

  std::nullopt_t Fail(std::string* error, const std::string& what) const {
    *error = std::string(file_) + ":" + std::to_string(line_) + ": " + what;
    return std::nullopt;
  }

  static std::string Trimmed(std::string_view s) {
    while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
    while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
    return std::string(s);
  }

  void SkipBlanks() {
    while (pos_ < text_.size() && IsBlank(text_[pos_])) ++pos_;
  }
  bool AtLineEnd() const { return pos_ >= text_.size() || text_[pos_] == '\n'; }
  void SkipLine() {
    const std::size_t newline = text_.find('\n', pos_);
    pos_ = newline == std::string_view::npos ? text_.size() : newline + 1;
    ++line_;
  }

  std::string_view text_;
  std::string_view file_;
  std::size_t pos_ = 0;
  int line_ = 1;
};

}  // namespace

std::optional<std::vector<DotenvEntry>> ParseDotenv(std::string_view text, std::string_view file,
                                                    std::string* error) {
  return DotenvParser(text, file).Parse(error);
}

bool LoadDotenv(const std::string& path, Variables& vars, std::string* error) {
  std::error_code ec;
  std::ifstream in(path, std::ios::binary);
  if (!std::filesystem::is_regular_file(path, ec) || !in) {
    *error = path + ": cannot read the dotenv file; check that it is a readable regular file";
    return false;
  }
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  std::optional<std::vector<DotenvEntry>> entries = ParseDotenv(text, path, error);
  if (!entries) return false;
  for (DotenvEntry& entry : *entries) {
    vars.Set(entry.name, entry.expand ? Expand(entry.value, vars) : std::move(entry.value));
  }
  return true;
}

}  // namespace weft::eval
