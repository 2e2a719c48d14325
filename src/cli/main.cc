// weft's command line: parses arguments with CLI11 and dispatches to the verbs in commands.h.

#include <fcntl.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/commands.h"
#include "engine/event_loop.h"
#include "version.h"

namespace {

constexpr const char* kExamples = R"(
Examples:
  weft start etl.yaml                     run a DAG file
  weft start etl.yaml -- DAY=2024-06-01   run it with params
  weft status etl                         the latest run of DAG `etl`, step by step
  weft history --status failed            failed runs, newest first
  weft logs etl --step load               a step's stdout and stderr
  weft trace etl                          the run's trace as a waterfall
  weft stop etl                           stop the running run of `etl`
  weft validate dags/*.yaml               check DAG files without running them)";

void AddLoadFlags(CLI::App* verb, weft::cli::LoadFlags* flags) {
  verb->add_option("--base", flags->base_file, "base.yaml to merge under the DAG");
  verb->add_option("--dags", flags->dags_dir, "directory of DAGs to find a DAG by name");
}

}  // namespace

int main(int argc, char** argv) {
  // Every descriptor weft opens is then 3 or above, so none can be mistaken for a step's
  // stdin, stdout or stderr when the step is started (process::Spawn).
  for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; ++fd) {
    if (fcntl(fd, F_GETFD) == -1) open("/dev/null", O_RDWR);
  }
  // Before any thread exists: the event loop reads these signals from a signalfd.
  weft::engine::EventLoop::BlockSignals();
  // spdlog's default logger writes to stdout, which carries `--json` and a child run's result.
  spdlog::set_default_logger(spdlog::stderr_color_mt("weft"));

  CLI::App app{"weft: run Dagu-format DAG files, with OpenTelemetry tracing.", "weft"};
  app.footer(kExamples);
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("weft ") + weft::kVersion);
  int exit_code = 0;

  weft::cli::StartFlags start;
  auto* start_cmd = app.add_subcommand("start", "Run a DAG");
  start_cmd->footer(R"(
Examples:
  weft start etl.yaml
  weft start etl.yaml -- DAY=2024-06-01 FORMAT=csv
  weft start --params "DAY=2024-06-01" etl
  weft start --run-id nightly-42 --quiet etl.yaml)");
  start_cmd->add_option("dag", start.dag, "DAG file, or name in the DAGs dir")->required();
  start_cmd->add_option("params", start.params, "params after --: NAME=value or positional");
  start_cmd->add_option("--params,-p", start.params_text, "params as one string");
  start_cmd->add_option("--run-id", start.run_id, "run id to use instead of a new one");
  start_cmd->add_flag("--quiet,-q", start.quiet, "plain lines, no live view");
  start_cmd->add_option("--parent", start.parent, "NAME:ID of the calling run (nested DAGs)");
  start_cmd->add_option("--root", start.root, "NAME:ID of the top run (nested DAGs)");
  // Set by a parent weft for the runs it starts; not for people.
  start_cmd->add_option("--parent-step", start.parent_step)->group("");
  start_cmd->add_option("--document", start.document)->group("");
  start_cmd->add_option("--parent-otel", start.parent_otel)->group("");
  AddLoadFlags(start_cmd, &start.load);
  start_cmd->callback([&] { exit_code = weft::cli::Start(start); });

  weft::cli::StartFlags dry;
  auto* dry_cmd = app.add_subcommand("dry", "Show the plan and resolved config; run nothing");
  dry_cmd->footer(R"(
Examples:
  weft dry etl.yaml
  weft dry etl.yaml -- DAY=2024-06-01)");
  dry_cmd->add_option("dag", dry.dag, "DAG file, or name in the DAGs dir")->required();
  dry_cmd->add_option("params", dry.params, "params after --");
  dry_cmd->add_option("--params,-p", dry.params_text, "params as one string");
  AddLoadFlags(dry_cmd, &dry.load);
  dry_cmd->callback([&] { exit_code = weft::cli::Dry(dry); });

  weft::cli::LoadFlags validate_flags;
  std::vector<std::string> validate_dags;
  auto* validate_cmd = app.add_subcommand("validate", "Check DAG files without running them");
  validate_cmd->footer(R"(
Examples:
  weft validate etl.yaml
  weft validate dags/*.yaml)");
  validate_cmd->add_option("dags", validate_dags, "DAG files")->required();
  AddLoadFlags(validate_cmd, &validate_flags);
  validate_cmd->callback([&] { exit_code = weft::cli::Validate(validate_flags, validate_dags); });

  weft::cli::QueryFlags status;
  auto* status_cmd = app.add_subcommand("status", "Show a run: steps, statuses, exit codes");
  status_cmd->footer(R"(
Examples:
  weft status etl
  weft status etl --run-id 0192c3a4-...
  weft status etl --json | jq .steps)");
  status_cmd->add_option("dag", status.dag, "DAG name or file")->required();
  status_cmd->add_option("--run-id", status.run_id, "a run id (default: the latest run)");
  status_cmd->add_flag("--json", status.json, "one JSON object (a stable contract)");
  status_cmd->callback([&] { exit_code = weft::cli::Status(status); });

  weft::cli::QueryFlags history;
  auto* history_cmd = app.add_subcommand("history", "List runs, newest first");
  history_cmd->footer(R"(
Examples:
  weft history
  weft history etl --limit 5
  weft history --status failed --json)");
  history_cmd->add_option("dag", history.dag, "only runs of this DAG");
  history_cmd->add_option("--status", history.status, "only runs with this status");
  history_cmd->add_option("--limit,-n", history.limit, "at most this many runs")
      ->check(CLI::PositiveNumber);
  history_cmd->add_flag("--json", history.json, "a JSON list (a stable contract)");
  history_cmd->callback([&] { exit_code = weft::cli::History(history); });

  weft::cli::QueryFlags logs;
  auto* logs_cmd = app.add_subcommand("logs", "Print step logs of a run");
  logs_cmd->footer(R"(
Examples:
  weft logs etl
  weft logs etl --step load
  weft logs etl --run-id 0192c3a4-... --step load)");
  logs_cmd->add_option("dag", logs.dag, "DAG name or file")->required();
  logs_cmd->add_option("--run-id", logs.run_id, "a run id (default: the latest run)");
  logs_cmd->add_option("--step", logs.step, "only this step");
  logs_cmd->callback([&] { exit_code = weft::cli::Logs(logs); });

  weft::cli::QueryFlags trace;
  auto* trace_cmd = app.add_subcommand("trace", "Draw a run's trace as a waterfall");
  trace_cmd->footer(R"(
Examples:
  weft trace etl
  weft trace etl --run-id 0192c3a4-...)");
  trace_cmd->add_option("dag", trace.dag, "DAG name or file")->required();
  trace_cmd->add_option("--run-id", trace.run_id, "a run id (default: the latest run)");
  trace_cmd->callback([&] { exit_code = weft::cli::Trace(trace); });

  weft::cli::RetryFlags retry;
  auto* retry_cmd =
      app.add_subcommand("retry", "Run a finished run again: its failed steps, or one");
  retry_cmd->footer(R"(
The run keeps its id and counts a new attempt; steps that succeeded keep their outputs.

Examples:
  weft retry etl --run-id 0192c3a4-...
  weft retry etl --run-id 0192c3a4-... --step load)");
  retry_cmd->add_option("dag", retry.dag, "DAG file, or name in the DAGs dir")->required();
  retry_cmd->add_option("--run-id", retry.run_id, "the run to retry")->required();
  retry_cmd->add_option("--step", retry.step, "run only this step again");
  retry_cmd->add_flag("--quiet,-q", retry.quiet, "plain lines, no live view");
  AddLoadFlags(retry_cmd, &retry.load);
  retry_cmd->callback([&] { exit_code = weft::cli::Retry(retry); });

  weft::cli::QueryFlags stop;
  auto* stop_cmd = app.add_subcommand("stop", "Stop a running DAG and wait until it has stopped");
  stop_cmd->footer(R"(
Running steps get their signal_on_stop (SIGTERM by default), then SIGKILL after
max_clean_up_time_sec; the abort and exit handlers run; the run is recorded as aborted.

Examples:
  weft stop etl
  weft stop etl --run-id 0192c3a4-...)");
  stop_cmd->add_option("dag", stop.dag, "DAG name or file")->required();
  stop_cmd->add_option("--run-id", stop.run_id, "a run id (default: the latest run)");
  stop_cmd->callback([&] { exit_code = weft::cli::Stop(stop); });

  auto* otel_cmd = app.add_subcommand("otel", "OpenTelemetry export tools");
  otel_cmd->require_subcommand(1);
  weft::cli::LoadFlags flush_flags;
  std::string flush_dag;
  auto* flush_cmd = otel_cmd->add_subcommand("flush", "Deliver spooled spans now");
  flush_cmd->footer(R"(
Examples:
  weft otel flush etl.yaml     deliver to the collector etl.yaml exports to
  OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318 weft otel flush)");
  flush_cmd->add_option("dag", flush_dag, "DAG whose otel settings name the collector");
  AddLoadFlags(flush_cmd, &flush_flags);
  flush_cmd->callback([&] { exit_code = weft::cli::OtelFlush(flush_flags, flush_dag); });

  app.add_subcommand("version", "Print weft's version")->callback([&] {
    std::printf("weft %s\n", weft::kVersion);
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  return exit_code;
}
