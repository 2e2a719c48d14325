#pragma once

// A parsed YAML file written out node by node, with each node's kind, place and text, and a
// log's errors one per line: what the tests and the fuzzer compare when they check two readers
// against each other.

#include <string>

#include "dag/diagnostic.h"
#include "dag/yaml_tree.h"

namespace weft::dag {

inline void AppendYamlNodeText(const YamlNode& node, int depth, std::string& out) {
  out.append(2 * depth, ' ');
  out += std::to_string(node.where.line) + ":" + std::to_string(node.where.column) + " ";
  out += node.Describe();
  if (node.is_scalar()) out += (node.plain ? " plain `" : " quoted `") + node.text + "`";
  out += '\n';
  for (const YamlNode* child : node.children) AppendYamlNodeText(*child, depth + 1, out);
}

// "(none)" when the parse failed.
inline std::string YamlFileText(const YamlFile* file) {
  if (file == nullptr) return "(none)";
  std::string out;
  for (const YamlNode* document : file->documents()) {
    out += "---\n";
    AppendYamlNodeText(*document, 0, out);
  }
  return out;
}

inline std::string ErrorsText(const DiagnosticLog& log) {
  std::string out;
  for (const Diagnostic& error : log.errors()) out += error.ToString() + "\n";
  return out;
}

}  // namespace weft::dag
