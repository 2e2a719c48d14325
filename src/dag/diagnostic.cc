#include "dag/diagnostic.h"

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

}  // namespace weft::dag
