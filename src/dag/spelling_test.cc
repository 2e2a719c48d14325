#include "dag/spelling.h"

#include <gtest/gtest.h>

namespace weft::dag {
namespace {

TEST(EditDistanceTest, CountsEditsAndSwapsOfNeighboursAsOne) {
  EXPECT_EQ(EditDistance("", ""), 0u);
  EXPECT_EQ(EditDistance("abc", ""), 3u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("depends", "depends"), 0u);
  EXPECT_EQ(EditDistance("dependss", "depends"), 1u);  // insertion
  EXPECT_EQ(EditDistance("comand", "command"), 1u);    // deletion
  EXPECT_EQ(EditDistance("scrupt", "script"), 1u);     // substitution
  EXPECT_EQ(EditDistance("nmae", "name"), 1u);         // swap
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
}

TEST(NearestSpellingTest, FindsTheTypoTarget) {
  const std::vector<std::string_view> keys = {"name", "command", "depends", "script"};
  EXPECT_EQ(NearestSpelling("dependss", keys), "depends");
  EXPECT_EQ(NearestSpelling("comand", keys), "command");
  EXPECT_EQ(NearestSpelling("nmae", keys), "name");
}

TEST(NearestSpellingTest, IgnoresCaseUnderscoresAndDashesFirst) {
  const std::vector<std::string_view> keys = {"max_active_steps", "maxActiveSteps", "timeout_sec"};
  EXPECT_EQ(NearestSpelling("max-active-steps", keys), "max_active_steps");
  EXPECT_EQ(NearestSpelling("MaxActiveSteps", keys), "maxActiveSteps");
  EXPECT_EQ(NearestSpelling("timeoutsec", keys), "timeout_sec");
}

TEST(NearestSpellingTest, SuggestsNothingWhenNothingIsClose) {
  const std::vector<std::string_view> keys = {"name", "command", "depends"};
  EXPECT_EQ(NearestSpelling("xyz", keys), "");
  EXPECT_EQ(NearestSpelling("retries", keys), "");
  EXPECT_EQ(NearestSpelling("anything", {}), "");
}

TEST(NearestSpellingTest, ToleranceGrowsWithLengthUpToThree) {
  // Short words allow one edit; longer ones a third of their length, at most three.
  EXPECT_EQ(NearestSpelling("c", {"a", "b"}), "");
  EXPECT_EQ(NearestSpelling("A", {"b", "a"}), "a");
  EXPECT_EQ(NearestSpelling("ab", {"abcd"}), "");
  EXPECT_EQ(NearestSpelling("abc", {"abcd"}), "abcd");
  EXPECT_EQ(NearestSpelling("signalonstp", {"signal_on_stop"}), "signal_on_stop");
  EXPECT_EQ(NearestSpelling("histretentiondaysxxxx", {"hist_retention_days"}), "");
}

TEST(NearestSpellingTest, TiesGoToTheCandidateClosestAsWrittenThenTheFirst) {
  EXPECT_EQ(NearestSpelling("retry_polic", {"retryPolicy", "retry_policy"}), "retry_policy");
  EXPECT_EQ(NearestSpelling("retryPolic", {"retry_policy", "retryPolicy"}), "retryPolicy");
  EXPECT_EQ(NearestSpelling("ab", {"aa", "bb"}), "aa");
}

}  // namespace
}  // namespace weft::dag
