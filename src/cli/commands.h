#pragma once

// The verbs of the command line (§6). Each returns the process exit code; main.cc only parses
// arguments and dispatches.

#include <string>
#include <vector>

namespace weft::cli {

// Options shared by the verbs that load a DAG.
struct LoadFlags {
  std::string base_file;  // --base; "" = the default location
  std::string dags_dir;   // --dags; "" = $WEFT_HOME/dags
};

struct StartFlags {
  LoadFlags load;
  std::string dag;
  std::vector<std::string> params;  // words after `--`
  std::string params_text;          // --params
  std::string run_id;               // --run-id; "" = new
  bool quiet = false;
  std::string parent;       // --parent NAME:ID (nested runs)
  std::string root;         // --root NAME:ID
  std::string parent_step;  // --parent-step: the parent's step that runs this one
  std::string document;     // --document NAME: a DAG of the file other than its first
  std::string parent_otel;  // --parent-otel FILE: the parent's otel block, under this DAG's
};

int Start(const StartFlags& flags);

// `weft retry DAG --run-id ID [--step NAME]`: the same run id again, a new attempt. Without
// --step every step that did not succeed runs again and succeeded ones keep their outputs;
// with it only that step runs again.
struct RetryFlags {
  LoadFlags load;
  std::string dag;
  std::string run_id;
  std::string step;
  bool quiet = false;
};
int Retry(const RetryFlags& flags);
int Dry(const StartFlags& flags);
int Validate(const LoadFlags& flags, const std::vector<std::string>& dags);

struct QueryFlags {
  std::string dag;
  std::string run_id;
  std::string step;
  std::string status;
  int limit = 20;
  bool json = false;
};

int Status(const QueryFlags& flags);
int History(const QueryFlags& flags);
int Logs(const QueryFlags& flags);
int Trace(const QueryFlags& flags);
// `weft stop DAG [--run-id]`: SIGTERM to the weft process running the run, then wait for it.
int Stop(const QueryFlags& flags);

// `weft otel flush [DAG]`: deliver the spool of the collector the DAG (or, without one, the
// OTEL_* environment) exports to.
int OtelFlush(const LoadFlags& flags, const std::string& dag);

}  // namespace weft::cli
