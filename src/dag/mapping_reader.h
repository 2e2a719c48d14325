#pragma once

// Typed reading of YAML values with diagnostics. MappingReader checks the keys of one mapping
// against the key table of its section (keys.h) and hands out values by canonical name; the
// free functions read one value and report a wrong type naming the key as the file wrote it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dag/diagnostic.h"
#include "dag/keys.h"
#include "dag/yaml_tree.h"

namespace weft::dag {

// Text of a scalar for a message: `value`, shortened when long.
std::string Quote(const YamlNode& scalar);

// "must be EXPECTED, not `x`" / "must be EXPECTED, not a list".
std::string MustBe(std::string_view key, std::string_view expected, const YamlNode& value);

// Any scalar as text, exactly as written (`true` and `1.0` stay text).
std::optional<std::string> ReadText(const YamlNode& value, std::string_view key,
                                    DiagnosticLog& log);
std::optional<bool> ReadBool(const YamlNode& value, std::string_view key, DiagnosticLog& log);
// A whole number in [min, max].
std::optional<std::int64_t> ReadInteger(const YamlNode& value, std::string_view key,
                                        std::int64_t min, std::int64_t max, DiagnosticLog& log);
// A string or a list of strings (one string is a list of one).
std::optional<std::vector<std::string>> ReadTextList(const YamlNode& value, std::string_view key,
                                                     DiagnosticLog& log);
// A whole number or a list of them, each in [min, max] (exit codes).
std::optional<std::vector<int>> ReadIntegerList(const YamlNode& value, std::string_view key,
                                                int min, int max, DiagnosticLog& log);

// One mapping of a DAG file. Construction reports keys that are not strings, unknown keys
// (with the nearest known spelling), one key written in two spellings (`dir` and
// `working_dir`), and Dagu keys weft ignores (a warning). A key whose value is empty (`key:`)
// counts as absent, as in Dagu.
class MappingReader {
 public:
  // `mapping` must be a mapping; it must outlive the reader.
  MappingReader(const YamlNode& mapping, Section section, DiagnosticLog& log);

  // The value of a canonical key; nullptr when absent or empty.
  const YamlNode* Find(std::string_view key) const;
  // True when the key was written, even with an empty value.
  bool Written(std::string_view key) const;
  // The key as the file spells it (`retryPolicy`); the canonical name when it is absent.
  std::string_view Spelling(std::string_view key) const;
  // Where the key is written; the mapping's place when it is absent.
  Location KeyWhere(std::string_view key) const;
  // Canonical names of the keys written (ignored keys left out), in file order.
  std::vector<std::string_view> Keys() const;

  // Typed reads: nothing happens when the key is absent; a value of the wrong type is
  // reported. They return true when *out was set.
  bool Read(std::string_view key, std::string* out) const;
  bool Read(std::string_view key, std::optional<std::string>* out) const;
  bool Read(std::string_view key, bool* out) const;
  bool Read(std::string_view key, std::optional<bool>* out) const;
  bool Read(std::string_view key, std::vector<std::string>* out) const;
  // A whole number >= min (and small enough for an int).
  bool ReadCount(std::string_view key, int* out, int min = 0) const;

  // An error about the value of `key` (at the value, or at the mapping when absent).
  void Error(std::string_view key, std::string message, std::string hint = {}) const;

  Location where() const { return mapping_.where; }

 private:
  struct Entry {
    std::string_view canonical;
    const YamlNode* key;
    const YamlNode* value;
  };
  const Entry* FindEntry(std::string_view key) const;

  const YamlNode& mapping_;
  DiagnosticLog& log_;
  std::vector<Entry> entries_;
};

}  // namespace weft::dag
