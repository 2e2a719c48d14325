#include "trace/otlp/duration.h"

#include <gtest/gtest.h>

namespace weft::trace::otlp {
namespace {

using std::chrono::milliseconds;

TEST(OtlpDurationTest, ReadsGoStyleDurations) {
  EXPECT_EQ(ParseDuration("30s"), milliseconds(30'000));
  EXPECT_EQ(ParseDuration("500ms"), milliseconds(500));
  EXPECT_EQ(ParseDuration("1m"), milliseconds(60'000));
  EXPECT_EQ(ParseDuration("1m30s"), milliseconds(90'000));
  EXPECT_EQ(ParseDuration("1.5s"), milliseconds(1'500));
  EXPECT_EQ(ParseDuration("2h"), milliseconds(7'200'000));
  EXPECT_EQ(ParseDuration("1500us"), milliseconds(2));  // rounded to whole ms
  EXPECT_EQ(ParseDuration("2000000ns"), milliseconds(2));
  EXPECT_EQ(ParseDuration("3000\xC2\xB5s"), milliseconds(3));
}

TEST(OtlpDurationTest, ReadsABareNumberAsSeconds) {
  EXPECT_EQ(ParseDuration("30"), milliseconds(30'000));
  EXPECT_EQ(ParseDuration("2.5"), milliseconds(2'500));
  EXPECT_EQ(ParseDuration("0"), milliseconds(0));
}

TEST(OtlpDurationTest, RejectsWhatIsNotADuration) {
  for (const char* bad :
       {"", "s", "abc", "10x", "-5s", "1.2.3s", "5 s", "1e3", "30s ", "m5", "99999999999999h"}) {
    EXPECT_EQ(ParseDuration(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace weft::trace::otlp
