#include "dag/loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "dag/diagnostic_matchers.h"

namespace weft::dag {
namespace {

namespace fs = std::filesystem;

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Optional;
using ::testing::Pair;
using ::testing::SizeIs;

std::string TestData(const std::string& name) { return std::string(DAG_TESTDATA_DIR) + "/" + name; }

// A fresh directory, removed with everything in it when the test ends.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "weft-dag-test-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `text` to `name` under the directory and returns its path.
  std::string Write(const std::string& name, const std::string& text) const {
    const fs::path file = path_ / name;
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text;
    return file.string();
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Sets an environment variable for the life of the object, then restores it.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value.empty()) {
      unsetenv(name);
    } else {
      setenv(name, value.c_str(), 1);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

const Step& StepNamed(const Dag& dag, const std::string& name) {
  const int index = dag.FindStep(name);
  EXPECT_GE(index, 0) << name;
  static const Step kMissing;
  return index < 0 ? kMissing : dag.steps[index];
}

TEST(LoaderTest, LoadsADaguV1File) {
  const LoadResult result = LoadFile(TestData("v1_etl.yaml"));
  ASSERT_TRUE(result.ok()) << (result.errors.empty() ? "" : result.errors[0].ToString());
  const Dag& dag = *result.dag;
  EXPECT_EQ(dag.name, "nightly-etl");
  EXPECT_EQ(dag.file, fs::absolute(TestData("v1_etl.yaml")).lexically_normal().string());
  EXPECT_EQ(dag.type, DagType::kGraph);  // no type, but depends
  EXPECT_THAT(dag.schedule, ElementsAre("0 2 * * *"));
  EXPECT_THAT(dag.labels, ElementsAre(Pair("sales", ""), Pair("nightly", "")));
  ASSERT_THAT(dag.params, SizeIs(2));
  EXPECT_EQ(dag.params[0].default_value, "`date +%Y-%m-%d`");
  EXPECT_EQ(dag.max_active_steps, 2);
  EXPECT_EQ(dag.hist_retention_days, 14);
  ASSERT_TRUE(dag.handler_on.abort.has_value());  // `cancel`
  EXPECT_EQ(dag.handler_on.abort->name, "onAbort");
  const Step& extract = StepNamed(dag, "extract");
  EXPECT_EQ(extract.working_dir, "/opt/etl");
  EXPECT_EQ(extract.retry_policy->interval_sec, "30");
  ASSERT_THAT(extract.preconditions, SizeIs(1));
  const Step& load = StepNamed(dag, "load");
  ASSERT_NE(load.call, nullptr);
  EXPECT_EQ(load.call->target, "loaders/warehouse");
  EXPECT_EQ(load.call->params_text, "FILE=${EXTRACT_FILE} MODE=append");
  EXPECT_THAT(load.depends_on, ElementsAre(1u));
  EXPECT_EQ(load.signal_on_stop, "SIGINT");
  EXPECT_THAT(StepNamed(dag, "transform").depends_on, ElementsAre(0u));
  EXPECT_THAT(result.warnings, ElementsAre(DiagnosticAt(13, 1, "mailOn", HasSubstr("ignored")),
                                           DiagnosticAt(15, 1, "smtp", HasSubstr("ignored"))));
}

TEST(LoaderTest, LoadsADaguV2FileWithALocalDag) {
  const LoadResult result = LoadFile(TestData("v2_pipeline.yaml"));
  ASSERT_TRUE(result.ok()) << (result.errors.empty() ? "" : result.errors[0].ToString());
  EXPECT_THAT(result.warnings, IsEmpty());
  const Dag& dag = *result.dag;
  EXPECT_EQ(dag.type, DagType::kGraph);
  EXPECT_THAT(dag.labels, ElementsAre(Pair("team", "ml"), Pair("tier", "batch")));
  EXPECT_THAT(dag.otel.enabled, Optional(true));
  EXPECT_THAT(dag.otel.headers, ElementsAre(Pair("Authorization", "Bearer ${OTEL_AUTH_TOKEN}")));
  const Step& prepare = StepNamed(dag, "prepare");
  EXPECT_EQ(prepare.script, "mkdir -p ${WORK}\npython3 prepare.py --out ${WORK}/data\n");
  EXPECT_EQ(prepare.log_output, LogOutput::kMerged);
  const Step& train = StepNamed(dag, "train");
  EXPECT_THAT(train.depends_on, ElementsAre(0u));  // by id `prep`
  ASSERT_TRUE(train.call && train.call->parallel);
  EXPECT_EQ(train.call->parallel->items_variable, "${DATASETS}");
  EXPECT_EQ(train.call->parallel->max_concurrent, 2);
  EXPECT_EQ(StepNamed(dag, "wait-for-report").repeat_policy->mode, RepeatPolicy::Mode::kUntil);
  const Step& publish = StepNamed(dag, "publish");
  EXPECT_THAT(publish.commands, ElementsAre("python3"));
  EXPECT_TRUE(publish.continue_on->skipped);
  EXPECT_EQ(publish.preconditions[0].expected, "re:prod|staging");
  ASSERT_THAT(dag.local_dags, SizeIs(1));
  const Dag& local = *dag.local_dags[0];
  EXPECT_EQ(local.name, "train-one");
  EXPECT_EQ(local.file, "");
  EXPECT_EQ(local.where.line, 74);
  ASSERT_THAT(local.params, SizeIs(3));
  EXPECT_EQ(local.params[0].name, "");  // positional ITEM
  EXPECT_EQ(local.type, DagType::kChain);
}

TEST(LoaderTest, LoadsTheSeedPagesExampleNamedAfterItsFile) {
  const LoadResult result = LoadFile(TestData("seed_full.yaml"));
  ASSERT_TRUE(result.ok()) << (result.errors.empty() ? "" : result.errors[0].ToString());
  EXPECT_EQ(result.dag->name, "seed_full");
  EXPECT_THAT(result.dag->otel.resource,
              Contains(Pair("cost_center", AttributeValue("analytics"))));
  EXPECT_EQ(result.dag->steps[0].call->target, "workflows/child-workflow.yaml");
}

TEST(LoaderTest, LoadsMixedDialectsStepsAsAMappingAndMergeKeys) {
  const LoadResult result = LoadFile(TestData("mixed.yaml"));
  ASSERT_TRUE(result.ok()) << (result.errors.empty() ? "" : result.errors[0].ToString());
  const Dag& dag = *result.dag;
  EXPECT_EQ(dag.max_active_steps, 1);
  EXPECT_EQ(dag.timeout_sec, 600);
  const Step& check = StepNamed(dag, "check");
  EXPECT_THAT(check.commands, ElementsAre("jq . data.json"));
  EXPECT_EQ(check.retry_policy->limit, "2");  // merged from `fetch`
  EXPECT_THAT(check.continue_on->exit_codes, ElementsAre(4));
  EXPECT_THAT(check.depends_on, ElementsAre(0u));
}

TEST(LoaderTest, ReportsEveryErrorOfABrokenFileWithItsPlace) {
  const std::string path = TestData("broken.yaml");
  const LoadResult result = LoadFile(path);
  EXPECT_EQ(result.dag, nullptr);
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(
      result.errors,
      ElementsAre(DiagnosticAt(2, 7, "type", "`type` must be `chain` or `graph`, not `graf`"),
                  DiagnosticAt(3, 17, "maxActiveSteps", HasSubstr("at least 0, not `-1`")),
                  DiagnosticAt(5, 5, "", "step `a` has nothing to run"),
                  AllOf(DiagnosticAt(6, 5, "comand", "unknown key `comand` in a step"),
                        WithHint("did you mean `command`?")),
                  AllOf(DiagnosticAt(9, 18, "depends",
                                     "step `b` depends on `c`, which is not a step name or id"),
                        WithHint("known steps: `a`, `b`, `b`")),
                  DiagnosticAt(10, 5, "name", "two steps are named `b` (the first on line 7)"),
                  DiagnosticAt(13, 14, "limit", HasSubstr("not `lots`"))));
  for (const Diagnostic& error : result.errors) EXPECT_EQ(error.file, path);
}

TEST(LoaderTest, MissingFileIsAClearError) {
  const LoadResult result = LoadFile("/nonexistent/dag.yaml");
  EXPECT_EQ(result.dag, nullptr);
  ASSERT_THAT(result.errors, SizeIs(1));
  EXPECT_EQ(result.errors[0].ToString(),
            "/nonexistent/dag.yaml: error: cannot read DAG file: no such file; check the path "
            "(relative paths are taken from the current directory)");
}

TEST(LoaderTest, DirectoryIsNotADagFile) {
  const TempDir dir;
  const LoadResult result = LoadFile(dir.path().string());
  ASSERT_THAT(result.errors, SizeIs(1));
  EXPECT_THAT(result.errors[0].message, HasSubstr("is a directory, not a file"));
}

TEST(LoaderTest, UnreadableFileIsAClearError) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads any file";
  const TempDir dir;
  const std::string path = dir.Write("secret.yaml", "steps: [a]\n");
  fs::permissions(path, fs::perms::none);
  const LoadResult result = LoadFile(path);
  ASSERT_THAT(result.errors, SizeIs(1));
  EXPECT_THAT(result.errors[0].message, HasSubstr("cannot read DAG file"));
}

TEST(LoaderTest, EmptyFileHoldsNoDag) {
  for (const std::string text : {"", "# nothing\n", "---\n", "~\n"}) {
    const LoadResult result = LoadString(text, "empty.yaml");
    EXPECT_THAT(result.errors, ElementsAre(AllOf(DiagnosticAt(1, 1, "", "the file holds no DAG"),
                                                 WithHint(HasSubstr("`steps:`")))))
        << text;
  }
}

TEST(LoaderTest, SyntaxErrorStopsWithOneError) {
  const LoadResult result = LoadString("steps:\n  - name: a\n   command: x\n", "bad.yaml");
  EXPECT_EQ(result.dag, nullptr);
  EXPECT_THAT(result.errors, ElementsAre(DiagnosticAt(3, 4, "", HasSubstr("YAML syntax error"))));
  EXPECT_EQ(result.errors[0].file, "bad.yaml");
}

TEST(LoaderTest, NameComesFromTheFileAndMustBeUsable) {
  EXPECT_EQ(LoadString("steps: [a]\n", "/x/daily-report.yml").dag->name, "daily-report");
  EXPECT_EQ(LoadString("name: custom\nsteps: [a]\n", "/x/file.yaml").dag->name, "custom");
  const LoadResult from_file = LoadString("steps: [a]\n", "/x/my report.yaml");
  EXPECT_THAT(from_file.errors,
              ElementsAre(AllOf(DiagnosticAt(1, 1, "name",
                                             "the DAG name `my report` may only hold letters, "
                                             "digits, `_`, `-` and `.`"),
                                WithHint(HasSubstr("set `name:`")))));
  const LoadResult written = LoadString("name: a/b\nsteps: [a]\n", "x.yaml");
  EXPECT_THAT(written.errors,
              ElementsAre(AllOf(WithMessage(HasSubstr("`a/b`")), WithHint("rename it"))));
}

TEST(LoaderTest, TextWithoutAPathNeedsAName) {
  const LoadResult unnamed = LoadString("steps: [a]\n", "");
  EXPECT_THAT(unnamed.errors, ElementsAre(AllOf(DiagnosticAt(1, 1, "name", "the DAG has no name"),
                                                WithHint(HasSubstr("set `name:`")))));
  const LoadResult named = LoadString("name: inline\nsteps: [a]\n", "");
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named.dag->file, "");
}

TEST(LoaderTest, FileIsAbsoluteAndNormalized) {
  const LoadResult result = LoadString("steps: [a]\n", "sub/../dags/x.yaml");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.dag->file, (fs::current_path() / "dags/x.yaml").string());
}

TEST(LoaderTest, MultiDocumentFileKeepsLocalDagsInOrder) {
  const LoadResult result = LoadString(
      "steps:\n  - run: child-a\n  - call: child-b\n"
      "---\nname: child-a\nsteps: [echo a]\n"
      "---\nname: child-b\nsteps: [echo b]\n"
      "---\n",
      "parent.yaml");
  ASSERT_TRUE(result.ok()) << result.errors[0].ToString();
  ASSERT_THAT(result.dag->local_dags, SizeIs(2));
  EXPECT_EQ(result.dag->local_dags[0]->name, "child-a");
  EXPECT_EQ(result.dag->local_dags[1]->name, "child-b");
  EXPECT_THAT(result.dag->local_dags[1]->steps[0].commands, ElementsAre("echo b"));
  EXPECT_THAT(result.dag->local_dags[0]->local_dags, IsEmpty());
}

TEST(LoaderTest, LocalDagErrors) {
  const LoadResult result = LoadString(
      "steps: [a]\n"
      "---\nsteps: [b]\n"
      "---\nname: parent\nsteps: [c]\n"
      "---\nname: x\nsteps: [d]\n"
      "---\nname: x\nsteps: [e]\n"
      "---\nname: a b\nsteps: [f]\n"
      "---\nname: y\nsteps:\n  - name: g\n    depends: h\n    command: g\n",
      "parent.yaml");
  EXPECT_EQ(result.dag, nullptr);
  EXPECT_THAT(result.errors,
              ElementsAre(DiagnosticAt(3, 1, "name", "a DAG after `---` needs a `name`"),
                          DiagnosticAt(5, 1, "name", "two DAGs in this file are named `parent`"),
                          DiagnosticAt(11, 1, "name", "two DAGs in this file are named `x`"),
                          DiagnosticAt(14, 1, "name", HasSubstr("`a b` may only hold")),
                          DiagnosticAt(20, 14, "depends", HasSubstr("depends on `h`"))));
}

TEST(LoaderTest, BaseIsMergedUnderTheDag) {
  LoadOptions options;
  options.base_file = TestData("base.yaml");
  const LoadResult result = LoadFile(TestData("seed_full.yaml"), options);
  ASSERT_TRUE(result.ok()) << result.errors[0].ToString();
  const Dag& dag = *result.dag;
  EXPECT_THAT(dag.env, ElementsAre(Field(&EnvEntry::name, "ENVIRONMENT"),
                                   Field(&EnvEntry::name, "LOG_LEVEL")));
  EXPECT_THAT(dag.otel.resource,
              AllOf(Contains(Pair("deployment.environment", AttributeValue("${ENVIRONMENT}"))),
                    Contains(Pair("team", AttributeValue("data-engineering")))));
  ASSERT_TRUE(dag.handler_on.failure.has_value());
  EXPECT_THAT(dag.handler_on.failure->commands, ElementsAre("./page-oncall.sh"));
  EXPECT_EQ(dag.hist_retention_days, 60);
}

TEST(LoaderTest, ChildRunsAndLocalDagsGetNoBaseHandlers) {
  LoadOptions options;
  options.base_file = TestData("base.yaml");
  options.root_run = false;
  const LoadResult child = LoadFile(TestData("seed_full.yaml"), options);
  ASSERT_TRUE(child.ok());
  EXPECT_FALSE(child.dag->handler_on.failure.has_value());
  EXPECT_THAT(child.dag->otel.enabled, Optional(true));

  options.root_run = true;
  const LoadResult root = LoadFile(TestData("v2_pipeline.yaml"), options);
  ASSERT_TRUE(root.ok()) << root.errors[0].ToString();
  EXPECT_TRUE(root.dag->handler_on.failure.has_value());
  const Dag& local = *root.dag->local_dags[0];
  EXPECT_FALSE(local.handler_on.failure.has_value());
  EXPECT_EQ(local.hist_retention_days, 60);  // the rest of base applies
  EXPECT_THAT(local.env, SizeIs(2));
}

TEST(LoaderTest, BaseLogOutputIsTheStepsDefault) {
  const TempDir dir;
  LoadOptions options;
  options.base_file = dir.Write("base.yaml", "log_output: merged\n");
  const LoadResult result = LoadString("steps: [a]\n", "x.yaml", options);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.dag->steps[0].log_output, LogOutput::kMerged);
}

TEST(LoaderTest, BaseErrorsNameTheBaseFile) {
  const TempDir dir;
  LoadOptions options;
  options.base_file = dir.Write("base.yaml", "timeout_sec: soon\n");
  const LoadResult bad_value = LoadString("steps: [a]\n", "x.yaml", options);
  EXPECT_EQ(bad_value.dag, nullptr);
  ASSERT_THAT(bad_value.errors, ElementsAre(DiagnosticAt(1, 14, "timeout_sec", HasSubstr("soon"))));
  EXPECT_EQ(bad_value.errors[0].file, options.base_file);

  options.base_file = dir.Write("multi.yaml", "env: [A=1]\n---\nenv: [B=2]\n");
  EXPECT_THAT(LoadString("steps: [a]\n", "x.yaml", options).errors,
              ElementsAre(DiagnosticAt(3, 1, "", "base.yaml holds one document, not several")));

  options.base_file = (dir.path() / "missing.yaml").string();
  const LoadResult missing = LoadString("steps: [a]\n", "x.yaml", options);
  ASSERT_THAT(missing.errors, SizeIs(1));
  EXPECT_EQ(missing.errors[0].file, options.base_file);
  EXPECT_EQ(missing.errors[0].message, "cannot read base file: no such file");

  options.base_file = dir.Write("syntax.yaml", "env: [\n");
  EXPECT_THAT(LoadString("steps: [a]\n", "x.yaml", options).errors,
              ElementsAre(WithMessage(HasSubstr("YAML syntax error"))));
}

TEST(LoaderTest, BaseAndDagErrorsAreBothReported) {
  const TempDir dir;
  LoadOptions options;
  options.base_file = dir.Write("base.yaml", "delay_sec: x\n");
  const LoadResult result = LoadString("type: x\nsteps: [a]\n", "dag.yaml", options);
  ASSERT_THAT(result.errors, SizeIs(2));
  EXPECT_EQ(result.errors[0].file, options.base_file);
  EXPECT_EQ(result.errors[1].file, "dag.yaml");
}

TEST(LoaderTest, WarningsDoNotStopALoad) {
  const LoadResult result = LoadString("queue: batch\nsteps: [a]\n", "x.yaml");
  EXPECT_TRUE(result.ok());
  EXPECT_THAT(result.warnings, ElementsAre(DiagnosticAt(1, 1, "queue", HasSubstr("ignored"))));
}

TEST(LoaderTest, AHundredThousandStepChainLoads) {
  constexpr int kSteps = 100'000;
  std::string text = "steps:\n";
  text.reserve(kSteps * 40);
  for (int i = 0; i < kSteps; ++i) {
    text += "  - name: s" + std::to_string(i) + "\n    command: echo " + std::to_string(i) + "\n";
  }
  const LoadResult result = LoadString(text, "big.yaml");
  ASSERT_TRUE(result.ok());
  ASSERT_THAT(result.dag->steps, SizeIs(kSteps));
  EXPECT_EQ(result.dag->type, DagType::kChain);
  EXPECT_THAT(result.dag->steps.back().depends_on, ElementsAre(kSteps - 2u));
}

TEST(LoaderTest, EveryPrefixOfARealFileLoadsOrFailsCleanly) {
  std::ifstream input(TestData("v2_pipeline.yaml"));
  const std::string text((std::istreambuf_iterator<char>(input)), std::istreambuf_iterator<char>());
  ASSERT_GT(text.size(), 1000u);
  for (std::size_t length = 0; length <= text.size(); ++length) {
    const LoadResult result = LoadString(text.substr(0, length), "prefix.yaml");
    EXPECT_EQ(result.ok(), result.errors.empty()) << length;
    EXPECT_EQ(result.dag == nullptr, !result.errors.empty()) << length;
  }
}

TEST(LoaderTest, MutatedFilesNeverCrash) {
  std::ifstream input(TestData("v1_etl.yaml"));
  const std::string text((std::istreambuf_iterator<char>(input)), std::istreambuf_iterator<char>());
  const std::string alphabet = "-:[]{}&*!|>'\"#%@`, \n\t\0\xff";
  std::mt19937 random(12345);  // fixed: the same inputs every run
  int loaded = 0;
  for (int round = 0; round < 2000; ++round) {
    std::string mutated = text;
    for (int edit = 0; edit < 3; ++edit) {
      const std::size_t at = random() % mutated.size();
      mutated[at] = alphabet[random() % alphabet.size()];
    }
    const LoadResult result = LoadString(mutated, "mutated.yaml");
    EXPECT_EQ(result.dag == nullptr, !result.errors.empty());
    loaded += result.ok() ? 1 : 0;
  }
  EXPECT_GT(loaded, 0);  // some mutations land in comments or values and still load
}

TEST(DefaultBaseFileTest, LooksInWeftHomeThenXdgThenHome) {
  const TempDir weft_home, xdg, home;
  const ScopedEnv set_weft_home("WEFT_HOME", weft_home.path().string());
  const ScopedEnv set_xdg("XDG_CONFIG_HOME", xdg.path().string());
  const ScopedEnv set_home("HOME", home.path().string());
  EXPECT_EQ(DefaultBaseFile(), "");
  const std::string in_home = home.Write(".config/weft/base.yaml", "{}");
  EXPECT_EQ(DefaultBaseFile(), in_home);
  const std::string in_xdg = xdg.Write("weft/base.yaml", "{}");
  EXPECT_EQ(DefaultBaseFile(), in_xdg);
  const std::string in_weft_home = weft_home.Write("base.yaml", "{}");
  EXPECT_EQ(DefaultBaseFile(), in_weft_home);
}

TEST(DefaultBaseFileTest, UnsetVariablesAreSkipped) {
  const TempDir home;
  const ScopedEnv unset_weft_home("WEFT_HOME", "");
  const ScopedEnv unset_xdg("XDG_CONFIG_HOME", "");
  const ScopedEnv set_home("HOME", home.path().string());
  const std::string in_home = home.Write(".config/weft/base.yaml", "{}");
  EXPECT_EQ(DefaultBaseFile(), in_home);
  fs::create_directories(home.path() / ".config/weft/base.yaml.d");
  fs::remove(in_home);
  fs::create_directories(in_home);  // a directory is not a base file
  EXPECT_EQ(DefaultBaseFile(), "");
}

}  // namespace
}  // namespace weft::dag
