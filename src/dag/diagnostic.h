#pragma once

// A load problem tied to a place in a file. Every load error names file:line:column, the key at
// fault and, where one can be found, a hint ("did you mean `depends`?").

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "dag/dag.h"

namespace weft::dag {

struct Diagnostic {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  std::string file;
  int line = 0;  // 1-based; 0 = whole file
  int column = 0;
  std::string key;  // the YAML key at fault, "" when none
  std::string message;
  std::string hint;  // what to do; "" when none

  // "file:line:column: error: message (key `k`); hint" on one line.
  std::string ToString() const;
};

// Writes ToString(); lets test frameworks and loggers print a diagnostic as users see it.
std::ostream& operator<<(std::ostream& out, const Diagnostic& diagnostic);

// The diagnostics of one file, in the order they were found. Errors and warnings are kept
// apart because callers treat them differently: any error means the file did not load.
class DiagnosticLog {
 public:
  explicit DiagnosticLog(std::string file) : file_(std::move(file)) {}

  void Error(Location where, std::string_view key, std::string message, std::string hint = {});
  void Warning(Location where, std::string_view key, std::string message, std::string hint = {});

  const std::string& file() const { return file_; }
  const std::vector<Diagnostic>& errors() const { return errors_; }
  const std::vector<Diagnostic>& warnings() const { return warnings_; }

  // Appends everything in `other` (e.g. the log of base.yaml) after what is here.
  void Append(const DiagnosticLog& other);

  // Orders errors and warnings by line and column, as a reader meets them in the file (they
  // are found in another order: all keys first, cycles last). Ties keep their order.
  void SortByPlace();

 private:
  std::string file_;
  std::vector<Diagnostic> errors_;
  std::vector<Diagnostic> warnings_;
};

}  // namespace weft::dag
