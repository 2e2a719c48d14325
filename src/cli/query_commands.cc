// status, history and logs: the verbs that read the run store.

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>

#include "cli/commands.h"
#include "cli/paths.h"
#include "cli/run_lookup.h"
#include "cli/terminal_view.h"
#include "dag/loader.h"
#include "eval/secrets.h"
#include "store/run_json.h"
#include "store/run_store.h"
#include "trace/trace_record.h"
#include "trace/waterfall.h"

namespace weft::cli {
namespace {

// The stored run in the engine's shape, so `weft status` prints the same summary as the end
// of `weft start`.
engine::RunInfo ToRunInfo(const store::RunRecord& run, const std::vector<store::StepRecord>& steps,
                          std::shared_ptr<dag::Dag>& names) {
  names = std::make_shared<dag::Dag>();
  names->name = run.dag_name;
  names->steps.resize(steps.size());
  engine::RunInfo info;
  info.run_id = run.run_id;
  info.status = run.status;
  info.started_at_ns = run.started_at_ns;
  info.finished_at_ns = run.finished_at_ns;
  info.trace_id = run.trace_id;
  info.error = run.error;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const store::StepRecord& s = steps[i];
    names->steps[i].name = s.name;
    engine::StepState state;
    state.step = &names->steps[i];
    state.handler = s.handler;
    state.status = s.status;
    state.exit_code = s.exit_code;
    state.started_at_ns = s.started_at_ns;
    state.finished_at_ns = s.finished_at_ns;
    state.retry_count = s.retry_count;
    state.error = s.error;
    state.stdout_file = s.stdout_file;
    state.stderr_file = s.stderr_file;
    info.steps.push_back(state);
  }
  info.dag = names;
  return info;
}

// Shows a run's params with secrets masked (§5.1). Which names are secret: eval::IsSecretName,
// with the `secrets:` of the run's DAG as its file reads now (none when it no longer loads).
// Each DAG file is read once per ParamMasking.
class ParamMasking {
 public:
  store::RunRecord Shown(store::RunRecord run) {
    run.params_json = eval::MaskSecretParams(run.params_json, Declared(run));
    return run;
  }
  // The values of the run's secret params, for texts the store kept unmasked (a failed step's
  // stderr tail is read from its log when shown).
  eval::SecretMasker Secrets(const store::RunRecord& run) {
    return eval::SecretParamValues(run.params_json, Declared(run));
  }

 private:
  const std::vector<std::string>& Declared(const store::RunRecord& run) {
    const std::string key = run.dag_file + '\n' + run.dag_name;
    auto [it, inserted] = declared_.try_emplace(key);
    if (!inserted || run.dag_file.empty()) return it->second;
    dag::LoadOptions options;
    options.base_file = dag::DefaultBaseFile();
    dag::LoadResult loaded = dag::LoadFile(run.dag_file, options);
    if (!loaded.ok()) return it->second;
    if (loaded.dag->name == run.dag_name) {
      it->second = loaded.dag->secrets;
    } else {
      for (const auto& local : loaded.dag->local_dags) {
        if (local->name == run.dag_name) it->second = local->secrets;
      }
    }
    return it->second;
  }

  std::map<std::string, std::vector<std::string>> declared_;
};

// Indented JSON. Recorded text (errors, params) may hold bytes that are not UTF-8, which JSON
// cannot carry: they become U+FFFD instead of aborting the command.
std::string JsonText(const nlohmann::ordered_json& json) {
  return json.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

int WithStore(const std::function<int(store::RunStore&)>& body) {
  try {
    store::RunStore store(WeftHome());
    return body(store);
  } catch (const std::exception& e) {
    fmt::print(stderr, "weft: {}\n", e.what());
    return 2;
  }
}

}  // namespace

int Status(const QueryFlags& flags) {
  std::string name = DagName(flags.dag);
  return WithStore([&](store::RunStore& store) {
    auto run = FindRun(store, name, flags.run_id);
    if (!run) return 1;
    std::vector<store::StepRecord> steps = store.Steps(run->ref());
    std::vector<store::RunRecord> children = store.Children(run->ref());
    if (flags.json) {
      fmt::print("{}\n", JsonText(store::StatusJson(ParamMasking().Shown(*run), steps, children)));
      return 0;
    }
    std::shared_ptr<dag::Dag> names;
    bool color = isatty(STDOUT_FILENO) == 1;
    fmt::print("{}",
               FormatSummary(ToRunInfo(*run, steps, names), color, ParamMasking().Secrets(*run)));
    if (!run->error.empty()) fmt::print("error: {}\n", run->error);
    const store::SpanCounters& spans = run->spans;
    if (spans != store::SpanCounters{}) {
      fmt::print("spans: {} exported, {} retried, {} spooled, {} dropped\n", spans.exported,
                 spans.retried, spans.spooled, spans.dropped);
    }
    if (run->parent) {
      fmt::print("parent: {} run {}\n", run->parent->name, run->parent->run_id);
    }
    for (const auto& child : children) {
      fmt::print("child: {} run {} {}{}\n", child.dag_name, child.run_id,
                 engine::ToString(child.status),
                 child.parent_step.empty() ? "" : " (step " + child.parent_step + ")");
    }
    return 0;
  });
}

int History(const QueryFlags& flags) {
  store::HistoryQuery query;
  if (!flags.dag.empty()) query.dag_name = DagName(flags.dag);
  if (!flags.status.empty()) {
    query.status = engine::ParseStatus(flags.status);
    if (!query.status) {
      fmt::print(stderr,
                 "weft: unknown status `{}` (one of not_started, running, failed, aborted, "
                 "succeeded, queued, partially_succeeded)\n",
                 flags.status);
      return 2;
    }
  }
  query.limit = flags.limit;
  return WithStore([&](store::RunStore& store) {
    std::vector<store::RunRecord> runs = store.History(query);
    ParamMasking masking;
    for (store::RunRecord& run : runs) run = masking.Shown(std::move(run));
    if (flags.json) {
      fmt::print("{}\n", JsonText(store::HistoryJson(runs)));
      return 0;
    }
    if (runs.empty()) {
      fmt::print("no runs\n");
      return 0;
    }
    fmt::print("{:<24} {:<36} {:<20} {:<27} {}\n", "DAG", "RUN ID", "STATUS", "STARTED",
               "DURATION");
    for (const auto& run : runs) {
      std::string duration =
          run.finished_at_ns > 0 ? FormatDuration(run.finished_at_ns - run.started_at_ns) : "";
      fmt::print("{:<24} {:<36} {:<20} {:<27} {}\n", run.dag_name, run.run_id,
                 engine::ToString(run.status), store::Rfc3339(run.started_at_ns), duration);
    }
    return 0;
  });
}

int Logs(const QueryFlags& flags) {
  std::string name = DagName(flags.dag);
  return WithStore([&](store::RunStore& store) {
    auto run = FindRun(store, name, flags.run_id);
    if (!run) return 1;
    std::vector<store::StepRecord> steps = store.Steps(run->ref());
    bool found = flags.step.empty();
    for (const auto& step : steps) {
      if (!flags.step.empty() && step.name != flags.step) continue;
      found = true;
      for (const std::string* file : {&step.stdout_file, &step.stderr_file}) {
        if (file == &step.stderr_file && step.stderr_file == step.stdout_file) continue;
        std::error_code ec;
        if (std::filesystem::file_size(*file, ec) == 0 && file == &step.stderr_file) continue;
        std::FILE* in = std::fopen(file->c_str(), "rb");
        if (in == nullptr) continue;
        fmt::print("==> {} {} ({})\n", step.name, file == &step.stdout_file ? "stdout" : "stderr",
                   *file);
        char buf[65536];
        for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, in)) > 0;) {
          std::fwrite(buf, 1, n, stdout);
        }
        std::fclose(in);
      }
    }
    if (!found) {
      std::string names;
      for (const auto& step : steps) names += (names.empty() ? "" : ", ") + step.name;
      fmt::print(stderr, "weft: run {} of `{}` has no step `{}` (steps: {})\n", run->run_id, name,
                 flags.step, names);
      return 1;
    }
    return 0;
  });
}

int Trace(const QueryFlags& flags) {
  std::string name = DagName(flags.dag);
  return WithStore([&](store::RunStore& store) {
    auto run = FindRun(store, name, flags.run_id);
    if (!run) return 1;
    // The run's own record, then its nested runs', depth first: one trace across processes.
    std::vector<trace::SpanData> spans;
    std::vector<store::RunRecord> pending = {*run};
    while (!pending.empty()) {
      store::RunRecord current = std::move(pending.back());
      pending.pop_back();
      std::string file = current.run_dir + "/trace.jsonl";
      std::string error;
      auto contents = trace::ReadTraceRecord(file, &error);
      if (!contents) {
        fmt::print(stderr, "weft: no trace record for run {} of `{}`: {}\n", current.run_id,
                   current.dag_name, error);
        continue;
      }
      for (const auto& problem : contents->problems) {
        fmt::print(stderr, "weft: {}: {}\n", file, problem);
      }
      spans.insert(spans.end(), contents->spans.begin(), contents->spans.end());
      for (auto& child : store.Children(current.ref())) pending.push_back(std::move(child));
    }
    if (spans.empty()) {
      fmt::print(stderr, "weft: run {} of `{}` has no spans\n", run->run_id, name);
      return 1;
    }
    trace::WaterfallOptions options;
    options.color = isatty(STDOUT_FILENO) == 1;
    winsize size{};
    if (options.color && ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col >= 60) {
      options.width = size.ws_col;
    }
    fmt::print("{}", trace::RenderWaterfall(spans, options));
    return 0;
  });
}

}  // namespace weft::cli
