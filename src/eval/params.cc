#include "eval/params.h"

#include "eval/variables.h"

namespace weft::eval {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Characters a backslash escapes inside double quotes (POSIX); before any other character the
// backslash is kept.
bool IsDoubleQuoteEscapable(char c) {
  return c == '"' || c == '\\' || c == '$' || c == '`' || c == '\n';
}

// Reads the words of a params text one by one with POSIX quote removal. Backtick sections
// are kept verbatim, backticks included, so that command substitution can run them later; they
// only stop the word from being split. A word is named when it starts with an unquoted valid
// name followed by '=', as a shell assignment is.
class WordReader {
 public:
  explicit WordReader(std::string_view text) : text_(text) {}

  // Skips blanks; true when no word is left.
  bool AtEnd() {
    while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
    return pos_ >= text_.size();
  }

  std::optional<Param> Next(std::string* error) {
    std::string word;
    std::size_t name_length = 0;  // length of NAME when the word starts with unquoted NAME=
    bool quoted_before_equals = false;
    while (pos_ < text_.size() && !IsSpace(text_[pos_])) {
      const char c = text_[pos_];
      if (c == '=' && name_length == 0 && !quoted_before_equals && IsVariableName(word)) {
        name_length = word.size();
        word.push_back(c);
        ++pos_;
      } else if (c == '\'') {
        quoted_before_equals = true;
        if (!ReadSingleQuoted(word, error)) return std::nullopt;
      } else if (c == '"') {
        quoted_before_equals = true;
        if (!ReadDoubleQuoted(word, error)) return std::nullopt;
      } else if (c == '`') {
        quoted_before_equals = true;
        if (!ReadBackticks(word, error)) return std::nullopt;
      } else if (c == '\\') {
        quoted_before_equals = true;
        // A trailing backslash escapes nothing and stays.
        word.push_back(pos_ + 1 < text_.size() ? text_[++pos_] : c);
        ++pos_;
      } else {
        word.push_back(c);
        ++pos_;
      }
    }
    if (name_length == 0) return Param{"", std::move(word)};
    return Param{word.substr(0, name_length), word.substr(name_length + 1)};
  }

 private:
  // The params are not quoted back: they may hold a secret.
  std::string Unterminated(char quote, std::size_t start) const {
    return std::string("unterminated ") + quote + " quote starting at column " +
           std::to_string(start + 1) + " of the params: add the closing " + quote;
  }

  bool ReadSingleQuoted(std::string& word, std::string* error) {
    const std::size_t start = pos_++;
    const std::size_t close = text_.find('\'', pos_);
    if (close == std::string_view::npos) {
      *error = Unterminated('\'', start);
      return false;
    }
    word.append(text_.substr(pos_, close - pos_));
    pos_ = close + 1;
    return true;
  }

  bool ReadDoubleQuoted(std::string& word, std::string* error) {
    const std::size_t start = pos_++;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      const char c = text_[pos_];
      if (c == '\\' && pos_ + 1 < text_.size() && IsDoubleQuoteEscapable(text_[pos_ + 1])) {
        word.push_back(text_[pos_ + 1]);
        pos_ += 2;
      } else {
        word.push_back(c);
        ++pos_;
      }
    }
    if (pos_ >= text_.size()) {
      *error = Unterminated('"', start);
      return false;
    }
    ++pos_;
    return true;
  }

  bool ReadBackticks(std::string& word, std::string* error) {
    const std::size_t start = pos_;
    word.push_back(text_[pos_++]);
    while (pos_ < text_.size() && text_[pos_] != '`') {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) word.push_back(text_[pos_++]);
      word.push_back(text_[pos_++]);
    }
    if (pos_ >= text_.size()) {
      *error = Unterminated('`', start);
      return false;
    }
    word.push_back(text_[pos_++]);
    return true;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

std::optional<std::vector<Param>> ParseParams(std::string_view text, std::string* error) {
  std::vector<Param> params;
  WordReader reader(text);
  while (!reader.AtEnd()) {
    std::optional<Param> param = reader.Next(error);
    if (!param) return std::nullopt;
    params.push_back(std::move(*param));
  }
  return params;
}

}  // namespace weft::eval
