#pragma once

// Turns a step of the model into the processes to run (§3.2): shell selection, `-e` for the
// sh family when the user did not choose the shell, scripts written to a file and run by the
// shell or by `command` as interpreter, variables expanded, the working dir resolved and
// created.

#include <string>
#include <unordered_set>
#include <vector>

#include "dag/dag.h"
#include "eval/variables.h"

namespace weft::engine {

struct StepCommand {
  std::vector<std::vector<std::string>> argvs;  // run in turn; stop at the first failure
  std::string working_dir;                      // absolute, exists
  // `stdout:`/`stderr:` of the step, expanded and absolute: where a copy of each log goes when
  // the step ends; "" = none.
  std::string stdout_copy;
  std::string stderr_copy;
};

struct StepCommandContext {
  std::string dag_working_dir;  // absolute
  std::string default_shell;    // $SHELL of weft's environment; "" = sh
  std::string script_path;      // where to write the step's script, if it has one
  // Working directories already made to exist in this run, and so not looked at again (a
  // system call per step); null: none. The directory a step gets is added.
  std::unordered_set<std::string>* existing_dirs = nullptr;
};

// Returns false with *error set when the step cannot be turned into a command line (no
// command, the working dir cannot be created, the script cannot be written).
bool BuildStepCommand(const dag::Dag& dag, const dag::Step& step, const eval::Variables& vars,
                      const StepCommandContext& context, StepCommand* out, std::string* error);

// Sets out->stdout_copy and out->stderr_copy from the step's `stdout:`/`stderr:`, expanded and
// taken from `working_dir` when relative. Shared by command steps and sub-DAG calls.
void SetLogCopies(const dag::Step& step, const eval::Variables& vars,
                  const std::string& working_dir, StepCommand* out);

// A name as a single path component: every character outside [A-Za-z0-9._-] becomes '_' and a
// leading '.' gets a '_' before it, so no step or DAG name can reach outside the run directory.
std::string FileSafeName(const std::string& name);

// Splits a shell setting like "bash -o pipefail" into words (quotes respected).
std::vector<std::string> SplitWords(const std::string& text);

}  // namespace weft::engine
