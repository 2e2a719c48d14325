#include "dag/values.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace weft::dag {
namespace {

using ::testing::HasSubstr;
using ::testing::Optional;

TEST(ParseBoolTest, ReadsYamlBooleansInTheirThreeCases) {
  for (std::string_view text : {"true", "True", "TRUE", "yes", "Yes", "on", "ON", "y"}) {
    EXPECT_THAT(ParseBool(text), Optional(true)) << text;
  }
  for (std::string_view text : {"false", "False", "FALSE", "no", "NO", "off", "Off", "n"}) {
    EXPECT_THAT(ParseBool(text), Optional(false)) << text;
  }
  for (std::string_view text : {"", "tRue", "1", "0", "enabled", "true "}) {
    EXPECT_EQ(ParseBool(text), std::nullopt) << text;
  }
}

TEST(ParseIntegerTest, ReadsDecimalIntegersOnly) {
  EXPECT_THAT(ParseInteger("0"), Optional(0));
  EXPECT_THAT(ParseInteger("42"), Optional(42));
  EXPECT_THAT(ParseInteger("+7"), Optional(7));
  EXPECT_THAT(ParseInteger("-3"), Optional(-3));
  EXPECT_THAT(ParseInteger("9223372036854775807"), Optional(INT64_MAX));
  for (std::string_view text :
       {"", "+", "-", "++1", "1.5", "1e3", "0x10", " 1", "1 ", "abc", "9223372036854775808"}) {
    EXPECT_EQ(ParseInteger(text), std::nullopt) << text;
  }
}

TEST(ParseNumberTest, ReadsDecimalNumbersButNotInfinityOrNan) {
  EXPECT_THAT(ParseNumber("0.25"), Optional(0.25));
  EXPECT_THAT(ParseNumber("1"), Optional(1.0));
  EXPECT_THAT(ParseNumber("-2.5"), Optional(-2.5));
  EXPECT_THAT(ParseNumber("+.5"), Optional(0.5));
  EXPECT_THAT(ParseNumber("1e2"), Optional(100.0));
  for (std::string_view text : {"", "inf", "nan", "infinity", "0x1p3", "1.2.3", "1e999", "x"}) {
    EXPECT_EQ(ParseNumber(text), std::nullopt) << text;
  }
}

TEST(IsDurationTest, AcceptsGoDurationsAndPlainSeconds) {
  for (std::string_view text :
       {"30s", "500ms", "1m", "1m30s", "1.5h", "2h45m", "100us", "10ns", "30", "2.5", "0"}) {
    EXPECT_TRUE(IsDuration(text)) << text;
  }
  for (std::string_view text : {"", "s", "30x", "30 s", "-5s", "-1", "1d", "m5", ".s", "1.2.3s"}) {
    EXPECT_FALSE(IsDuration(text)) << text;
  }
}

TEST(CronErrorTest, AcceptsFiveFieldSchedules) {
  for (std::string_view expression :
       {"* * * * *", "0 2 * * *", "*/15 9-17 * * 1-5", "0,30 * 1,15 * *", "0 0 1 JAN *",
        "0 0 * * SUN", "0 0 * * mon-fri", "5 4 * * 7", "0 0 ? * *", "1-59/2 * * * *",
        "CRON_TZ=Europe/Paris 0 9 * * *", "TZ=UTC 0 9 * * *", "  0  9  *  *  *  "}) {
    EXPECT_EQ(CronError(expression), "") << expression;
  }
}

TEST(CronErrorTest, AcceptsDescriptors) {
  for (std::string_view expression : {"@yearly", "@annually", "@monthly", "@weekly", "@daily",
                                      "@midnight", "@hourly", "@every 5m", "@every 1h30m"}) {
    EXPECT_EQ(CronError(expression), "") << expression;
  }
}

TEST(CronErrorTest, ExplainsWhatIsWrong) {
  EXPECT_THAT(CronError(""), HasSubstr("empty"));
  EXPECT_THAT(CronError("* * * *"), HasSubstr("5 fields"));
  EXPECT_THAT(CronError("* * * * * *"), HasSubstr("not 6"));
  EXPECT_THAT(CronError("60 * * * *"), HasSubstr("minute field `60` is out of range 0-59"));
  EXPECT_THAT(CronError("0 24 * * *"), HasSubstr("hour field `24` is out of range 0-23"));
  EXPECT_THAT(CronError("0 0 0 * *"), HasSubstr("day of month field `0` is out of range"));
  EXPECT_THAT(CronError("0 0 * 13 *"), HasSubstr("month field `13`"));
  EXPECT_THAT(CronError("0 0 * * 8"), HasSubstr("day of week field `8`"));
  EXPECT_THAT(CronError("0 0 * FOO *"), HasSubstr("not a number"));
  EXPECT_THAT(CronError("0 0 * * MON-XYZ"), HasSubstr("not a number"));
  EXPECT_THAT(CronError("*/0 * * * *"), HasSubstr("step"));
  EXPECT_THAT(CronError("*/x * * * *"), HasSubstr("step"));
  EXPECT_THAT(CronError("5-1 * * * *"), HasSubstr("ends before it starts"));
  EXPECT_THAT(CronError("? * * * *"), HasSubstr("not a number"));  // `?` only in day fields
  EXPECT_THAT(CronError("1,,2 * * * *"), HasSubstr("not a number"));
  EXPECT_THAT(CronError("-1 * * * *"), HasSubstr("not a number"));
  EXPECT_THAT(CronError("@often"), HasSubstr("not a schedule descriptor"));
  EXPECT_THAT(CronError("@daily extra"), HasSubstr("not a schedule descriptor"));
  EXPECT_THAT(CronError("@every"), HasSubstr("`@every` needs one duration"));
  EXPECT_THAT(CronError("@every 5"), HasSubstr("`@every` needs one duration"));
  EXPECT_THAT(CronError("CRON_TZ= 0 9 * * *"), HasSubstr("time zone"));
}

TEST(CanonicalSignalTest, AcceptsNamesWithOrWithoutSigInAnyCase) {
  EXPECT_THAT(CanonicalSignal("SIGTERM"), Optional(std::string("SIGTERM")));
  EXPECT_THAT(CanonicalSignal("TERM"), Optional(std::string("SIGTERM")));
  EXPECT_THAT(CanonicalSignal("sigint"), Optional(std::string("SIGINT")));
  EXPECT_THAT(CanonicalSignal("kill"), Optional(std::string("SIGKILL")));
  EXPECT_THAT(CanonicalSignal("SIGUSR1"), Optional(std::string("SIGUSR1")));
  for (std::string_view name : {"", "SIG", "SIGFOO", "15", "TERMINATE", "SIG TERM"}) {
    EXPECT_EQ(CanonicalSignal(name), std::nullopt) << name;
  }
}

TEST(IsIdentifierTest, IsAShellVariableName) {
  for (std::string_view name : {"A", "_", "a1", "MY_VAR", "_x9"}) EXPECT_TRUE(IsIdentifier(name));
  for (std::string_view name : {"", "1A", "A-B", "A B", "A.B", "$A", "é"}) {
    EXPECT_FALSE(IsIdentifier(name)) << name;
  }
}

TEST(IsExpandedAtRunTimeTest, SeesVariablesAndBackticks) {
  EXPECT_TRUE(IsExpandedAtRunTime("${N}"));
  EXPECT_TRUE(IsExpandedAtRunTime("$N"));
  EXPECT_TRUE(IsExpandedAtRunTime("`echo 3`"));
  EXPECT_FALSE(IsExpandedAtRunTime("30s"));
  EXPECT_FALSE(IsExpandedAtRunTime(""));
}

}  // namespace
}  // namespace weft::dag
