#include "engine/policy.h"

#include <gtest/gtest.h>

namespace weft::engine {
namespace {

TEST(BackoffTest, ConstantIntervalWithoutFactor) {
  Backoff b{2, 1, 0};
  EXPECT_EQ(b.DelayNs(1), 2'000'000'000);
  EXPECT_EQ(b.DelayNs(5), 2'000'000'000);
}

TEST(BackoffTest, GrowsByFactorUpToTheCap) {
  Backoff b{1, 2, 5};
  EXPECT_EQ(b.DelayNs(1), 1'000'000'000);
  EXPECT_EQ(b.DelayNs(2), 2'000'000'000);
  EXPECT_EQ(b.DelayNs(3), 4'000'000'000);
  EXPECT_EQ(b.DelayNs(4), 5'000'000'000);
  EXPECT_GT(Backoff({1, 10, 0}).DelayNs(1000), 0);  // no overflow
}

TEST(ResolveRetryTest, ExpandsAndParsesFields) {
  eval::Variables vars;
  vars.Set("RETRIES", "3");
  dag::RetryPolicy policy;
  policy.limit = "${RETRIES}";
  policy.interval_sec = "0.5";
  policy.backoff = "true";
  policy.max_interval_sec = "4";
  std::string error;
  auto rule = ResolveRetry(policy, vars, &error);
  ASSERT_TRUE(rule) << error;
  EXPECT_EQ(rule->limit, 3);
  EXPECT_EQ(rule->backoff.interval_sec, 0.5);
  EXPECT_EQ(rule->backoff.factor, 2);
  EXPECT_EQ(rule->backoff.max_interval_sec, 4);
}

TEST(ResolveRetryTest, NumericBackoffIsAFactor) {
  dag::RetryPolicy policy;
  policy.backoff = "1.5";
  std::string error;
  EXPECT_EQ(ResolveRetry(policy, {}, &error)->backoff.factor, 1.5);
  policy.backoff = "false";
  EXPECT_EQ(ResolveRetry(policy, {}, &error)->backoff.factor, 1);
}

TEST(ResolveRetryTest, BadValuesNameTheField) {
  std::string error;
  dag::RetryPolicy policy;
  policy.limit = "${UNSET}";
  EXPECT_FALSE(ResolveRetry(policy, {}, &error));
  EXPECT_EQ(error, "retry_policy.limit: \"${UNSET}\" is not a non-negative number");
  policy.limit = "2.5";
  EXPECT_FALSE(ResolveRetry(policy, {}, &error));
  EXPECT_EQ(error, "retry_policy.limit: \"2.5\" is not a whole number up to 1000000");
  policy.limit = "1";
  policy.interval_sec = "-1";
  EXPECT_FALSE(ResolveRetry(policy, {}, &error));
  EXPECT_EQ(error, "retry_policy.interval_sec: \"-1\" is not a non-negative number");
  policy.interval_sec = "1";
  policy.backoff = "0.5";
  EXPECT_FALSE(ResolveRetry(policy, {}, &error));
  EXPECT_NE(error.find("retry_policy.backoff: \"0.5\" must be"), std::string::npos) << error;
}

TEST(ResolveRepeatTest, EmptyLimitIsUnlimited) {
  dag::RepeatPolicy policy;
  std::string error;
  EXPECT_EQ(ResolveRepeat(policy, {}, &error)->limit, 0);
  policy.limit = "4";
  policy.max_interval_sec = "x";
  EXPECT_FALSE(ResolveRepeat(policy, {}, &error));
  EXPECT_EQ(error, "repeat_policy.max_interval_sec: \"x\" is not a non-negative number");
}

}  // namespace
}  // namespace weft::engine
