#include "cli/sub_dag.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace weft::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::shared_ptr<const dag::SubDagCall> Call(std::string target,
                                            std::vector<dag::ParamDef> params = {}) {
  return std::make_shared<const dag::SubDagCall>(
      dag::SubDagCall{std::move(target), std::move(params), "", std::nullopt});
}

class SubDagTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("weft-subdag-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    for (const char* dir : {"flows", "work", "dags"}) fs::create_directories(root_ / dir);
    scope_ = {(root_ / "flows" / "parent.yaml").string(),
              {"local-child"},
              (root_ / "work").string(),
              (root_ / "dags").string()};
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string Touch(const fs::path& relative) {
    std::ofstream(root_ / relative) << "steps: []\n";
    return (root_ / relative).string();
  }
  std::optional<SubDagLocation> Find(const std::string& target) {
    return FindSubDag(target, scope_, &tried_);
  }

  fs::path root_;
  SubDagScope scope_;
  std::string tried_;
};

TEST_F(SubDagTest, LocalDagOfTheSameFileComesFirst) {
  Touch("flows/local-child.yaml");
  auto found = Find("local-child");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->file, scope_.caller_file);
  EXPECT_EQ(found->document, "local-child");
}

TEST_F(SubDagTest, CallerDirectoryThenWorkingDirThenDagsDir) {
  std::string in_dags = Touch("dags/etl.yaml");
  EXPECT_EQ(Find("etl")->file, in_dags);
  std::string in_work = Touch("work/etl.yml");
  EXPECT_EQ(Find("etl")->file, in_work);
  std::string beside = Touch("flows/etl.yaml");
  EXPECT_EQ(Find("etl")->file, beside);
  EXPECT_EQ(Find("etl.yaml")->file, beside);
  EXPECT_EQ(Find("etl")->document, "");
}

TEST_F(SubDagTest, RelativePathsAreReadFromTheCallersDirectory) {
  fs::create_directories(root_ / "flows" / "workflows");
  std::string child = Touch("flows/workflows/child-workflow.yaml");
  EXPECT_EQ(Find("workflows/child-workflow.yaml")->file, child);
}

TEST_F(SubDagTest, MissingTargetListsWhereItLooked) {
  EXPECT_FALSE(Find("nowhere"));
  EXPECT_THAT(tried_, HasSubstr((root_ / "flows" / "nowhere.yaml").string()));
  EXPECT_THAT(tried_, HasSubstr((root_ / "dags" / "nowhere.yml").string()));
}

TEST_F(SubDagTest, CheckReportsMissingWrittenTargetsOnlyWithTheirPlace) {
  dag::Dag dag;
  dag::Step missing;
  missing.name = "call-missing";
  missing.call = Call("nowhere");
  missing.where = {7, 5};
  dag::Step dynamic = missing;
  dynamic.name = "call-dynamic";
  dynamic.call = Call("${WHICH}");
  dag::Step local = missing;
  local.name = "call-local";
  local.call = Call("local-child");
  dag.steps = {missing, dynamic, local};
  auto errors = CheckSubDags(dag, scope_);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 7);
  EXPECT_EQ(errors[0].column, 5);
  EXPECT_THAT(errors[0].message, HasSubstr("step `call-missing` calls DAG `nowhere`"));
}

TEST_F(SubDagTest, ChildCommandLinksTheChildToItsParentAndRoot) {
  std::string child = Touch("flows/child.yaml");
  ChildRunContext context{"/usr/bin/weft", scope_, {"mid", "r2"}, {"top", "r1"}, "", "",
                          "/x/otel.json"};
  dag::Step step;
  step.name = "call";
  step.call = Call("${NAME}", {{"REGION", "${ITEM}", {}}, {"", "a b", {}}});
  eval::Variables vars;
  vars.Set("NAME", "child");
  vars.Set("ITEM", R"({"name": "eu"})");
  std::vector<std::string> argv;
  std::string error;
  ASSERT_TRUE(ChildCommand(context, step, vars, &argv, &error)) << error;
  ASSERT_EQ(argv.size(), 17u);
  EXPECT_THAT(
      std::vector<std::string>(argv.begin(), argv.begin() + 7),
      ElementsAre("/usr/bin/weft", "start", "--quiet", "--parent", "mid:r2", "--root", "top:r1"));
  EXPECT_EQ(argv[7], "--run-id");
  EXPECT_EQ(argv[8].size(), 36u);  // a fresh UUID
  EXPECT_THAT(std::vector<std::string>(argv.begin() + 9, argv.end()),
              ElementsAre("--parent-step", "call", "--parent-otel", "/x/otel.json", child, "--",
                          R"(REGION={"name": "eu"})", "a b"));
}

TEST_F(SubDagTest, ChildCommandFailsForATargetThatNamesNothing) {
  ChildRunContext context{"weft", scope_, {"p", "1"}, {"p", "1"}, "", "", ""};
  dag::Step step;
  step.call = Call("${NAME}");
  eval::Variables vars;
  vars.Set("NAME", "ghost");
  std::vector<std::string> argv;
  std::string error;
  EXPECT_FALSE(ChildCommand(context, step, vars, &argv, &error));
  EXPECT_THAT(error, HasSubstr("sub-DAG `ghost` not found"));
}

TEST_F(SubDagTest, ParentOtelRoundTripsPrivately) {
  dag::OtelConfig otel;
  otel.enabled = true;
  otel.endpoint = "localhost:4317";
  otel.headers["authorization"] = "Bearer secret";
  otel.resource["service.name"] = std::string("etl");
  otel.resource["replicas"] = std::int64_t{3};
  otel.sampler = 0.5;
  std::string error;
  std::string path = WriteParentOtel(otel, root_.string(), &error);
  ASSERT_FALSE(path.empty()) << error;
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  auto read = ReadParentOtel(path, &error);
  ASSERT_TRUE(read) << error;
  EXPECT_EQ(read->enabled, true);
  EXPECT_EQ(read->endpoint, "localhost:4317");
  EXPECT_EQ(read->headers, otel.headers);
  EXPECT_EQ(read->resource, otel.resource);
  EXPECT_EQ(read->sampler, 0.5);
  EXPECT_FALSE(read->insecure);
}

TEST_F(SubDagTest, EmptyOtelWritesNothingAndGarbageIsAClearError) {
  std::string error;
  EXPECT_EQ(WriteParentOtel({}, root_.string(), &error), "");
  Touch("garbage.json");
  EXPECT_FALSE(ReadParentOtel((root_ / "garbage.json").string(), &error));
  EXPECT_THAT(error, HasSubstr("not the otel settings a parent weft writes"));
}

}  // namespace
}  // namespace weft::cli
