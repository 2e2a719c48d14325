#pragma once

// Loads a DAG file (both key dialects, several documents, base.yaml merged under it) into the
// immutable model of dag.h. It never throws on bad input: every problem becomes a Diagnostic,
// and a file with several errors reports all of them.

#include <memory>
#include <string>
#include <vector>

#include "dag/dag.h"
#include "dag/diagnostic.h"

namespace weft::dag {

struct LoadOptions {
  // base.yaml to merge under the DAG (§2.7); "" = none. The CLI resolves the default location.
  std::string base_file;
  // Base handler_on applies to root runs only (§2.7): a child run (`weft start --parent ...`)
  // loads with false and gets no handlers from base.yaml. Local DAGs never get them.
  bool root_run = true;
};

struct LoadResult {
  std::shared_ptr<const Dag> dag;  // null when there are errors
  std::vector<Diagnostic> errors;
  std::vector<Diagnostic> warnings;
  bool ok() const { return dag != nullptr && errors.empty(); }
};

// Loads the DAG file at `path`.
LoadResult LoadFile(const std::string& path, const LoadOptions& options = {});

// Loads from text; `path` names it in diagnostics and is the base for relative paths.
LoadResult LoadString(const std::string& text, const std::string& path,
                      const LoadOptions& options = {});

// The default base.yaml location of §2.7: $WEFT_HOME/base.yaml, else
// $XDG_CONFIG_HOME/weft/base.yaml, else ~/.config/weft/base.yaml; "" when none exists.
std::string DefaultBaseFile();

}  // namespace weft::dag
