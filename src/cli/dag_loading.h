#pragma once

// From a DAG argument to a run ready to start: find the file, load it (printing every
// diagnostic), parse the param overrides, pick the run id and directory, and build the run's
// variable scope. Shared by start and dry so that dry shows exactly what start would run.

#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/sub_dag.h"
#include "dag/dag.h"
#include "eval/run_scope.h"
#include "eval/secrets.h"

namespace weft::cli {

// Loads the DAG named by `arg`, printing errors and warnings to stderr. Null on failure.
// `root_run` false: a child run, which takes no handlers from base.yaml (§2.7).
std::shared_ptr<const dag::Dag> LoadDag(const LoadFlags& flags, const std::string& arg,
                                        bool root_run = true);

struct PreparedRun {
  std::shared_ptr<const dag::Dag> dag;
  std::string file;      // the file it came from (a local DAG has none of its own)
  SubDagScope sub_dags;  // what its run:/call: targets are looked up against
  std::string run_id;
  std::string run_dir;
  std::string working_dir;    // the DAG's working dir, absolute
  std::string default_shell;  // $SHELL
  eval::RunScope scope;
  // What weft masks in what it prints or records about the run (§5.1).
  eval::SecretMasker secrets;
};

// False (with the reason printed) when the DAG does not load, a sub-DAG it names does not
// exist, or the params are wrong. With `dry`, nothing is created on disk.
bool PrepareRun(const StartFlags& flags, const std::string& home, PreparedRun* out,
                bool dry = false);

// What `weft dry` prints: the steps in run order with dependencies and resolved commands.
std::string DescribePlan(const PreparedRun& run);

}  // namespace weft::cli
