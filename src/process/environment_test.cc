#include "process/environment.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <utility>

namespace weft::process {
namespace {

using ::testing::ElementsAre;

std::shared_ptr<const SharedEnvironment> Shared(std::vector<std::string> entries) {
  return std::make_shared<const SharedEnvironment>(std::move(entries));
}

// What exec would read: the entries up to the terminator.
std::vector<std::string> Envp(const Environment& env) {
  std::vector<std::string> out;
  for (char* const* entry = env.envp(); *entry != nullptr; ++entry) out.emplace_back(*entry);
  return out;
}

TEST(EnvironmentTest, EmptyHasOnlyTheTerminator) {
  Environment env;
  EXPECT_EQ(env.size(), 0u);
  EXPECT_EQ(env.envp()[0], nullptr);
  EXPECT_EQ(env.Find("PATH"), std::nullopt);
}

TEST(EnvironmentTest, SharedEntriesComeFirstInTheirOrder) {
  Environment env(Shared({"PATH=/bin", "HOME=/root", "EMPTY="}));
  EXPECT_THAT(Envp(env), ElementsAre("PATH=/bin", "HOME=/root", "EMPTY="));
  EXPECT_EQ(env.Find("HOME"), "/root");
  EXPECT_EQ(env.Find("EMPTY"), "");
  EXPECT_EQ(env.Find("HOM"), std::nullopt);
  EXPECT_EQ(env.Find("PATH=/bin"), std::nullopt);
}

TEST(EnvironmentTest, SetReplacesASharedEntryInItsPlaceAndAppendsNewNames) {
  auto shared = Shared({"A=1", "B=2", "C=3"});
  Environment env(shared);
  env.Set("NEW", "x");
  env.Set("B", "two");
  env.Set("LATER", "y");
  EXPECT_THAT(Envp(env), ElementsAre("A=1", "B=two", "C=3", "NEW=x", "LATER=y"));
  EXPECT_EQ(env.size(), 5u);
  EXPECT_EQ(env.Find("B"), "two");
  EXPECT_EQ(env.Find("NEW"), "x");
  // The shared part is untouched: another environment on it sees the original value.
  EXPECT_THAT(Envp(Environment(shared)), ElementsAre("A=1", "B=2", "C=3"));
}

TEST(EnvironmentTest, ALaterSetOfTheSameNameWinsInTheFirstPosition) {
  Environment env(Shared({"A=1"}));
  env.Set("N", "first");
  env.Set("A", "one");
  env.Set("N", "second");
  env.Set("A", "uno");
  EXPECT_THAT(Envp(env), ElementsAre("A=uno", "N=second"));
  EXPECT_EQ(env.Find("N"), "second");
}

TEST(EnvironmentTest, ANameGivenTwiceToTheSharedPartKeepsTheLaterValueAtTheEarlierPlace) {
  Environment env(Shared({"A=1", "B=2", "A=3"}));
  EXPECT_THAT(Envp(env), ElementsAre("A=3", "B=2"));
  EXPECT_EQ(env.Find("A"), "3");
}

TEST(EnvironmentTest, ValuesMayHoldEqualsSignsAndNamesAreExact) {
  Environment env(Shared({"OPTS=a=b=c", "LONG_NAME_OVER_SIXTEEN_CHARACTERS=v"}));
  env.Set("X", "=");
  EXPECT_EQ(env.Find("OPTS"), "a=b=c");
  EXPECT_EQ(env.Find("LONG_NAME_OVER_SIXTEEN_CHARACTERS"), "v");
  EXPECT_EQ(env.Find("X"), "=");
  EXPECT_THAT(Envp(env), ElementsAre("OPTS=a=b=c", "LONG_NAME_OVER_SIXTEEN_CHARACTERS=v", "X=="));
}

TEST(EnvironmentTest, MovingKeepsEveryPointerValid) {
  Environment env(Shared({"A=1"}));
  // Short values live inside the string object, so this checks the strings did not move.
  for (int i = 0; i < 100; ++i) env.Set("V" + std::to_string(i), std::to_string(i));
  env.Set("A", "a");
  Environment moved(std::move(env));
  Environment assigned;
  assigned = std::move(moved);
  const std::vector<std::string> entries = Envp(assigned);
  ASSERT_EQ(entries.size(), 101u);
  EXPECT_EQ(entries[0], "A=a");
  EXPECT_EQ(entries[1], "V0=0");
  EXPECT_EQ(entries[100], "V99=99");
  EXPECT_EQ(assigned.Entries(), entries);
  EXPECT_EQ(assigned.Find("V42"), "42");
}

}  // namespace
}  // namespace weft::process
