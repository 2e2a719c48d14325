#include "dag/yaml_tree.h"

#include <yaml.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <new>
#include <string>
#include <unordered_map>
#include <utility>

#include "dag/simple_yaml.h"
#include "dag/yaml_event.h"

namespace weft::dag {
namespace {

// Aliases may add this many nodes, plus kAliasRatio per node written in the file, before the
// file is refused. Real DAG files share a few step templates; a "billion laughs" document
// needs millions of times its own size.
constexpr std::size_t kAliasAllowance = 100'000;
constexpr std::size_t kAliasRatio = 10;

// Mappings with more entries than this look keys up through a hash map instead of a scan, and
// are always resolved through a KeySet.
constexpr std::size_t kLinearScanLimit = 16;

Location ToLocation(const yaml_mark_t& mark) {
  return {static_cast<int>(mark.line) + 1, static_cast<int>(mark.column) + 1};
}

std::string_view AnchorName(const yaml_char_t* anchor) {
  return anchor == nullptr ? "" : reinterpret_cast<const char*>(anchor);
}

// Stops the parse for a reason of our own.
struct ParseAbort {
  Location where;
  std::string message;
  std::string hint;
};

// libyaml's parser and its current event, released however the parse ends.
class EventStream {
 public:
  explicit EventStream(std::string_view text) : text_(text) {
    if (yaml_parser_initialize(&parser_) == 0) throw std::bad_alloc();
    yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()),
                                 text.size());
  }
  ~EventStream() {
    if (has_event_) yaml_event_delete(&event_);
    yaml_parser_delete(&parser_);
  }
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  // The next event, as the tree builder takes it; false at the end of the stream.
  bool Next(YamlEvent& next) {
    while (true) {
      if (has_event_) yaml_event_delete(&event_);
      has_event_ = yaml_parser_parse(&parser_, &event_) != 0;
      if (!has_event_) throw SyntaxError();
      next = YamlEvent{};
      next.where = ToLocation(event_.start_mark);
      switch (event_.type) {
        case YAML_STREAM_END_EVENT:
          return false;
        case YAML_DOCUMENT_START_EVENT:
          next.type = YamlEvent::Type::kDocumentStart;
          return true;
        case YAML_DOCUMENT_END_EVENT:
          next.type = YamlEvent::Type::kDocumentEnd;
          return true;
        case YAML_SCALAR_EVENT: {
          const auto& scalar = event_.data.scalar;
          next.type = YamlEvent::Type::kScalar;
          next.text = {reinterpret_cast<const char*>(scalar.value), scalar.length};
          next.plain = scalar.style == YAML_PLAIN_SCALAR_STYLE && scalar.tag == nullptr;
          next.anchor = AnchorName(scalar.anchor);
          return true;
        }
        case YAML_ALIAS_EVENT:
          next.type = YamlEvent::Type::kAlias;
          next.text = AnchorName(event_.data.alias.anchor);
          return true;
        case YAML_SEQUENCE_START_EVENT:
          next.type = YamlEvent::Type::kSequenceStart;
          next.anchor = AnchorName(event_.data.sequence_start.anchor);
          return true;
        case YAML_SEQUENCE_END_EVENT:
          next.type = YamlEvent::Type::kSequenceEnd;
          return true;
        case YAML_MAPPING_START_EVENT:
          next.type = YamlEvent::Type::kMappingStart;
          next.anchor = AnchorName(event_.data.mapping_start.anchor);
          return true;
        case YAML_MAPPING_END_EVENT:
          next.type = YamlEvent::Type::kMappingEnd;
          return true;
        default:  // the stream's start
          break;
      }
    }
  }

 private:
  ParseAbort SyntaxError() const {
    if (parser_.error == YAML_READER_ERROR) return EncodingError();
    std::string message = "YAML syntax error: ";
    message += parser_.problem != nullptr ? parser_.problem : "cannot parse";
    if (parser_.context != nullptr) {
      message += std::string(" (") + parser_.context + " that starts on line " +
                 std::to_string(parser_.context_mark.line + 1) + ")";
    }
    return {ToLocation(parser_.problem_mark), std::move(message),
            "check the indentation and quoting here and on the line before"};
  }

  // libyaml reports bad bytes (invalid UTF-8, control characters) by offset, not by mark.
  ParseAbort EncodingError() const {
    const std::string problem = parser_.problem != nullptr ? parser_.problem : "unreadable byte";
    std::size_t offset = std::min(parser_.problem_offset, text_.size());
    // A broken sequence is reported at the byte that broke it; users look for where it began.
    if (problem.find("trailing") != std::string::npos) offset = SequenceStart(offset);
    const std::string_view before = text_.substr(0, offset);
    const std::size_t line_start = before.rfind('\n');
    const int line = static_cast<int>(std::count(before.begin(), before.end(), '\n')) + 1;
    const int column =
        static_cast<int>(line_start == std::string_view::npos ? offset : offset - line_start - 1) +
        1;
    std::string message =
        "the file is not valid text: " + problem + " at offset " + std::to_string(offset);
    if (offset < text_.size()) {
      char byte[8];
      std::snprintf(byte, sizeof byte, "0x%02x", static_cast<unsigned char>(text_[offset]));
      message += std::string(" (byte ") + byte + ")";
    }
    return {{line, column},
            std::move(message),
            "a DAG file is UTF-8 (or UTF-16 with a byte order mark); re-save it as UTF-8"};
  }

  // Where the UTF-8 sequence that `offset` was expected to continue begins: its lead byte up to
  // three bytes back, or `offset` itself.
  std::size_t SequenceStart(std::size_t offset) const {
    for (std::size_t back = 1; back <= 3 && back <= offset; ++back) {
      const auto c = static_cast<unsigned char>(text_[offset - back]);
      if ((c & 0xc0) == 0xc0) return offset - back;
      if ((c & 0xc0) != 0x80) break;
    }
    return offset;
  }

  std::string_view text_;
  yaml_parser_t parser_;
  yaml_event_t event_;
  bool has_event_ = false;
};

// The keys of one mapping seen so far, by text. Small mappings (nearly all of a DAG file)
// are scanned; big ones (e.g. steps as a mapping) are indexed.
class KeySet {
 public:
  const YamlNode* Find(std::string_view text) const {
    if (!index_.empty()) {
      auto it = index_.find(text);
      return it == index_.end() ? nullptr : it->second;
    }
    for (const YamlNode* key : keys_) {
      if (key->text == text) return key;
    }
    return nullptr;
  }

  void Add(const YamlNode* key) {
    keys_.push_back(key);
    if (!index_.empty()) {
      index_.emplace(key->text, key);
    } else if (keys_.size() > kLinearScanLimit) {
      for (const YamlNode* k : keys_) index_.emplace(k->text, k);
    }
  }

 private:
  std::vector<const YamlNode*> keys_;
  std::unordered_map<std::string_view, const YamlNode*> index_;
};

bool IsMergeKey(const YamlNode& key) { return key.is_scalar() && key.plain && key.text == "<<"; }

bool IsNullText(std::string_view text) {
  return text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL";
}

}  // namespace

std::string_view YamlNode::Describe() const {
  switch (kind) {
    case Kind::kNull:
      return "empty";
    case Kind::kScalar:
      return "a string";
    case Kind::kSequence:
      return "a list";
    case Kind::kMapping:
      return "a mapping";
  }
  return "a value";
}

// Turns parse events into YamlNodes, keeping an explicit stack of open collections so that
// building never recurses.
class YamlTreeBuilder final : public YamlEventSink {
 public:
  YamlTreeBuilder(YamlFile& file, DiagnosticLog& log) : file_(file), log_(log) {}

  // Takes the events of a whole stream, one at a time and in order.
  void Add(const YamlEvent& event) override {
    switch (event.type) {
      case YamlEvent::Type::kDocumentStart:
        anchors_.clear();
        root_ = nullptr;
        document_where_ = event.where;
        break;
      case YamlEvent::Type::kDocumentEnd:
        file_.documents_.push_back(
            root_ != nullptr ? root_ : NewNode(YamlNode::Kind::kNull, document_where_));
        break;
      case YamlEvent::Type::kScalar:
        OnScalar(event);
        break;
      case YamlEvent::Type::kAlias:
        OnAlias(event);
        break;
      case YamlEvent::Type::kSequenceStart:
        Open(YamlNode::Kind::kSequence, event);
        break;
      case YamlEvent::Type::kMappingStart:
        Open(YamlNode::Kind::kMapping, event);
        break;
      case YamlEvent::Type::kMappingEnd:
      case YamlEvent::Type::kSequenceEnd:
        Close();
        break;
    }
  }

 private:
  struct OpenCollection {
    YamlNode* node;
    std::string anchor;
    std::size_t weight;       // nodes it stands for once aliases are expanded
    std::size_t first_child;  // where its children start in children_
  };
  // A node an alias may name; null while the node is still open (an alias to it would be
  // recursive).
  struct Anchor {
    const YamlNode* node = nullptr;
    std::size_t weight = 0;
  };

  void OnScalar(const YamlEvent& event) {
    YamlNode* node = nullptr;
    if (event.plain && IsNullText(event.text)) {
      node = NewNode(YamlNode::Kind::kNull, event.where);
      // An empty value is marked where the next token starts; the key is where users look.
      if (!stack_.empty() && stack_.back().node->is_mapping() &&
          (children_.size() - stack_.back().first_child) % 2 == 1) {
        node->where = children_.back()->where;
      }
    } else {
      node = NewNode(YamlNode::Kind::kScalar, event.where);
      node->plain = event.plain;
      node->text = event.text;
    }
    Complete(node, 1, event.anchor);
  }

  void OnAlias(const YamlEvent& event) {
    const std::string name(event.text);
    const Location where = event.where;
    const auto it = anchors_.find(name);
    if (it == anchors_.end()) {
      throw ParseAbort{where, "alias `*" + name + "` names no anchor",
                       "define `&" + name + "` on a node before this alias"};
    }
    if (it->second.node == nullptr) {
      throw ParseAbort{where, "alias `*" + name + "` refers to a node that contains it",
                       "YAML aliases may not be recursive"};
    }
    expanded_ += it->second.weight;
    if (expanded_ > kAliasAllowance + kAliasRatio * file_.nodes_.size()) {
      throw ParseAbort{where,
                       "aliases expand to more than " + std::to_string(expanded_) +
                           " nodes, far more than the file holds (a \"billion laughs\" document?)",
                       "use fewer nested aliases"};
    }
    Attach(it->second.node, it->second.weight);
  }

  void Open(YamlNode::Kind kind, const YamlEvent& event) {
    const Location where = event.where;
    std::string anchor(event.anchor);
    if (stack_.size() >= YamlFile::kMaxDepth) {
      throw ParseAbort{
          where, "YAML nested more than " + std::to_string(YamlFile::kMaxDepth) + " levels deep",
          "a DAG file never needs that much nesting; flatten it"};
    }
    if (!anchor.empty()) anchors_[anchor] = Anchor{};
    stack_.push_back({NewNode(kind, where), std::move(anchor), 1, children_.size()});
  }

  // Gives the innermost collection its children, allocated once at their final size.
  void Close() {
    OpenCollection done = std::move(stack_.back());
    stack_.pop_back();
    const auto first = children_.begin() + static_cast<std::ptrdiff_t>(done.first_child);
    done.node->children.assign(first, children_.end());
    children_.erase(first, children_.end());
    if (done.node->is_mapping()) ResolveKeys(*done.node);
    Complete(done.node, done.weight, done.anchor);
  }

  YamlNode* NewNode(YamlNode::Kind kind, Location where) {
    YamlNode& node = file_.nodes_.emplace_back();
    node.kind = kind;
    node.where = where;
    return &node;
  }

  void Attach(const YamlNode* node, std::size_t weight) {
    if (stack_.empty()) {
      root_ = node;
      return;
    }
    children_.push_back(node);
    stack_.back().weight += weight;
  }

  void Complete(const YamlNode* node, std::size_t weight, std::string_view anchor) {
    if (!anchor.empty()) anchors_[std::string(anchor)] = {node, weight};
    Attach(node, weight);
  }

  // Drops (and reports) keys given twice, then applies `<<` merge keys: merged entries never
  // replace keys written in the mapping, and earlier merges win over later ones.
  void ResolveKeys(YamlNode& mapping) {
    if (NeedsNoResolving(mapping)) return;
    std::vector<const YamlNode*> entries;
    std::vector<const YamlNode*> merges;
    entries.reserve(mapping.children.size());
    KeySet keys;
    for (std::size_t i = 0; i < mapping.size(); ++i) {
      const YamlNode& key = mapping.key(i);
      if (IsMergeKey(key)) {
        merges.push_back(&mapping.value(i));
        continue;
      }
      if (key.is_scalar()) {
        if (const YamlNode* first = keys.Find(key.text)) {
          log_.Error(key.where, key.text,
                     "key `" + key.text + "` is given twice in this mapping (first on line " +
                         std::to_string(first->where.line) + ")",
                     "remove one of them");
          continue;
        }
        keys.Add(&key);
      }
      entries.push_back(&key);
      entries.push_back(&mapping.value(i));
    }
    for (const YamlNode* merge : merges) {
      if (merge->is_mapping()) {
        MergeInto(*merge, keys, entries);
      } else if (merge->is_sequence()) {
        for (const YamlNode* source : merge->children) {
          if (source->is_mapping()) {
            MergeInto(*source, keys, entries);
          } else {
            ReportBadMerge(*source);
          }
        }
      } else {
        ReportBadMerge(*merge);
      }
    }
    mapping.children = std::move(entries);
  }

  // True for a small mapping without merge keys or repeated keys: the common case, with
  // nothing to drop or merge, answered without allocating.
  static bool NeedsNoResolving(const YamlNode& mapping) {
    if (mapping.size() > kLinearScanLimit) return false;
    for (std::size_t i = 0; i < mapping.size(); ++i) {
      const YamlNode& key = mapping.key(i);
      if (IsMergeKey(key)) return false;
      if (!key.is_scalar()) continue;
      for (std::size_t j = 0; j < i; ++j) {
        if (mapping.key(j).is_scalar() && mapping.key(j).text == key.text) return false;
      }
    }
    return true;
  }

  static void MergeInto(const YamlNode& source, KeySet& keys,
                        std::vector<const YamlNode*>& entries) {
    for (std::size_t i = 0; i < source.size(); ++i) {
      const YamlNode& key = source.key(i);
      if (key.is_scalar()) {
        if (keys.Find(key.text) != nullptr) continue;
        keys.Add(&key);
      }
      entries.push_back(&key);
      entries.push_back(&source.value(i));
    }
  }

  void ReportBadMerge(const YamlNode& value) {
    log_.Error(value.where, "<<",
               "`<<` merges a mapping into this one, not " + std::string(value.Describe()),
               "write `<<: *anchor` where the anchor names a mapping, or a list of them");
  }

  YamlFile& file_;
  DiagnosticLog& log_;
  std::vector<OpenCollection> stack_;
  // The children of the open collections so far, outermost first.
  std::vector<const YamlNode*> children_;
  std::unordered_map<std::string, Anchor> anchors_;  // of the current document
  const YamlNode* root_ = nullptr;
  Location document_where_;
  std::size_t expanded_ = 0;  // nodes added by aliases so far, over the whole file
};

std::unique_ptr<const YamlFile> YamlFile::Parse(std::string_view text, DiagnosticLog& log) {
  if (auto file = ReadSimple(text, log)) return file;
  return ParseWithLibyaml(text, log);
}

std::unique_ptr<const YamlFile> YamlFile::ParseWithLibyaml(std::string_view text,
                                                           DiagnosticLog& log) {
  auto file = std::unique_ptr<YamlFile>(new YamlFile());
  try {
    YamlTreeBuilder builder(*file, log);
    EventStream events(text);
    YamlEvent event;
    while (events.Next(event)) builder.Add(event);
    return file;
  } catch (const ParseAbort& abort) {
    log.Error(abort.where, "", abort.message, abort.hint);
  }
  return nullptr;
}

std::unique_ptr<const YamlFile> YamlFile::ReadSimple(std::string_view text, DiagnosticLog& log) {
  auto file = std::unique_ptr<YamlFile>(new YamlFile());
  DiagnosticLog found(log.file());
  try {
    YamlTreeBuilder builder(*file, found);
    if (!ReadSimpleYaml(text, builder)) return nullptr;
  } catch (const ParseAbort&) {
    return nullptr;  // libyaml reads the text again and reports where
  }
  log.Append(found);
  return file;
}

}  // namespace weft::dag
