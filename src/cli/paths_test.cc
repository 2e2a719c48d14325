#include "cli/paths.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

namespace weft::cli {
namespace {

class PathsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/weft-paths-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(PathsTest, WeftHomeComesFromTheEnvironmentAndIsPrivate) {
  std::string home = dir_ + "/home";
  setenv("WEFT_HOME", home.c_str(), 1);
  EXPECT_EQ(WeftHome(), home);
  unsetenv("WEFT_HOME");
  struct stat st;
  ASSERT_EQ(stat(home.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(PathsTest, RunDirIsPrivateAndNamesCannotEscape) {
  std::string run = RunDir(dir_, "../evil", "r/1");
  EXPECT_EQ(run, dir_ + "/runs/_.._evil/r_1");
  struct stat st;
  ASSERT_EQ(stat(run.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(PathsTest, DagFilesResolveAsPathWithExtensionOrNameInDagsDir) {
  std::filesystem::create_directories(dir_ + "/dags");
  std::ofstream(dir_ + "/dags/etl.yaml") << "steps: []\n";
  std::ofstream(dir_ + "/local.yml") << "steps: []\n";
  std::string tried;
  EXPECT_EQ(ResolveDagFile("etl", dir_ + "/dags", &tried), dir_ + "/dags/etl.yaml");
  EXPECT_EQ(ResolveDagFile(dir_ + "/local", "", &tried), dir_ + "/local.yml");
  EXPECT_EQ(ResolveDagFile("missing", dir_ + "/dags", &tried), "");
  EXPECT_NE(tried.find(dir_ + "/dags/missing.yaml"), std::string::npos) << tried;
}

TEST(RunIdTest, IsAUuidVersion7AndUnique) {
  std::set<std::string> ids;
  std::regex uuid7("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewRunId();
    EXPECT_TRUE(std::regex_match(id, uuid7)) << id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 1000u);
}

}  // namespace
}  // namespace weft::cli
