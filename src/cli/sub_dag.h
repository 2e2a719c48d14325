#pragma once

// Sub-DAG calls (§4) from the command line's side: where a `run:`/`call:` target is, the
// load-time check of every call whose target is written out, and the `weft start` command line
// that runs one call as a separate weft process linked to its parent and root runs.

#include <optional>
#include <string>
#include <vector>

#include "dag/dag.h"
#include "dag/diagnostic.h"
#include "engine/run_info.h"
#include "eval/variables.h"

namespace weft::cli {

// Where a called DAG is: a file, and the name of a DAG inside it when it is one of the file's
// other documents ("" = the file's own DAG).
struct SubDagLocation {
  std::string file;
  std::string document;
};

// What a target is looked up against.
struct SubDagScope {
  std::string caller_file;               // the file the calling DAG came from
  std::vector<std::string> local_names;  // the other DAGs of that file
  std::string working_dir;               // the calling run's working dir
  std::string dags_dir;                  // $WEFT_HOME/dags or --dags
};

// A local DAG of the caller's file by name; else the target as a path or name relative to the
// caller's directory, then the working dir, then the DAGs dir, each as written and with .yaml
// and .yml appended. nullopt when nothing matches; *tried lists where it looked.
std::optional<SubDagLocation> FindSubDag(const std::string& target, const SubDagScope& scope,
                                         std::string* tried);

// An error for every call step (handlers included) whose target holds no variable and names
// no DAG: a missing child is an error of the parent's file, before anything runs.
std::vector<dag::Diagnostic> CheckSubDags(const dag::Dag& dag, const SubDagScope& scope);

// Everything a child `weft start` inherits from the run that calls it.
struct ChildRunContext {
  std::string weft;  // this weft executable
  SubDagScope scope;
  engine::RunRef parent;
  engine::RunRef root;
  std::string base_file;    // --base given to the parent; "" = default
  std::string dags_dir;     // --dags given to the parent; "" = default
  std::string parent_otel;  // a file with the parent's otel block; "" = none
};

// The command line of one call: `weft start --quiet --parent P:ID --root R:ID --run-id NEW
// --parent-step STEP [--document NAME] [--parent-otel FILE] FILE -- NAME=value...`, with the
// target and each param value expanded with `vars`. False with *error when the target names no
// DAG.
bool ChildCommand(const ChildRunContext& context, const dag::Step& step,
                  const eval::Variables& vars, std::vector<std::string>* argv, std::string* error);

// The parent's otel block (already expanded) written for a child to read with ReadParentOtel;
// 0600, in the parent's run directory. Returns "" (and writes nothing) for an empty block.
std::string WriteParentOtel(const dag::OtelConfig& otel, const std::string& run_dir,
                            std::string* error);
std::optional<dag::OtelConfig> ReadParentOtel(const std::string& path, std::string* error);

}  // namespace weft::cli
