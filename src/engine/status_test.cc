#include "engine/status.h"

#include <gtest/gtest.h>

namespace weft::engine {
namespace {

TEST(StatusTest, StringsAreTheContract) {
  EXPECT_EQ(ToString(Status::kNotStarted), "not_started");
  EXPECT_EQ(ToString(Status::kRunning), "running");
  EXPECT_EQ(ToString(Status::kFailed), "failed");
  EXPECT_EQ(ToString(Status::kAborted), "aborted");
  EXPECT_EQ(ToString(Status::kSucceeded), "succeeded");
  EXPECT_EQ(ToString(Status::kQueued), "queued");
  EXPECT_EQ(ToString(Status::kPartiallySucceeded), "partially_succeeded");
  EXPECT_EQ(ToString(Status::kSkipped), "skipped");
}

TEST(StatusTest, ParseIsTheInverseOfToString) {
  for (Status s :
       {Status::kNotStarted, Status::kRunning, Status::kFailed, Status::kAborted,
        Status::kSucceeded, Status::kQueued, Status::kPartiallySucceeded, Status::kSkipped}) {
    EXPECT_EQ(ParseStatus(ToString(s)), s);
  }
  EXPECT_EQ(ParseStatus("success"), std::nullopt);
  EXPECT_EQ(ParseStatus(""), std::nullopt);
}

TEST(StatusTest, FinalStatuses) {
  EXPECT_TRUE(IsFinal(Status::kSucceeded));
  EXPECT_TRUE(IsFinal(Status::kFailed));
  EXPECT_TRUE(IsFinal(Status::kAborted));
  EXPECT_TRUE(IsFinal(Status::kSkipped));
  EXPECT_TRUE(IsFinal(Status::kPartiallySucceeded));
  EXPECT_FALSE(IsFinal(Status::kRunning));
  EXPECT_FALSE(IsFinal(Status::kNotStarted));
  EXPECT_FALSE(IsFinal(Status::kQueued));
}

}  // namespace
}  // namespace weft::engine
