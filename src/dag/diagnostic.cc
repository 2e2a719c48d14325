#include "dag/diagnostic.h"

#include <algorithm>
#include <tuple>
#include <utility>

namespace weft::dag {

std::string Diagnostic::ToString() const {
  std::string text = file;
  if (line > 0) {
    text += ':' + std::to_string(line);
    if (column > 0) text += ':' + std::to_string(column);
  }
  text += severity == Severity::kError ? ": error: " : ": warning: ";
  text += message;
  if (!key.empty()) text += " (key `" + key + "`)";
  if (!hint.empty()) text += "; " + hint;
  return text;
}

std::ostream& operator<<(std::ostream& out, const Diagnostic& diagnostic) {
  return out << diagnostic.ToString();
}

void DiagnosticLog::Error(Location where, std::string_view key, std::string message,
                          std::string hint) {
  errors_.push_back({Diagnostic::Severity::kError, file_, where.line, where.column,
                     std::string(key), std::move(message), std::move(hint)});
}

void DiagnosticLog::Warning(Location where, std::string_view key, std::string message,
                            std::string hint) {
  warnings_.push_back({Diagnostic::Severity::kWarning, file_, where.line, where.column,
                       std::string(key), std::move(message), std::move(hint)});
}

void DiagnosticLog::Append(const DiagnosticLog& other) {
  errors_.insert(errors_.end(), other.errors_.begin(), other.errors_.end());
  warnings_.insert(warnings_.end(), other.warnings_.begin(), other.warnings_.end());
}

void DiagnosticLog::SortByPlace() {
  const auto by_place = [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  };
  std::stable_sort(errors_.begin(), errors_.end(), by_place);
  std::stable_sort(warnings_.begin(), warnings_.end(), by_place);
}

}  // namespace weft::dag
