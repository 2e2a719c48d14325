#include "store/run_store.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "store/scratch_dir.h"
#include "store/tmpfs_mount.h"

namespace weft::store {
namespace {

using engine::HandlerKind;
using engine::RunRef;
using engine::Status;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

RunRecord MakeRun(const std::string& dag, const std::string& run_id, std::int64_t started_at) {
  RunRecord run;
  run.dag_name = dag;
  run.run_id = run_id;
  run.dag_file = "/dags/" + dag + ".yaml";
  run.run_dir = "/home/runs/" + dag + "/" + run_id;
  run.status = Status::kRunning;
  run.started_at_ns = started_at;
  run.params_json = R"({"A":"1"})";
  run.process = ProcessIdentity::Self();
  return run;
}

StepRecord MakeStep(int index, const std::string& name, Status status = Status::kNotStarted) {
  StepRecord step;
  step.index = index;
  step.name = name;
  step.status = status;
  return step;
}

HistoryQuery Query(std::optional<std::string> dag_name, std::optional<Status> status, int limit) {
  HistoryQuery query;
  query.dag_name = std::move(dag_name);
  query.status = status;
  query.limit = limit;
  return query;
}

std::vector<std::string> RunIds(const std::vector<RunRecord>& runs) {
  std::vector<std::string> ids;
  for (const auto& run : runs) ids.push_back(run.run_id);
  return ids;
}

std::vector<std::string> StepNames(const std::vector<StepRecord>& steps) {
  std::vector<std::string> names;
  for (const auto& step : steps) names.push_back(step.name);
  return names;
}

mode_t Mode(const std::filesystem::path& path) {
  struct stat info {};
  EXPECT_EQ(stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 07777;
}

// A pid that named a process of ours which has since been reaped: nothing runs as it.
ProcessIdentity DeadProcess() {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  const auto identity = ProcessIdentity::Of(child);
  waitpid(child, nullptr, 0);
  // The child may already have exited before Of() looked; any start time then serves.
  return identity.value_or(ProcessIdentity{child, 1});
}

std::string QueryText(const std::filesystem::path& db_path, const std::string& sql) {
  Database db(db_path.string());
  Statement query(db, sql);
  StatementUse use(query);
  EXPECT_TRUE(use->Step()) << sql;
  return use->Text(0);
}

class RunStoreTest : public ::testing::Test {
 protected:
  std::filesystem::path home() const { return dir_.path() / "home"; }
  std::filesystem::path db_path() const { return home() / "weft.db"; }

  ScratchDir dir_;
};

TEST_F(RunStoreTest, CreatesPrivateHomeAndDatabaseFiles) {
  const std::filesystem::path nested = dir_.path() / "a" / "b" / "home";
  RunStore store(nested);
  store.StartRun(MakeRun("d", "r1", 1), {MakeStep(0, "s")});
  EXPECT_EQ(store.path(), (nested / "weft.db").string());
  EXPECT_EQ(Mode(nested), 0700u);
  EXPECT_EQ(Mode(nested / "weft.db"), 0600u);
  EXPECT_EQ(Mode(nested / "weft.lock"), 0600u);
  // The WAL and its index exist while a connection is open; they must be private too.
  EXPECT_EQ(Mode(nested / "weft.db-wal"), 0600u);
  EXPECT_EQ(Mode(nested / "weft.db-shm"), 0600u);
}

TEST_F(RunStoreTest, ExistingDatabaseFileIsMadePrivate) {
  { RunStore store(home()); }
  std::filesystem::permissions(db_path(), std::filesystem::perms(0644));
  RunStore store(home());
  store.StartRun(MakeRun("d", "r1", 1), {});
  EXPECT_EQ(Mode(db_path()), 0600u);
  EXPECT_EQ(Mode(home() / "weft.db-wal"), 0600u);
}

TEST_F(RunStoreTest, HomeThatIsAFileIsAClearError) {
  std::ofstream(dir_.path() / "file") << "x";
  EXPECT_THAT([&] { RunStore store(dir_.path() / "file"); },
              ThrowsMessage<StoreError>(
                  AllOf(HasSubstr((dir_.path() / "file").string()), HasSubstr("WEFT_HOME"))));
}

TEST_F(RunStoreTest, HomeThatCannotBeCreatedIsAClearError) {
  // Nobody, root included, can create directories inside /proc.
  EXPECT_THAT(
      [&] { RunStore store("/proc/weft-home"); },
      ThrowsMessage<StoreError>(AllOf(HasSubstr("/proc/weft-home"), HasSubstr("WEFT_HOME"))));
  EXPECT_THAT([&] { RunStore store("/proc/weft/home"); },
              ThrowsMessage<StoreError>(AllOf(HasSubstr("/proc/weft"), HasSubstr("WEFT_HOME"))));
}

// The set-up lock is held for milliseconds; one held by a stopped weft must not hang the
// others, nor may the store open half set up.
TEST_F(RunStoreTest, ASetUpLockHeldElsewhereFailsClearlyAfterTheBusyTimeout) {
  { RunStore store(home()); }
  const std::string lock_path = (home() / "weft.lock").string();
  const int held = ::open(lock_path.c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(held, 0);
  ASSERT_EQ(::flock(held, LOCK_EX), 0);  // another open file description: flock excludes it
  EXPECT_THAT([&] { RunStore store(home(), {.busy_timeout = std::chrono::milliseconds(30)}); },
              ThrowsMessage<StoreError>(AllOf(HasSubstr(lock_path), HasSubstr("still locked"))));
  ::close(held);
  RunStore store(home(), {.busy_timeout = std::chrono::milliseconds(30)});
  store.StartRun(MakeRun("d", "r1", 1), {});
  EXPECT_TRUE(store.FindRun({"d", "r1"}).has_value());
}

TEST_F(RunStoreTest, SchemaIsCreatedVersionedAndInWalMode) {
  { RunStore store(home()); }
  EXPECT_EQ(QueryText(db_path(), "SELECT CAST(user_version AS TEXT) FROM pragma_user_version"),
            std::to_string(RunStore::kSchemaVersion));
  EXPECT_EQ(QueryText(db_path(), "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(QueryText(db_path(),
                      "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_schema "
                      "WHERE type = 'table' ORDER BY name)"),
            "outputs,runs,steps");
}

// The last connection to close copies the write-ahead log into the database file. Left in
// place, the log would be read whole by the next process to open the store (SQLite rebuilds
// its index of the log then): ~10-15 us per page, up to 1000 pages, in every weft command.
TEST_F(RunStoreTest, ClosingEmptiesTheWriteAheadLog) {
  { RunStore(home()).StartRun(MakeRun("d", "r1", 5), {MakeStep(0, "s")}); }
  const std::filesystem::path wal = home() / "weft.db-wal";
  EXPECT_TRUE(!std::filesystem::exists(wal) || std::filesystem::file_size(wal) == 0);
  RunStore store(home());
  EXPECT_TRUE(store.FindRun({"d", "r1"}).has_value());
  EXPECT_EQ(store.Steps({"d", "r1"}).size(), 1u);
}

TEST_F(RunStoreTest, ReopeningKeepsRuns) {
  { RunStore(home()).StartRun(MakeRun("d", "r1", 5), {MakeStep(0, "s")}); }
  RunStore store(home());
  const auto run = store.FindRun({"d", "r1"});
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->started_at_ns, 5);
}

TEST_F(RunStoreTest, DatabaseFromNewerWeftIsRefused) {
  { RunStore store(home()); }
  {
    Database db(db_path().string());
    db.Execute("PRAGMA user_version = 99");
  }
  EXPECT_THAT(
      [&] { RunStore store(home()); },
      ThrowsMessage<StoreError>(AllOf(HasSubstr("schema version 99"), HasSubstr("upgrade weft"))));
}

TEST_F(RunStoreTest, FileThatIsNotADatabaseIsAClearError) {
  std::filesystem::create_directory(home());
  std::ofstream(db_path()) << std::string(4096, 'x');
  EXPECT_THAT([&] { RunStore store(home()); },
              ThrowsMessage<StoreError>(
                  AllOf(HasSubstr(db_path().string()), HasSubstr("not a weft database"))));
}

TEST_F(RunStoreTest, StartRunStoresEveryField) {
  RunStore store(home());
  RunRecord run = MakeRun("child", "c1", 1000);
  // Finished, so that the recorded process (not this one) is only stored, never checked.
  run.status = Status::kAborted;
  run.finished_at_ns = 2000;
  run.exit_code = 1;
  run.parent = RunRef{"parent", "p1"};
  run.parent_step = "call";
  run.root = RunRef{"root", "r0"};
  run.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  run.error = "stopped";
  run.process = {4242, 777};
  StepRecord step = MakeStep(0, "build", Status::kFailed);
  step.exit_code = 3;
  step.started_at_ns = 1001;
  step.finished_at_ns = 1002;
  step.retry_count = 2;
  step.error = "exit code 3";
  step.stdout_file = "/logs/build.out";
  step.stderr_file = "/logs/build.err";
  step.pid = 99;
  StepRecord handler = MakeStep(1, "onExit");
  handler.handler = HandlerKind::kExit;

  EXPECT_EQ(store.StartRun(run, {step, handler}), 1);

  const auto stored = store.FindRun({"child", "c1"});
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->dag_name, "child");
  EXPECT_EQ(stored->run_id, "c1");
  EXPECT_EQ(stored->dag_file, "/dags/child.yaml");
  EXPECT_EQ(stored->run_dir, "/home/runs/child/c1");
  EXPECT_EQ(stored->status, Status::kAborted);
  EXPECT_EQ(stored->started_at_ns, 1000);
  EXPECT_EQ(stored->finished_at_ns, 2000);
  EXPECT_EQ(stored->params_json, R"({"A":"1"})");
  ASSERT_TRUE(stored->parent.has_value());
  EXPECT_EQ(stored->parent->name, "parent");
  EXPECT_EQ(stored->parent->run_id, "p1");
  EXPECT_EQ(stored->parent_step, "call");
  ASSERT_TRUE(stored->root.has_value());
  EXPECT_EQ(stored->root->name, "root");
  EXPECT_EQ(stored->root->run_id, "r0");
  EXPECT_EQ(stored->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(stored->error, "stopped");
  EXPECT_EQ(stored->exit_code, 1);
  EXPECT_EQ(stored->process, (ProcessIdentity{4242, 777}));
  EXPECT_EQ(stored->attempt, 1);
  EXPECT_EQ(stored->spans, SpanCounters{});

  const auto steps = store.Steps({"child", "c1"});
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].index, 0);
  EXPECT_EQ(steps[0].name, "build");
  EXPECT_EQ(steps[0].handler, HandlerKind::kNone);
  EXPECT_EQ(steps[0].status, Status::kFailed);
  EXPECT_EQ(steps[0].exit_code, 3);
  EXPECT_EQ(steps[0].started_at_ns, 1001);
  EXPECT_EQ(steps[0].finished_at_ns, 1002);
  EXPECT_EQ(steps[0].retry_count, 2);
  EXPECT_EQ(steps[0].error, "exit code 3");
  EXPECT_EQ(steps[0].stdout_file, "/logs/build.out");
  EXPECT_EQ(steps[0].stderr_file, "/logs/build.err");
  EXPECT_EQ(steps[0].pid, 99);
  EXPECT_EQ(steps[1].name, "onExit");
  EXPECT_EQ(steps[1].handler, HandlerKind::kExit);
  EXPECT_EQ(steps[1].exit_code, -1);
}

TEST_F(RunStoreTest, RootRunHasNoParentOrRoot) {
  RunStore store(home());
  store.StartRun(MakeRun("d", "r1", 1), {});
  const auto run = store.FindRun({"d", "r1"});
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->parent, std::nullopt);
  EXPECT_EQ(run->root, std::nullopt);
  EXPECT_EQ(store.Parent({"d", "r1"}), std::nullopt);
}

TEST_F(RunStoreTest, UnknownRunIsNotFound) {
  RunStore store(home());
  store.StartRun(MakeRun("d", "r1", 1), {MakeStep(0, "s")});
  EXPECT_EQ(store.FindRun({"d", "r2"}), std::nullopt);
  EXPECT_EQ(store.FindRun({"e", "r1"}), std::nullopt);
  EXPECT_TRUE(store.Steps({"d", "r2"}).empty());
  EXPECT_TRUE(store.RunOutputs({"d", "r2"}).empty());
  EXPECT_EQ(store.LatestRun("e"), std::nullopt);
}

TEST_F(RunStoreTest, EmptyParamsAreStoredAsEmptyObject) {
  RunStore store(home());
  RunRecord run = MakeRun("d", "r1", 1);
  run.params_json = "";
  store.StartRun(run, {});
  EXPECT_EQ(store.FindRun({"d", "r1"})->params_json, "{}");
}

TEST_F(RunStoreTest, ParamsThatAreNotAJsonObjectAreRefused) {
  RunStore store(home());
  for (const char* params : {"[1,2]", "{broken", "\"text\""}) {
    RunRecord run = MakeRun("d", "r1", 1);
    run.params_json = params;
    EXPECT_THAT(
        [&] { store.StartRun(run, {}); },
        ThrowsMessage<StoreError>(AllOf(HasSubstr("not a JSON object"), HasSubstr(params))));
  }
  EXPECT_EQ(store.FindRun({"d", "r1"}), std::nullopt);
}

TEST_F(RunStoreTest, SaveStepChangesOnlyThatStep) {
  RunStore store(home());
  store.StartRun(MakeRun("d", "r1", 1), {MakeStep(0, "a"), MakeStep(1, "b"), MakeStep(2, "c")});
  StepRecord b = MakeStep(1, "b", Status::kSucceeded);
  b.exit_code = 0;
  b.started_at_ns = 10;
  b.finished_at_ns = 20;
  store.SaveSteps({"d", "r1"}, {b});

  const auto steps = store.Steps({"d", "r1"});
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0].status, Status::kNotStarted);
  EXPECT_EQ(steps[1].status, Status::kSucceeded);
  EXPECT_EQ(steps[1].exit_code, 0);
  EXPECT_EQ(steps[1].finished_at_ns, 20);
  EXPECT_EQ(steps[2].status, Status::kNotStarted);
}

TEST_F(RunStoreTest, SaveStepsWritesSeveralStepsAtOnce) {
  RunStore store(home());
  store.StartRun(MakeRun("d", "r1", 1), {MakeStep(0, "a"), MakeStep(1, "b"), MakeStep(2, "c")});
  store.SaveSteps({"d", "r1"},
                  {MakeStep(2, "c", Status::kSkipped), MakeStep(0, "a", Status::kFailed)});
  const auto steps = store.Steps({"d", "r1"});
  EXPECT_EQ(steps[0].status, Status::kFailed);
  EXPECT_EQ(steps[1].status, Status::kNotStarted);
  EXPECT_EQ(steps[2].status, Status::kSkipped);
}

TEST_F(RunStoreTest, SaveStepInsertsHandlerStepsBeyondTheDagSteps) {
  RunStore store(home());
  store.StartRun(MakeRun("d", "r1", 1), {MakeStep(0, "a"), MakeStep(1, "b")});
  StepRecord handler = MakeStep(2, "onFailure", Status::kRunning);
  handler.handler = HandlerKind::kFailure;
  store.SaveSteps({"d", "r1"}, {handler});

  const auto steps = store.Steps({"d", "r1"});
  EXPECT_THAT(StepNames(steps), ElementsAre("a", "b", "onFailure"));
  EXPECT_EQ(steps[2].handler, HandlerKind::kFailure);
}

TEST_F(RunStoreTest, StepsComeInIndexOrderWhateverTheWriteOrder) {
  RunStore store(home());
  store.StartRun(MakeRun("d", "r1", 1), {MakeStep(2, "c"), MakeStep(0, "a"), MakeStep(1, "b")});
  EXPECT_THAT(StepNames(store.Steps({"d", "r1"})), ElementsAre("a", "b", "c"));
}

TEST_F(RunStoreTest, WritesToAnUnstoredRunAreRefused) {
  RunStore store(home());
  EXPECT_THAT(
      [&] {
        store.SaveSteps({"d", "nope"}, {MakeStep(0, "a")});
      },
      ThrowsMessage<StoreError>(AllOf(HasSubstr("d nope"), HasSubstr("is not stored"))));
  EXPECT_THAT([&] { store.FinishRun(MakeRun("d", "nope", 1), {}); },
              ThrowsMessage<StoreError>(HasSubstr("is not stored")));
  EXPECT_THAT(
      [&] {
        store.SetSpanCounters({"d", "nope"}, {1, 2, 3, 4});
      },
      ThrowsMessage<StoreError>(HasSubstr("is not stored")));
}

TEST_F(RunStoreTest, FinishRunRecordsTheEndAndOutputsInOrder) {
  RunStore store(home());
  RunRecord run = MakeRun("d", "r1", 1);
  store.StartRun(run, {MakeStep(0, "a")});
  run.status = Status::kFailed;
  run.finished_at_ns = 50;
  run.error = "step a failed";
  run.exit_code = 1;
  store.FinishRun(run, {{"Z", "last"}, {"A", "{\"k\":1}"}});

  const auto stored = store.FindRun({"d", "r1"});
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->status, Status::kFailed);
  EXPECT_EQ(stored->finished_at_ns, 50);
  EXPECT_EQ(stored->error, "step a failed");
  EXPECT_EQ(stored->exit_code, 1);
  EXPECT_EQ(store.RunOutputs({"d", "r1"}), (Outputs{{"Z", "last"}, {"A", "{\"k\":1}"}}));
}

TEST_F(RunStoreTest, SpanCountersAreSetAndReadBack) {
  RunStore store(home());
  store.StartRun(MakeRun("d", "r1", 1), {});
  store.SetSpanCounters({"d", "r1"}, {10, 2, 3, 1});
  EXPECT_EQ(store.FindRun({"d", "r1"})->spans, (SpanCounters{10, 2, 3, 1}));
  store.SetSpanCounters({"d", "r1"}, {12, 2, 0, 1});
  EXPECT_EQ(store.FindRun({"d", "r1"})->spans, (SpanCounters{12, 2, 0, 1}));
}

TEST_F(RunStoreTest, StartingAStoredRunAgainIsANewAttempt) {
  RunStore store(home());
  RunRecord run = MakeRun("d", "r1", 1);
  store.StartRun(run, {MakeStep(0, "a"), MakeStep(1, "b")});
  run.status = Status::kFailed;
  run.exit_code = 1;
  store.FinishRun(run, {{"OUT", "x"}});
  store.SetSpanCounters({"d", "r1"}, {5, 1, 1, 1});

  RunRecord retry = MakeRun("d", "r1", 100);
  EXPECT_EQ(store.StartRun(retry, {MakeStep(0, "a", Status::kSucceeded), MakeStep(1, "b")}), 2);
  EXPECT_EQ(store.StartRun(retry, {MakeStep(0, "a", Status::kSucceeded), MakeStep(1, "b")}), 3);

  const auto stored = store.FindRun({"d", "r1"});
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->attempt, 3);
  EXPECT_EQ(stored->status, Status::kRunning);
  EXPECT_EQ(stored->started_at_ns, 100);
  EXPECT_EQ(stored->exit_code, std::nullopt);
  EXPECT_EQ(stored->spans, SpanCounters{});
  EXPECT_TRUE(store.RunOutputs({"d", "r1"}).empty());
  EXPECT_EQ(store.Steps({"d", "r1"})[0].status, Status::kSucceeded);
  EXPECT_EQ(store.History({}).size(), 1u);
}

TEST_F(RunStoreTest, SaveRunReplacesStepsAndOutputsButKeepsSpanCounters) {
  RunStore store(home());
  RunRecord run = MakeRun("d", "r1", 1);
  store.StartRun(run, {MakeStep(0, "a"), MakeStep(1, "b"), MakeStep(2, "stale")});
  store.SetSpanCounters({"d", "r1"}, {7, 0, 0, 0});

  run.attempt = 4;
  run.status = Status::kSucceeded;
  run.finished_at_ns = 9;
  run.exit_code = 0;
  run.spans = {100, 100, 100, 100};
  store.SaveRun(run, {MakeStep(0, "a", Status::kSucceeded), MakeStep(1, "b", Status::kSucceeded)},
                {{"OUT", "v"}});

  const auto stored = store.FindRun({"d", "r1"});
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->attempt, 4);
  EXPECT_EQ(stored->status, Status::kSucceeded);
  EXPECT_EQ(stored->exit_code, 0);
  EXPECT_EQ(stored->spans, (SpanCounters{7, 0, 0, 0}));
  EXPECT_THAT(StepNames(store.Steps({"d", "r1"})), ElementsAre("a", "b"));
  EXPECT_EQ(store.RunOutputs({"d", "r1"}), (Outputs{{"OUT", "v"}}));
}

TEST_F(RunStoreTest, SaveRunOfAnUnstoredRunInsertsIt) {
  RunStore store(home());
  RunRecord run = MakeRun("d", "r1", 1);
  run.attempt = 2;
  store.SaveRun(run, {MakeStep(0, "a")}, {});
  const auto stored = store.FindRun({"d", "r1"});
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->attempt, 2);
  EXPECT_EQ(store.Steps({"d", "r1"}).size(), 1u);
}

TEST_F(RunStoreTest, LatestRunIsTheOneThatStartedLast) {
  RunStore store(home());
  store.StartRun(MakeRun("d", "early", 100), {});
  store.StartRun(MakeRun("d", "late", 300), {});
  store.StartRun(MakeRun("d", "middle", 200), {});
  store.StartRun(MakeRun("other", "newest", 900), {});
  EXPECT_EQ(store.LatestRun("d")->run_id, "late");
  EXPECT_EQ(store.LatestRun("other")->run_id, "newest");
}

TEST_F(RunStoreTest, LatestRunBreaksTiesByRecordingOrder) {
  RunStore store(home());
  store.StartRun(MakeRun("d", "first", 100), {});
  store.StartRun(MakeRun("d", "second", 100), {});
  EXPECT_EQ(store.LatestRun("d")->run_id, "second");
}

class HistoryTest : public RunStoreTest {
 protected:
  void SetUp() override {
    store_.emplace(home());
    Add("a", "a1", 10, Status::kSucceeded);
    Add("b", "b1", 20, Status::kFailed);
    Add("a", "a2", 30, Status::kFailed);
    Add("a", "a3", 40, Status::kSucceeded);
    Add("b", "b2", 50, Status::kSucceeded);
  }
  void Add(const std::string& dag, const std::string& id, std::int64_t started, Status status) {
    RunRecord run = MakeRun(dag, id, started);
    store_->StartRun(run, {});
    run.status = status;
    run.finished_at_ns = started + 1;
    store_->FinishRun(run, {});
  }

  std::optional<RunStore> store_;
};

TEST_F(HistoryTest, AllRunsNewestFirst) {
  EXPECT_THAT(RunIds(store_->History({})), ElementsAre("b2", "a3", "a2", "b1", "a1"));
}

TEST_F(HistoryTest, FilteredByDag) {
  EXPECT_THAT(RunIds(store_->History(Query("a", std::nullopt, 0))), ElementsAre("a3", "a2", "a1"));
  EXPECT_TRUE(store_->History(Query("zzz", std::nullopt, 0)).empty());
}

TEST_F(HistoryTest, FilteredByStatus) {
  EXPECT_THAT(RunIds(store_->History(Query(std::nullopt, Status::kFailed, 0))),
              ElementsAre("a2", "b1"));
  EXPECT_TRUE(store_->History(Query(std::nullopt, Status::kAborted, 0)).empty());
}

TEST_F(HistoryTest, FilteredByDagAndStatus) {
  EXPECT_THAT(RunIds(store_->History(Query("a", Status::kSucceeded, 0))), ElementsAre("a3", "a1"));
}

TEST_F(HistoryTest, LimitKeepsTheNewest) {
  EXPECT_THAT(RunIds(store_->History(Query(std::nullopt, std::nullopt, 2))),
              ElementsAre("b2", "a3"));
  EXPECT_THAT(RunIds(store_->History(Query("b", std::nullopt, 1))), ElementsAre("b2"));
  EXPECT_EQ(store_->History(Query(std::nullopt, std::nullopt, 0)).size(), 5u);
}

TEST_F(RunStoreTest, ChildrenAndParentFollowTheParentLink) {
  RunStore store(home());
  store.StartRun(MakeRun("top", "t1", 1), {MakeStep(0, "fan")});
  RunRecord other_parent = MakeRun("top", "t2", 2);
  store.StartRun(other_parent, {});
  for (const auto& [id, started, parent_id] :
       {std::tuple{"c2", 20, "t1"}, std::tuple{"c1", 10, "t1"}, std::tuple{"x", 15, "t2"}}) {
    RunRecord child = MakeRun("leaf", id, started);
    child.parent = RunRef{"top", parent_id};
    child.root = RunRef{"top", parent_id};
    child.parent_step = "fan";
    store.StartRun(child, {});
  }
  RunRecord grandchild = MakeRun("deeper", "g1", 30);
  grandchild.parent = RunRef{"leaf", "c1"};
  grandchild.root = RunRef{"top", "t1"};
  store.StartRun(grandchild, {});

  EXPECT_THAT(RunIds(store.Children({"top", "t1"})), ElementsAre("c1", "c2"));
  EXPECT_THAT(RunIds(store.Children({"leaf", "c1"})), ElementsAre("g1"));
  EXPECT_TRUE(store.Children({"leaf", "c2"}).empty());

  const auto parent = store.Parent({"deeper", "g1"});
  ASSERT_TRUE(parent.has_value());
  EXPECT_EQ(parent->dag_name, "leaf");
  EXPECT_EQ(parent->run_id, "c1");
  EXPECT_EQ(store.Parent({"leaf", "c1"})->run_id, "t1");
  EXPECT_EQ(store.Parent({"top", "t1"}), std::nullopt);
}

TEST_F(RunStoreTest, ParentThatIsNotStoredIsNotFound) {
  RunStore store(home());
  RunRecord child = MakeRun("leaf", "c1", 1);
  child.parent = RunRef{"gone", "g"};
  store.StartRun(child, {});
  EXPECT_EQ(store.Parent({"leaf", "c1"}), std::nullopt);
}

class CrashRecoveryTest : public RunStoreTest {
 protected:
  // A run that was at work when its weft process `process` stopped existing.
  void RecordInterruptedRun(RunStore& store, const std::string& run_id, ProcessIdentity process) {
    RunRecord run = MakeRun("d", run_id, 1000);
    run.process = process;
    StepRecord done = MakeStep(0, "done", Status::kSucceeded);
    done.started_at_ns = 1100;
    done.finished_at_ns = 1200;
    done.exit_code = 0;
    StepRecord busy = MakeStep(1, "busy", Status::kRunning);
    busy.started_at_ns = 1300;
    store.StartRun(run, {done, busy, MakeStep(2, "later")});
  }
};

TEST_F(CrashRecoveryTest, RunOfAReapedProcessIsFailedWhenRead) {
  RunStore store(home());
  const ProcessIdentity dead = DeadProcess();
  RecordInterruptedRun(store, "r1", dead);

  const auto run = store.FindRun({"d", "r1"});
  ASSERT_TRUE(run.has_value());
  const std::string reason =
      "weft process " + std::to_string(dead.pid) + " ended without finishing the run";
  EXPECT_EQ(run->status, Status::kFailed);
  EXPECT_EQ(run->error, reason);
  EXPECT_EQ(run->exit_code, std::nullopt);
  // It ended at its last sign of life: the start of the step that was running.
  EXPECT_EQ(run->finished_at_ns, 1300);

  const auto steps = store.Steps({"d", "r1"});
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0].status, Status::kSucceeded);
  EXPECT_EQ(steps[0].error, "");
  EXPECT_EQ(steps[0].finished_at_ns, 1200);
  EXPECT_EQ(steps[1].status, Status::kFailed);
  EXPECT_EQ(steps[1].error, reason);
  EXPECT_EQ(steps[1].finished_at_ns, 1300);
  EXPECT_EQ(steps[2].status, Status::kNotStarted);
  EXPECT_EQ(steps[2].error, "");
}

TEST_F(CrashRecoveryTest, EveryReadRecovers) {
  const ProcessIdentity dead = DeadProcess();
  {
    RunStore store(home());
    RecordInterruptedRun(store, "r1", dead);
  }
  {
    RunStore store(home());
    EXPECT_EQ(store.Steps({"d", "r1"})[1].status, Status::kFailed);
  }
  {
    RunStore store(home());
    RecordInterruptedRun(store, "r2", dead);
    EXPECT_TRUE(store.History(Query(std::nullopt, Status::kRunning, 0)).empty());
  }
  {
    RunStore store(home());
    RecordInterruptedRun(store, "r3", dead);
    EXPECT_EQ(store.LatestRun("d")->status, Status::kFailed);
  }
  {
    RunStore store(home());
    RunRecord child = MakeRun("child", "c1", 5);
    child.parent = RunRef{"d", "r3"};
    child.process = dead;
    store.StartRun(child, {});
    EXPECT_EQ(store.Children({"d", "r3"})[0].status, Status::kFailed);
    RecordInterruptedRun(store, "r4", dead);
    child.run_id = "c4";
    child.parent = RunRef{"d", "r4"};
    child.process = ProcessIdentity::Self();
    store.StartRun(child, {});
    EXPECT_EQ(store.Parent({"child", "c4"})->status, Status::kFailed);
  }
}

TEST_F(CrashRecoveryTest, ReusedPidWithAnotherStartTimeIsNotTheRecordedProcess) {
  RunStore store(home());
  ProcessIdentity reused = ProcessIdentity::Self();
  reused.start_time -= 1;
  RecordInterruptedRun(store, "r1", reused);
  const auto run = store.FindRun({"d", "r1"});
  EXPECT_EQ(run->status, Status::kFailed);
  EXPECT_EQ(run->error,
            "weft process " + std::to_string(reused.pid) + " ended without finishing the run");
}

TEST_F(CrashRecoveryTest, RunOfALiveProcessStaysRunning) {
  RunStore store(home());
  RecordInterruptedRun(store, "r1", ProcessIdentity::Self());
  const auto run = store.FindRun({"d", "r1"});
  EXPECT_EQ(run->status, Status::kRunning);
  EXPECT_EQ(run->finished_at_ns, 0);
  EXPECT_EQ(store.Steps({"d", "r1"})[1].status, Status::kRunning);
}

TEST_F(CrashRecoveryTest, FinishedRunsAreLeftAlone) {
  RunStore store(home());
  RunRecord run = MakeRun("d", "r1", 1);
  run.process = DeadProcess();
  store.StartRun(run, {MakeStep(0, "a", Status::kSucceeded)});
  run.status = Status::kSucceeded;
  run.finished_at_ns = 2;
  run.exit_code = 0;
  store.FinishRun(run, {});
  const auto stored = store.FindRun({"d", "r1"});
  EXPECT_EQ(stored->status, Status::kSucceeded);
  EXPECT_EQ(stored->error, "");
  EXPECT_EQ(stored->finished_at_ns, 2);
}

TEST_F(CrashRecoveryTest, RecoveredRunCanBeStartedAgain) {
  RunStore store(home());
  RecordInterruptedRun(store, "r1", DeadProcess());
  ASSERT_EQ(store.FindRun({"d", "r1"})->status, Status::kFailed);
  RecordInterruptedRun(store, "r1", ProcessIdentity::Self());
  const auto run = store.FindRun({"d", "r1"});
  EXPECT_EQ(run->status, Status::kRunning);
  EXPECT_EQ(run->attempt, 2);
}

TEST_F(RunStoreTest, WriteWhileAnotherConnectionHoldsTheLockFailsClearly) {
  RunStore store(home(), {.busy_timeout = std::chrono::milliseconds(0)});
  Database other(db_path().string());
  WriteTransaction held(other);
  EXPECT_THAT(
      [&] { store.StartRun(MakeRun("d", "r1", 1), {}); },
      ThrowsMessage<StoreError>(AllOf(HasSubstr(db_path().string()), HasSubstr("busy timeout"))));
}

TEST_F(RunStoreTest, ReadsGoOnWhileAnotherConnectionWrites) {
  RunStore store(home(), {.busy_timeout = std::chrono::milliseconds(0)});
  store.StartRun(MakeRun("d", "r1", 1), {});
  Database other(db_path().string());
  WriteTransaction held(other);
  other.Execute("UPDATE runs SET error = 'uncommitted'");
  EXPECT_EQ(store.FindRun({"d", "r1"})->error, "");
}

// Writes `count` runs of two DAGs (one shared by every writer) with a step update and an end
// each, as a `weft start` would. Returns the error that stopped it, "" when none did.
std::string WriteRuns(RunStore& store, const std::string& writer, int count) try {
  for (int i = 0; i < count; ++i) {
    const std::string dag = i % 2 == 0 ? "shared" : "dag-" + writer;
    RunRecord run = MakeRun(dag, writer + "-" + std::to_string(i), i + 1);
    store.StartRun(run, {MakeStep(0, "a"), MakeStep(1, "b")});
    store.SaveSteps(run.ref(), {MakeStep(0, "a", Status::kSucceeded)});
    store.SaveSteps(run.ref(), {MakeStep(1, "b", Status::kSucceeded)});
    run.status = Status::kSucceeded;
    run.finished_at_ns = i + 2;
    run.exit_code = 0;
    store.FinishRun(run, {{"N", std::to_string(i)}});
  }
  return "";
} catch (const std::exception& error) {
  return error.what();
}

void ExpectAllWritten(const std::filesystem::path& home, const std::vector<std::string>& writers,
                      int count) {
  RunStore store(home);
  const auto runs = store.History({});
  EXPECT_EQ(runs.size(), writers.size() * count);
  for (const auto& writer : writers) {
    for (int i = 0; i < count; ++i) {
      const std::string dag = i % 2 == 0 ? "shared" : "dag-" + writer;
      const RunRef ref{dag, writer + "-" + std::to_string(i)};
      const auto run = store.FindRun(ref);
      ASSERT_TRUE(run.has_value()) << ref.run_id;
      EXPECT_EQ(run->status, Status::kSucceeded);
      const auto steps = store.Steps(ref);
      ASSERT_EQ(steps.size(), 2u);
      EXPECT_EQ(steps[1].status, Status::kSucceeded);
      EXPECT_EQ(store.RunOutputs(ref), (Outputs{{"N", std::to_string(i)}}));
    }
  }
  EXPECT_EQ(QueryText(home / "weft.db", "PRAGMA integrity_check"), "ok");
}

TEST_F(RunStoreTest, ConcurrentStoresInTwoThreadsLoseNothing) {
  constexpr int kRuns = 200;
  RunStore first(home());
  RunStore second(home());
  std::string error_one;
  std::string error_two;
  std::thread one([&] { error_one = WriteRuns(first, "one", kRuns); });
  std::thread two([&] { error_two = WriteRuns(second, "two", kRuns); });
  one.join();
  two.join();
  EXPECT_EQ(error_one, "");
  EXPECT_EQ(error_two, "");
  ExpectAllWritten(home(), {"one", "two"}, kRuns);
}

TEST_F(RunStoreTest, OneStoreSharedByTwoThreadsLosesNothing) {
  constexpr int kRuns = 200;
  RunStore store(home());
  std::string error_one;
  std::string error_two;
  std::thread one([&] { error_one = WriteRuns(store, "one", kRuns); });
  std::thread two([&] { error_two = WriteRuns(store, "two", kRuns); });
  one.join();
  two.join();
  EXPECT_EQ(error_one, "");
  EXPECT_EQ(error_two, "");
  ExpectAllWritten(home(), {"one", "two"}, kRuns);
}

TEST_F(RunStoreTest, ConcurrentProcessesCreatingAndWritingTheStoreLoseNothing) {
  // The race is in creating the store, so it is run several times, each on a new home.
  constexpr int kRounds = 5;
  constexpr int kRuns = 50;
  const std::vector<std::string> writers = {"p0", "p1", "p2", "p3"};
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::filesystem::path round_home = home() / std::to_string(round);
    // Every child blocks on this pipe until the parent closes it, so they all open the
    // not-yet-existing database and write at the same moment.
    int gate[2];
    ASSERT_EQ(pipe(gate), 0);
    std::vector<pid_t> children;
    for (const auto& writer : writers) {
      const pid_t child = fork();
      if (child == 0) {
        close(gate[1]);
        char byte;
        while (read(gate[0], &byte, 1) > 0) {
        }
        std::string error;
        try {
          RunStore store(round_home);
          error = WriteRuns(store, writer, kRuns);
        } catch (const std::exception& open_error) {
          error = open_error.what();
        }
        if (error.empty()) _exit(0);
        fprintf(stderr, "writer %s: %s\n", writer.c_str(), error.c_str());
        _exit(1);
      }
      ASSERT_GT(child, 0);
      children.push_back(child);
    }
    close(gate[0]);
    close(gate[1]);
    for (const pid_t child : children) {
      int status = 0;
      ASSERT_EQ(waitpid(child, &status, 0), child);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "writer failed: " << status;
    }
    ExpectAllWritten(round_home, writers, kRuns);
  }
}

// Reads up to `count` bytes from `fd`; how many came before it closed.
std::size_t ReadBytes(int fd, std::size_t count, std::string* into = nullptr) {
  std::size_t got = 0;
  char buffer[4096];
  while (got < count) {
    const ssize_t n = read(fd, buffer, std::min(sizeof buffer, count - got));
    if (n <= 0) break;
    if (into != nullptr) into->append(buffer, static_cast<std::size_t>(n));
    got += static_cast<std::size_t>(n);
  }
  return got;
}

TEST_F(RunStoreTest, WriterKilledInTheMiddleOfWritesLeavesAConsistentStore) {
  constexpr int kSteps = 50;
  RunRecord run = MakeRun("d", "victim", 1000);
  int progress[2];
  ASSERT_EQ(pipe(progress), 0);
  const pid_t writer = fork();
  if (writer == 0) {
    close(progress[0]);
    RunStore store(home());
    run.process = ProcessIdentity::Self();
    store.StartRun(run, {});
    // Each round rewrites every step with one letter in one transaction of ~200 KB, and says
    // so on the pipe; it goes on until killed.
    for (int round = 0;; ++round) {
      std::vector<StepRecord> steps;
      for (int i = 0; i < kSteps; ++i) {
        StepRecord step = MakeStep(i, "s" + std::to_string(i), Status::kSucceeded);
        step.error = std::string(4096, static_cast<char>('a' + round % 26));
        steps.push_back(step);
      }
      store.SaveSteps(run.ref(), steps);
      if (write(progress[1], "x", 1) != 1) _exit(1);
    }
  }
  ASSERT_GT(writer, 0);
  close(progress[1]);
  // Kill it after a few commits, while it is almost surely inside the next one.
  EXPECT_EQ(ReadBytes(progress[0], 5), 5u);
  ASSERT_EQ(kill(writer, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(writer, &status, 0), writer);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  close(progress[0]);

  RunStore store(home());
  EXPECT_EQ(QueryText(db_path(), "PRAGMA integrity_check"), "ok");
  const auto recovered = store.FindRun(run.ref());
  ASSERT_TRUE(recovered.has_value());
  EXPECT_EQ(recovered->status, Status::kFailed);
  EXPECT_EQ(recovered->error,
            "weft process " + std::to_string(writer) + " ended without finishing the run");
  // Every step comes from the same committed round: no transaction is half there.
  const auto steps = store.Steps(run.ref());
  ASSERT_EQ(steps.size(), static_cast<std::size_t>(kSteps));
  for (const auto& step : steps) {
    EXPECT_EQ(step.status, Status::kSucceeded);
    EXPECT_EQ(step.error, steps[0].error) << step.name;
  }
  EXPECT_EQ(steps[0].error.find_first_not_of(steps[0].error[0]), std::string::npos);
}

TEST_F(RunStoreTest, FullDiskFailsWritesClearlyAndTheRunIsFailedWhenSpaceReturns) {
  TmpfsMount disk(home(), 1 << 20);
  if (!disk.ok()) GTEST_SKIP() << disk.error();
  RunRecord run = MakeRun("d", "r1", 1000);
  StepRecord big = MakeStep(0, "big", Status::kFailed);
  big.error = std::string(256 * 1024, 'e');  // more than any space left in the WAL's last page
  int ready[2];
  int filled[2];
  int result[2];
  ASSERT_EQ(pipe(ready) | pipe(filled) | pipe(result), 0);
  // The weft process: records the run, meets a full disk, reports what it was told and ends.
  const pid_t writer = fork();
  if (writer == 0) {
    RunStore store(home());
    run.process = ProcessIdentity::Self();
    store.StartRun(run, {MakeStep(0, "big", Status::kRunning)});
    if (write(ready[1], "x", 1) != 1 || ReadBytes(filled[0], 1) != 1) _exit(1);
    std::string error = "no error";
    try {
      store.SaveSteps(run.ref(), {big});
    } catch (const StoreError& e) {
      error = e.what();
    }
    _exit(write(result[1], error.data(), error.size()) == static_cast<ssize_t>(error.size()) ? 0
                                                                                             : 1);
  }
  ASSERT_GT(writer, 0);
  close(result[1]);
  ASSERT_EQ(ReadBytes(ready[0], 1), 1u);
  const std::filesystem::path filler = disk.Fill();
  ASSERT_EQ(write(filled[1], "x", 1), 1);
  std::string error;
  ReadBytes(result[0], 1 << 16, &error);
  int status = 0;
  ASSERT_EQ(waitpid(writer, &status, 0), writer);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_THAT(error, AllOf(HasSubstr(db_path().string()), HasSubstr("database or disk is full"),
                           HasSubstr("free disk space")));

  std::filesystem::remove(filler);
  RunStore store(home());
  EXPECT_EQ(QueryText(db_path(), "PRAGMA integrity_check"), "ok");
  const auto recovered = store.FindRun(run.ref());
  ASSERT_TRUE(recovered.has_value());
  EXPECT_EQ(recovered->status, Status::kFailed);
  EXPECT_THAT(recovered->error, HasSubstr("ended without finishing the run"));
  const auto steps = store.Steps(run.ref());
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].status, Status::kFailed);
  EXPECT_THAT(steps[0].error, HasSubstr("ended without finishing the run"));
  // With space back, the same write goes through.
  store.SaveSteps(run.ref(), {big});
  EXPECT_EQ(store.Steps(run.ref())[0].error, big.error);
}

TEST_F(CrashRecoveryTest, ReadsAnswerWhenTheRecoveryCannotBeWritten) {
  RunStore store(home(), {.busy_timeout = std::chrono::milliseconds(0)});
  RecordInterruptedRun(store, "r1", DeadProcess());
  {
    Database other(db_path().string());
    WriteTransaction held(other);
    const auto run = store.FindRun({"d", "r1"});
    ASSERT_TRUE(run.has_value());
    EXPECT_EQ(run->status, Status::kRunning);  // as recorded: the store cannot be written yet
    EXPECT_EQ(store.History({}).size(), 1u);
  }
  EXPECT_EQ(store.FindRun({"d", "r1"})->status, Status::kFailed);
}

}  // namespace
}  // namespace weft::store
