#pragma once

// A YAML file as a tree of nodes that remember where they were written, built from parse events:
// those of weft's simple reader (simple_yaml.h) for the plain YAML most DAG files are, libyaml's
// for anything else. libyaml rather than yaml-cpp: it parsed a 100,000-step file five to eight
// times faster (0.1 s against 0.5-0.8 s here), and the §8 bar is a second for the whole load.
// Building the tree ourselves also guarantees what a composed YAML::Node does not: aliases
// cannot expand into a "billion laughs" (their total expansion is bounded by the size of the
// file), an alias cannot make the tree cyclic, nesting is bounded (kMaxDepth) and never recursed
// on the stack, a key given twice in one mapping is reported, and `<<` merge keys work as in
// other YAML libraries.

#include <cstddef>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dag/dag.h"
#include "dag/diagnostic.h"

namespace weft::dag {

struct YamlNode {
  enum class Kind : unsigned char { kNull, kScalar, kSequence, kMapping };

  Kind kind = Kind::kNull;
  // A scalar written without quotes, block style or tag: it may read as a bool or number.
  bool plain = false;
  Location where;    // for an empty mapping value, the place of its key
  std::string text;  // a scalar's text as written (after YAML unescaping)
  // Sequence items; for a mapping, keys and values alternating. Aliased nodes are shared.
  std::vector<const YamlNode*> children;

  bool is_null() const { return kind == Kind::kNull; }
  bool is_scalar() const { return kind == Kind::kScalar; }
  bool is_sequence() const { return kind == Kind::kSequence; }
  bool is_mapping() const { return kind == Kind::kMapping; }

  // Items of a sequence, or entries of a mapping.
  std::size_t size() const { return is_mapping() ? children.size() / 2 : children.size(); }
  const YamlNode& item(std::size_t i) const { return *children[i]; }
  const YamlNode& key(std::size_t i) const { return *children[2 * i]; }
  const YamlNode& value(std::size_t i) const { return *children[2 * i + 1]; }

  // "a string", "a list", "a mapping" or "empty", for messages such as "must be X, not Y".
  std::string_view Describe() const;
};

// The items of a list, or the one node `node` points at otherwise: for keys that take one value
// or a list of them. The span may hold `node` itself, so it is valid while that pointer is (a
// temporary pointer is refused).
inline std::span<const YamlNode* const> ItemsOrOne(const YamlNode* const& node) {
  if (node->is_sequence()) return node->children;
  return {&node, 1};
}
std::span<const YamlNode* const> ItemsOrOne(const YamlNode*&& node) = delete;

// The documents of one YAML stream. Owns every node; pointers into it stay valid as long as
// the YamlFile lives.
class YamlFile {
 public:
  // Collections nested deeper than this are refused; no DAG file comes near it.
  static constexpr std::size_t kMaxDepth = 200;

  // Parses `text`. Returns null after reporting a syntax error (with libyaml's line and
  // column), nesting deeper than kMaxDepth, an alias expanding too far, an undefined or
  // recursive alias. Keys given twice are reported and the later one dropped; they do not stop
  // the parse.
  // Text in the plain subset of simple_yaml.h is read without libyaml, to the same tree.
  static std::unique_ptr<const YamlFile> Parse(std::string_view text, DiagnosticLog& log);
  // The same, always through libyaml: for checking the simple reader against it.
  static std::unique_ptr<const YamlFile> ParseWithLibyaml(std::string_view text,
                                                          DiagnosticLog& log);

  // One root per document, in file order; an empty document is a null node.
  const std::vector<const YamlNode*>& documents() const { return documents_; }

 private:
  friend class YamlTreeBuilder;

  YamlFile() = default;
  // The tree the simple reader reads, or null when it declines (or the builder stops it:
  // libyaml reads the text again to say where). Diagnostics reach `log` only with a tree.
  static std::unique_ptr<const YamlFile> ReadSimple(std::string_view text, DiagnosticLog& log);

  std::deque<YamlNode> nodes_;
  std::vector<const YamlNode*> documents_;
};

}  // namespace weft::dag
