#pragma once

// The variables of a run and of its steps, with the precedence of §2.6 (lowest first): process
// environment · built-ins · params · DAG env (base.yaml entries first) · dotenv files ·
// outputs of upstream steps · step env.

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dag/dag.h"
#include "eval/command_substitution.h"
#include "eval/params.h"
#include "eval/variables.h"

namespace weft::eval {

using NamedValues = std::vector<std::pair<std::string, std::string>>;

struct RunScopeInput {
  const dag::Dag* dag = nullptr;
  // From `weft start dag -- A=2 foo` or `--params "A=2 foo"`. Values are data: they are
  // neither expanded nor run.
  std::vector<Param> overrides;
  // DAG_NAME, DAG_RUN_ID, DAG_RUN_LOG_FILE... as the caller knows them.
  NamedValues builtins;
  // NAME=value strings ending in nullptr, like `environ`; nullptr = none.
  char** process_env = nullptr;
  // The run's working dir: dotenv paths are resolved here first, and commands run here.
  std::string working_dir;
  // Where dotenv paths are resolved second; "" = the directory of dag->file.
  std::string dag_dir;
  // Timeout and output bound of backtick commands (its working_dir is ignored).
  CommandOptions commands;
};

// The resolved scope of one run.
struct RunScope {
  Variables variables;
  // Declared params with their final values in declared order, then params given only as
  // overrides. Positional params keep an empty name.
  std::vector<Param> params;
  // {"NAME": value, ..., "1": first positional, ...}; also set as DAG_PARAMS_JSON.
  std::string params_json;
};

// Builds the run's variables. Param defaults are evaluated in declared order (a default may use
// an earlier param and backticks); an override replaces a named param by name and the k-th
// positional param by position. When the DAG declares named params an unknown named override
// is an error, and when it declares any params more positional overrides than declared
// positional params is an error; a DAG that declares none takes what it is given. Positional
// params are $1, $2... DAG env values are evaluated in order (backticks allowed); then `.env`
// and each `dotenv` file (expanded, then looked up in working_dir, then dag_dir; a missing one
// is skipped, none is loaded twice) are loaded. Returns nullopt and sets *error naming the
// param, env entry or file:line at fault.
std::optional<RunScope> BuildRunScope(const RunScopeInput& input, std::string* error);

// A step's variables: an overlay on the run's that holds `upstream_outputs` in precedence order
// (later wins), then the step's own env entries, each evaluated (backticks allowed) with
// everything before it; names the overlay does not hold are looked up in `references`, then in
// `run`. The overlay keeps `run` and `references` alive. Costs O(outputs + entries), whatever the
// size of the run's scope (a backtick command still gets the whole environment). Returns nullopt
// and sets *error naming the env entry.
std::optional<Variables> BuildStepVariables(std::shared_ptr<const Variables> run,
                                            std::shared_ptr<const References> references,
                                            const NamedValues& upstream_outputs,
                                            const std::vector<dag::EnvEntry>& step_env,
                                            const CommandOptions& commands, std::string* error);

// The `otel` block with its strings (endpoint, header and string resource values, timeout,
// protocol, compression, certificate paths) expanded with `vars` (§5.1).
dag::OtelConfig ExpandOtelConfig(const dag::OtelConfig& otel, const Variables& vars);

}  // namespace weft::eval
