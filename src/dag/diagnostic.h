#pragma once

// A load problem tied to a place in a file. Every load error names file:line:column, the key at
// fault and, where one can be found, a hint ("did you mean `depends`?").

#include <string>
#include <vector>

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

}  // namespace weft::dag
