#include "cli/terminal_view.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

namespace weft::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(FormatDurationTest, PicksAReadableUnit) {
  EXPECT_EQ(FormatDuration(340'000'000), "340ms");
  EXPECT_EQ(FormatDuration(1'250'000'000), "1.25s");
  EXPECT_EQ(FormatDuration(125'000'000'000), "2m05s");
  EXPECT_EQ(FormatDuration(-5), "0ms");
}

TEST(MaskedTailOfFileTest, KeepsTheLastLines) {
  std::string path = "/tmp/weft-tail-" + std::to_string(getpid());
  std::ofstream(path) << "one\ntwo\nthree\nfour\n";
  const eval::SecretMasker none;
  EXPECT_EQ(MaskedTailOfFile(path, 2, none), "three\nfour");
  EXPECT_EQ(MaskedTailOfFile(path, 10, none), "one\ntwo\nthree\nfour");
  EXPECT_EQ(MaskedTailOfFile(path + ".missing", 2, none), "");
  eval::SecretMasker secrets;
  secrets.Add("three");
  EXPECT_EQ(MaskedTailOfFile(path, 2, secrets), std::string(eval::kMasked) + "\nfour");
  std::filesystem::remove(path);
}

// A secret that spans lines (a key file) and that the last lines would cut in two is left out
// whole, not shown from its second line on.
TEST(MaskedTailOfFileTest, ASecretCutByTheFirstLineShownIsLeftOut) {
  std::string path = "/tmp/weft-tail-key-" + std::to_string(getpid());
  std::ofstream(path) << "x1\nkey-line-one\nkey-line-two\ny1\ny2\n";
  eval::SecretMasker secrets;
  secrets.Add("key-line-one\nkey-line-two");
  EXPECT_EQ(MaskedTailOfFile(path, 3, secrets), "y1\ny2");
  EXPECT_EQ(MaskedTailOfFile(path, 4, secrets), std::string(eval::kMasked) + "\ny1\ny2");
  std::filesystem::remove(path);
}

// Lines longer than the 4 KiB shown: the cut falls inside a line, and inside a secret there.
TEST(MaskedTailOfFileTest, ASecretCutByTheByteLimitIsNotShownInPart) {
  std::string path = "/tmp/weft-tail-long-" + std::to_string(getpid());
  const std::string secret = "S3CRET-" + std::string(40, 'k') + "-END";
  // The last 4096 bytes begin 20 bytes into the secret.
  std::ofstream(path) << std::string(100, 'a') << secret
                      << std::string(4096 - secret.size() + 20, 'b') << "\n";
  eval::SecretMasker secrets;
  secrets.Add(secret);
  const std::string tail = MaskedTailOfFile(path, 5, secrets);
  EXPECT_THAT(tail, Not(HasSubstr("kkkk")));
  EXPECT_THAT(tail, Not(HasSubstr("-END")));
  EXPECT_EQ(tail, std::string(4096 - secret.size() + 20, 'b'));
  // Without the secret known, the last 4096 bytes are shown, but for the final newline.
  EXPECT_EQ(MaskedTailOfFile(path, 5, eval::SecretMasker()).size(), 4095u);
  std::filesystem::remove(path);
}

TEST(FormatSummaryTest, ListsEveryStepWithStatusExitCodeAndStderrTailOfFailures) {
  std::string err = "/tmp/weft-summary-" + std::to_string(getpid());
  std::ofstream(err) << "line 1\nfatal: disk full\n";
  auto dag = std::make_shared<dag::Dag>();
  dag->name = "etl";
  dag->steps.resize(2);
  dag->steps[0].name = "load";
  dag->steps[1].name = "publish";
  engine::RunInfo run;
  run.dag = dag;
  run.run_id = "r1";
  run.status = engine::Status::kFailed;
  run.started_at_ns = 1'000'000'000;
  run.finished_at_ns = 3'000'000'000;
  run.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  run.steps.resize(2);
  run.steps[0] = {&dag->steps[0],
                  engine::HandlerKind::kNone,
                  engine::Status::kFailed,
                  2,
                  1'000'000'000,
                  1'500'000'000,
                  0,
                  3,
                  "exit code 2",
                  "",
                  err,
                  {}};
  run.steps[1] = {&dag->steps[1],
                  engine::HandlerKind::kNone,
                  engine::Status::kAborted,
                  -1,
                  0,
                  0,
                  0,
                  0,
                  "dependency `load` did not succeed",
                  "",
                  "",
                  {}};
  std::string text = FormatSummary(run, false);
  EXPECT_THAT(text, HasSubstr("DAG etl  run r1  failed in 2.00s"));
  EXPECT_THAT(text, HasSubstr("load"));
  EXPECT_THAT(text, HasSubstr("exit 2 after 3 retries"));
  EXPECT_THAT(text, HasSubstr("500ms"));
  EXPECT_THAT(text, HasSubstr("| fatal: disk full"));
  EXPECT_THAT(text, HasSubstr("dependency `load` did not succeed"));
  EXPECT_THAT(text, HasSubstr("trace 4bf92f3577b34da6a3ce929d0e0e4736"));
  EXPECT_THAT(text, Not(HasSubstr("\033[")));
  EXPECT_THAT(FormatSummary(run, true), HasSubstr("\033[31m"));
  std::filesystem::remove(err);
}

// A run of the DAG "etl" with its one step, "load".
engine::RunInfo OneStepRun() {
  auto dag = std::make_shared<dag::Dag>();
  dag->name = "etl";
  dag->steps.resize(1);
  dag->steps[0].name = "load";
  engine::RunInfo run;
  run.dag = dag;
  run.steps.resize(1);
  run.steps[0].step = &dag->steps[0];
  return run;
}

// What a view in plain mode writes while `feed` drives it.
std::string PlainOutput(const std::function<void(TerminalView&)>& feed,
                        eval::SecretMasker secrets = {}) {
  char* buffer = nullptr;
  std::size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  engine::EventLoop loop;
  {
    TerminalView view(out, TerminalView::Mode::kPlain, loop, false, std::move(secrets));
    feed(view);
  }
  std::fclose(out);
  std::string text(buffer, size);
  std::free(buffer);
  return text;
}

TEST(TerminalViewTest, PlainModePrintsEventsAndNotTheRerunOfARetriedStep) {
  engine::RunInfo run = OneStepRun();
  run.steps[0].status = engine::Status::kRunning;
  const std::string text = PlainOutput([&run](TerminalView& view) {
    view.OnStepChanged(run, 0);
    run.steps[0].retry_count = 1;
    view.OnStepEvent(run, 0,
                     {"retry", 0, {{"attempt", std::int64_t{1}}, {"exit_code", std::int64_t{3}}}});
    view.OnStepChanged(run, 0);
  });
  EXPECT_EQ(text, "step load: running\nstep load: retry attempt=1 exit_code=3\n");
}

// Plain lines are not written one by one: they reach the file together, kPlainFlushDelayMs
// after the first, while the engine's loop runs.
TEST(TerminalViewTest, PlainLinesAreFlushedTogetherSoonAfterTheFirst) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("weft-view-" + std::to_string(getpid()) + ".txt");
  std::FILE* out = std::fopen(path.c_str(), "w");
  ASSERT_NE(out, nullptr);
  const auto written = [&path] {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  engine::EventLoop loop;
  engine::RunInfo run = OneStepRun();
  {
    TerminalView view(out, TerminalView::Mode::kPlain, loop, false);
    run.steps[0].status = engine::Status::kRunning;
    view.OnStepChanged(run, 0);
    run.steps[0].status = engine::Status::kSucceeded;
    view.OnStepChanged(run, 0);
    EXPECT_EQ(written(), "");
    loop.AddTimer(TerminalView::kPlainFlushDelayMs * 1'000'000LL + 1, [&loop] { loop.Quit(); });
    loop.Run();
    EXPECT_EQ(written(), "step load: running\nstep load: succeeded\n");
  }
  std::fclose(out);
  std::filesystem::remove(path);
}

// A step error may quote a secret value expanded into a path or a command line, and the stderr
// tail may hold one, even across lines. weft's own words stay, even when a short secret matches
// them ("step"), and the summary goes on past a NUL byte in the tail.
TEST(TerminalViewTest, SecretValuesAreMaskedWhereTextsMayQuoteThem) {
  std::string err = "/tmp/weft-masked-" + std::to_string(getpid());
  std::ofstream(err) << std::string(
      "token s3cret-value rejected\n-----BEGIN\nKEY-----\nbinary \0 end\n", 61);
  engine::RunInfo run = OneStepRun();
  run.run_id = "r1";
  run.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  run.status = engine::Status::kFailed;
  engine::StepState& step = run.steps[0];
  step.stderr_file = err;
  eval::SecretMasker secrets;
  secrets.Add("s3cret-value");
  secrets.Add("-----BEGIN\nKEY-----");
  secrets.Add("step");
  const std::string text = PlainOutput(
      [&](TerminalView& view) {
        view.OnStepEvent(run, 0,
                         {"precondition.unmet", 0, {{"reason", std::string("s3cret-value")}}});
        step.status = engine::Status::kFailed;
        step.started_at_ns = 1;
        step.finished_at_ns = 2;
        step.error = "cannot create working directory /proc/s3cret-value";
        view.OnStepChanged(run, 0);
        view.OnRunFinished(run);
      },
      secrets);
  std::filesystem::remove(err);
  EXPECT_THAT(text, HasSubstr("step load: precondition.unmet reason=***\n"));
  EXPECT_THAT(text, HasSubstr("step load: failed 0ms (cannot create working directory /proc/***)"));
  EXPECT_THAT(text, HasSubstr("| token *** rejected\n      | ***\n"));  // the stderr tail
  EXPECT_THAT(text, HasSubstr(" end\ntrace 4bf92f3577b34da6a3ce929d0e0e4736"));
  EXPECT_THAT(text, Not(HasSubstr("s3cret")));
  EXPECT_THAT(text, Not(HasSubstr("BEGIN")));
}

}  // namespace
}  // namespace weft::cli
