#pragma once

// Where weft keeps its files (§7) and how a DAG argument on the command line becomes a file.

#include <string>

namespace weft::cli {

// $WEFT_HOME, else ~/.local/share/weft. Created 0700 when missing.
std::string WeftHome();

// $WEFT_HOME/runs/<dag>/<run-id>, created 0700. The DAG name is made file-safe.
std::string RunDir(const std::string& home, const std::string& dag_name, const std::string& run_id);

// A DAG given as a path (as written, or with .yaml/.yml appended) or as a name in the DAGs dir
// (`--dags`, else $WEFT_HOME/dags). Returns "" when nothing matches; *tried lists what was
// looked at, for the error message.
std::string ResolveDagFile(const std::string& arg, const std::string& dags_dir, std::string* tried);

// A new run id: a UUIDv7 (time-ordered, so ids sort by start time) from a random source.
std::string NewRunId();

}  // namespace weft::cli
