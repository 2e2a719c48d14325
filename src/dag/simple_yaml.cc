#include "dag/simple_yaml.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace weft::dag {
namespace {

using Type = YamlEvent::Type;

// libyaml refuses a key longer than 1024 characters; keys anywhere near that are left to it.
constexpr std::size_t kMaxKeyLength = 1000;

// True when every byte of `line` is printable ASCII (0x20-0x7e), tested eight at a time: for
// such bytes, neither the byte, nor the byte plus one, nor the byte minus 0x20 has its top bit
// set; and the lowest byte that is not printable sets it without a carry from below.
bool IsPrintableAscii(std::string_view line) {
  constexpr std::uint64_t kOnes = 0x0101010101010101;
  constexpr std::uint64_t kTopBits = 0x8080808080808080;
  std::size_t i = 0;
  for (; i + 8 <= line.size(); i += 8) {
    std::uint64_t bytes;
    std::memcpy(&bytes, line.data() + i, 8);
    if (((bytes | (bytes + kOnes) | (bytes - 0x20 * kOnes)) & kTopBits) != 0) return false;
  }
  for (; i < line.size(); ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

// Characters that give a scalar's first character another meaning than plain text.
bool IsIndicator(char c) {
  switch (c) {
    case '-':
    case '?':
    case ':':
    case ',':
    case '[':
    case ']':
    case '{':
    case '}':
    case '#':
    case '&':
    case '*':
    case '!':
    case '|':
    case '>':
    case '\'':
    case '"':
    case '%':
    case '@':
    case '`':
      return true;
    default:
      return false;
  }
}

// Reads one text line by line, keeping a stack of the open block collections. Every method
// that reads returns false to decline.
class SimpleYamlReader {
 public:
  SimpleYamlReader(std::string_view text, YamlEventSink& sink) : text_(text), sink_(sink) {}

  bool Read() {
    while (NextContentLine()) {
      const std::size_t first = begin_ + indent_;
      if (indent_ == 0 && (text_.substr(first, 3) == "---" || text_.substr(first, 3) == "...")) {
        return false;
      }
      if (!started_) {
        started_ = true;
        Emit(Type::kDocumentStart, first);
        Open(first, false);
      } else if (value_pending_) {
        // The line either holds the value of the key before it, or shows that key has none.
        value_pending_ = false;
        const std::size_t key_indent = blocks_.back().indent;
        if (indent_ > key_indent) {
          Open(first, false);
        } else if (indent_ == key_indent && IsEntry(first)) {
          Open(first, true);
        } else {
          EmitNull();
        }
      }
      while (!blocks_.empty() &&
             (blocks_.back().indent > indent_ || (blocks_.back().indentless && !IsEntry(first)))) {
        Close();
      }
      // Past the root, or more indented than a value already complete: left to libyaml.
      if (blocks_.empty() || blocks_.back().indent != indent_) return false;
      if (!(blocks_.back().mapping ? ReadMappingEntry(first) : ReadSequenceEntry(first))) {
        return false;
      }
    }
    if (!started_ || !text_is_ascii_) return false;
    if (value_pending_) EmitNull();
    while (!blocks_.empty()) Close();
    Emit(Type::kDocumentEnd, text_.size());
    return true;
  }

 private:
  struct Block {
    bool mapping;
    bool indentless;  // a sequence at the indentation of the key it belongs to
    std::size_t indent;
  };
  struct Plain {
    std::size_t end;    // after its last character that is not a space
    std::size_t colon;  // of the `: ` after it when it is a key, else npos
  };

  // Moves to the next line with more than spaces and a comment on it; false at the end, or at
  // a line with a byte outside printable ASCII (tab, CR, UTF-8...).
  bool NextContentLine() {
    while (next_ < text_.size()) {
      begin_ = next_;
      const std::size_t newline = text_.find('\n', begin_);
      end_ = newline == std::string_view::npos ? text_.size() : newline;
      next_ = newline == std::string_view::npos ? text_.size() : newline + 1;
      ++line_;
      if (!IsPrintableAscii(text_.substr(begin_, end_ - begin_))) {
        text_is_ascii_ = false;
        return false;
      }
      const std::size_t first = SkipSpaces(begin_);
      if (first < end_ && text_[first] != '#') {
        indent_ = first - begin_;
        return true;
      }
    }
    return false;
  }

  bool ReadMappingEntry(std::size_t pos) {
    if (IsEntry(pos) || !CanStartPlain(pos)) return false;
    const Plain key = ScanPlain(pos);
    if (key.colon == std::string_view::npos) return false;
    return ReadEntryAfterKey(pos, key);
  }

  bool ReadSequenceEntry(std::size_t pos) {
    if (!IsEntry(pos)) return false;
    const std::size_t item = SkipSpaces(pos + 1);
    // An empty item, or one whose value starts on the next line or is itself an entry.
    if (item == end_ || text_[item] == '#' || IsEntry(item)) return false;
    if (!CanStartPlain(item)) return ReadValue(item);
    const Plain plain = ScanPlain(item);
    if (plain.colon == std::string_view::npos) {
      EmitPlain(item, plain.end);
      return true;
    }
    blocks_.push_back({true, false, item - begin_});
    Emit(Type::kMappingStart, item);
    return ReadEntryAfterKey(item, plain);
  }

  // The key scanned from `pos`, and the value after it.
  bool ReadEntryAfterKey(std::size_t pos, const Plain& key) {
    if (key.colon - pos > kMaxKeyLength) return false;
    EmitPlain(pos, key.end);
    const std::size_t value = SkipSpaces(key.colon + 1);
    if (value == end_ || text_[value] == '#') {
      value_pending_ = true;
      pending_key_ = Where(pos);
      return true;
    }
    return ReadValue(value);
  }

  bool ReadValue(std::size_t pos) {
    switch (text_[pos]) {
      case '[':
        return ReadFlowSequence(pos);
      case '\'':
      case '"':
        return ReadQuoted(pos);
      default:
        return ReadPlain(pos);
    }
  }

  bool ReadPlain(std::size_t pos) {
    if (!CanStartPlain(pos)) return false;
    const Plain plain = ScanPlain(pos);
    if (plain.colon != std::string_view::npos) return false;  // a key where a value belongs
    EmitPlain(pos, plain.end);
    return true;
  }

  bool ReadQuoted(std::size_t pos) {
    const char quote = text_[pos];
    const std::string_view rest = text_.substr(pos + 1, end_ - pos - 1);
    const std::size_t length = rest.find(quote);
    if (length == std::string_view::npos) return false;  // continues on the next line
    const std::size_t close = pos + 1 + length;
    if (quote == '\'' && close + 1 < end_ && text_[close + 1] == '\'') return false;
    if (quote == '"' && rest.substr(0, length).find('\\') != std::string_view::npos) return false;
    EmitScalar(pos, text_.substr(pos + 1, length), false);
    return IsLineEnd(close + 1);
  }

  bool ReadFlowSequence(std::size_t pos) {
    Emit(Type::kSequenceStart, pos);
    std::size_t p = SkipSpaces(pos + 1);
    if (p < end_ && text_[p] == ']') {
      Emit(Type::kSequenceEnd, p);
      return IsLineEnd(p + 1);
    }
    while (true) {
      p = SkipSpaces(p);
      if (p == end_ || IsIndicator(text_[p])) return false;
      const std::size_t item = p;
      std::size_t end = p;
      for (; p < end_ && text_[p] != ',' && text_[p] != ']'; ++p) {
        switch (text_[p]) {
          case '[':
          case '{':
          case '}':
          case '#':
          case ':':
          case '?':
            return false;
          case ' ':
            break;
          default:
            end = p + 1;
        }
      }
      if (p == end_) return false;  // continues on the next line
      EmitPlain(item, end);
      if (text_[p] == ']') {
        Emit(Type::kSequenceEnd, p);
        return IsLineEnd(p + 1);
      }
      ++p;
    }
  }

  // A plain scalar that starts at `pos` and ends at the line's end, at a comment, or at the
  // `: ` that makes it a key.
  Plain ScanPlain(std::size_t pos) const {
    Plain plain{pos, std::string_view::npos};
    for (std::size_t p = pos; p < end_; ++p) {
      const char c = text_[p];
      if (c == ':' && IsBlankAt(p + 1)) {
        plain.colon = p;
        break;
      }
      if (c != ' ') {
        plain.end = p + 1;
      } else if (p + 1 < end_ && text_[p + 1] == '#') {
        break;
      }
    }
    return plain;
  }

  bool CanStartPlain(std::size_t pos) const {
    return !IsIndicator(text_[pos]) || (text_[pos] == '-' && !IsBlankAt(pos + 1));
  }

  // A block entry: a dash followed by a space or the end of the line.
  bool IsEntry(std::size_t pos) const { return text_[pos] == '-' && IsBlankAt(pos + 1); }
  bool IsBlankAt(std::size_t pos) const { return pos == end_ || text_[pos] == ' '; }

  // After a value: nothing but spaces, or spaces and a comment.
  bool IsLineEnd(std::size_t pos) const {
    const std::size_t p = SkipSpaces(pos);
    return p == end_ || (p > pos && text_[p] == '#');
  }

  std::size_t SkipSpaces(std::size_t pos) const {
    while (pos < end_ && text_[pos] == ' ') ++pos;
    return pos;
  }

  void Open(std::size_t pos, bool indentless) {
    const bool mapping = !IsEntry(pos);
    blocks_.push_back({mapping, indentless, indent_});
    Emit(mapping ? Type::kMappingStart : Type::kSequenceStart, pos);
  }

  void Close() {
    Emit(blocks_.back().mapping ? Type::kMappingEnd : Type::kSequenceEnd, begin_);
    blocks_.pop_back();
  }

  Location Where(std::size_t pos) const { return {line_, static_cast<int>(pos - begin_) + 1}; }

  void Emit(Type type, std::size_t pos) { sink_.Add({type, false, Where(pos), {}, {}}); }

  void EmitScalar(std::size_t pos, std::string_view value, bool plain) {
    sink_.Add({Type::kScalar, plain, Where(pos), value, {}});
  }

  void EmitPlain(std::size_t begin, std::size_t end) {
    EmitScalar(begin, text_.substr(begin, end - begin), true);
  }

  // The value of a key with none: an empty plain scalar, which the tree builder places at its
  // key.
  void EmitNull() { sink_.Add({Type::kScalar, true, pending_key_, {}, {}}); }

  std::string_view text_;
  YamlEventSink& sink_;
  std::size_t next_ = 0;   // where the line after the current one starts
  std::size_t begin_ = 0;  // the current line is [begin_, end_), without its line feed
  std::size_t end_ = 0;
  std::size_t indent_ = 0;
  int line_ = 0;
  bool started_ = false;
  bool text_is_ascii_ = true;
  bool value_pending_ = false;  // the last key read has no value on its line
  Location pending_key_;
  std::vector<Block> blocks_;
};

}  // namespace

bool ReadSimpleYaml(std::string_view text, YamlEventSink& sink) {
  return SimpleYamlReader(text, sink).Read();
}

}  // namespace weft::dag
