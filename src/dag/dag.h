#pragma once

// The immutable model of a DAG file. The loader (loader.h) builds it from YAML in either key
// dialect; everything downstream (engine, store, tracing, CLI) reads it and never changes it.
// Values that are expanded at run time (commands, env values, policy fields given as strings)
// are kept exactly as written.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace weft::dag {

// A position in a DAG file, 1-based. line == 0 means "not from a file" (e.g. a default).
struct Location {
  int line = 0;
  int column = 0;
};

// One declared parameter. Positional parameters have an empty name and are read as $1, $2...
struct ParamDef {
  std::string name;
  std::string default_value;  // as written; may contain ${...} and `backticks`
  Location where;
};

// One `NAME=value` entry of an `env` list or map, in file order.
struct EnvEntry {
  std::string name;
  std::string value;  // as written; expanded at run time
  Location where;
};

// A step or DAG precondition. `command` form: condition holds the command, expected is empty
// and the precondition is met when the command exits 0. Otherwise met when the expansion of
// `condition` equals `expected` (or matches it when expected starts with "re:").
struct Condition {
  std::string condition;
  std::string expected;
  bool is_command = false;
  bool negate = false;
  Location where;
};

// Fields given as strings may hold ${VAR}; they are expanded and parsed when the step runs.
struct RetryPolicy {
  std::string limit = "0";
  std::string interval_sec = "0";
  std::vector<int> exit_codes;  // empty = retry on any non-zero exit
  std::string backoff;          // "" = none, "true" = x2, or a number factor
  std::string max_interval_sec;
};

struct RepeatPolicy {
  enum class Mode { kNone, kAlways, kWhile, kUntil };
  Mode mode = Mode::kNone;
  std::string interval_sec = "0";
  std::string limit;  // "" = unlimited
  std::optional<Condition> condition;
  std::vector<int> exit_codes;
  std::string backoff;
  std::string max_interval_sec;
};

struct ContinueOn {
  bool failure = false;
  bool skipped = false;
  bool mark_success = false;
  std::vector<int> exit_codes;
  std::vector<std::string> output;  // substring, or "re:<regex>"
};

// `run:`/`call:` of a sub-DAG, optionally fanned out with `parallel:`.
struct SubDagCall {
  std::string target;            // as written: local DAG name, path, or name in the DAGs dir
  std::vector<ParamDef> params;  // parsed from string, list or map
  std::string params_text;       // the params in `weft start -- ...` form, unexpanded
  struct Parallel {
    std::vector<std::string> items;  // literal items; objects/arrays as compact JSON
    std::string items_variable;      // e.g. "${ITEMS}" when the list comes from a variable
    int max_concurrent = 10;
  };
  std::optional<Parallel> parallel;
};

enum class LogOutput { kSeparate, kMerged };

struct Step {
  std::string name;
  std::string id;  // optional short name for ${id.output} etc.
  std::string description;
  // Each entry is one command line; several run in turn and stop at the first failure.
  std::vector<std::string> commands;
  std::string script;  // run by `shell` (or by commands[0] as interpreter when both are set)
  std::string shell;   // "" = inherit from the DAG
  std::string working_dir;
  std::vector<std::string> depends;       // as written (names or ids)
  std::vector<std::uint32_t> depends_on;  // resolved step indices, after the `type` rule
  std::vector<EnvEntry> env;
  std::string output;  // variable name capturing trimmed stdout
  std::string stdout_file;
  std::string stderr_file;
  LogOutput log_output = LogOutput::kSeparate;
  // The blocks few steps have are held apart, shared and immutable (null = not written): inline
  // they were 600 of a Step's 1112 bytes, most of a 100,000-step DAG's memory (§8: < 2 KiB per
  // step).
  std::shared_ptr<const ContinueOn> continue_on;
  std::shared_ptr<const RetryPolicy> retry_policy;
  std::shared_ptr<const RepeatPolicy> repeat_policy;
  std::vector<Condition> preconditions;
  int timeout_sec = 0;         // 0 = none
  std::string signal_on_stop;  // "" = SIGTERM
  std::shared_ptr<const SubDagCall> call;
  Location where;
};

using AttributeValue = std::variant<std::string, bool, std::int64_t, double>;

// The `otel:` block. Every field is optional so that base.yaml merges field by field and an
// explicit `false` in a DAG overrides a base `true`.
struct OtelConfig {
  std::optional<bool> enabled;
  std::optional<std::string> endpoint;
  std::map<std::string, std::string> headers;  // values are secrets: never print them
  std::optional<bool> insecure;
  std::optional<std::string> timeout;  // "30s", "500ms", "1m" or seconds, as written
  std::map<std::string, AttributeValue> resource;
  std::optional<std::string> protocol;     // grpc | http/protobuf | http/json
  std::optional<std::string> compression;  // gzip | none
  std::optional<std::string> certificate;
  std::optional<std::string> client_certificate;
  std::optional<std::string> client_key;
  std::optional<double> sampler;
  std::optional<bool> propagate_exporter_env;
  Location where;
};

struct HandlerOn {
  std::optional<Step> init;
  std::optional<Step> success;
  std::optional<Step> failure;
  std::optional<Step> abort;
  std::optional<Step> exit;
};

enum class DagType { kChain, kGraph };

struct Dag {
  std::string file;  // absolute path of the file it came from ("" for a local DAG: see parent)
  std::string name;
  std::string description;
  DagType type = DagType::kChain;  // after the §2.3 rule (no `type` + any depends = graph)
  std::vector<ParamDef> params;
  std::vector<EnvEntry> env;        // base.yaml entries first
  std::vector<std::string> dotenv;  // base.yaml entries first; as written
  std::vector<Step> steps;
  int max_active_steps = 0;  // 0 = unlimited
  int timeout_sec = 0;
  int delay_sec = 0;
  std::string shell;
  std::string working_dir;
  std::string log_dir;
  HandlerOn handler_on;
  std::vector<Condition> preconditions;
  OtelConfig otel;
  std::size_t max_output_size = 1024 * 1024;
  int max_clean_up_time_sec = 5;
  int hist_retention_days = 30;
  std::vector<std::pair<std::string, std::string>> labels;  // tags have an empty value
  std::string group;
  std::vector<std::string> schedule;
  std::vector<std::string> secrets;  // names of variables to mask
  // Other documents of the same file (§2.8), callable by name from run:/call:.
  std::vector<std::shared_ptr<const Dag>> local_dags;
  Location where;

  // Index of the step with this name or id, or -1.
  int FindStep(const std::string& name_or_id) const {
    for (std::size_t i = 0; i < steps.size(); ++i) {
      if (steps[i].name == name_or_id || (!steps[i].id.empty() && steps[i].id == name_or_id))
        return static_cast<int>(i);
    }
    return -1;
  }
};

}  // namespace weft::dag
