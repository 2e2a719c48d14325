#include "dag/keys.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace weft::dag {
namespace {

using ::testing::Contains;

std::string_view Canonical(Section section, std::string_view spelling) {
  const KeyInfo* key = FindKey(section, spelling);
  return key == nullptr ? "<unknown>" : key->canonical;
}

TEST(KeysTest, BothDialectsMapToTheSnakeCaseName) {
  const std::pair<std::string_view, std::string_view> dag_keys[] = {
      {"maxActiveSteps", "max_active_steps"},
      {"handlerOn", "handler_on"},
      {"timeoutSec", "timeout_sec"},
      {"delaySec", "delay_sec"},
      {"logDir", "log_dir"},
      {"histRetentionDays", "hist_retention_days"},
      {"workingDir", "working_dir"},
      {"maxOutputSize", "max_output_size"},
      {"maxCleanUpTimeSec", "max_clean_up_time_sec"}};
  for (const auto& [v1, v2] : dag_keys) {
    EXPECT_EQ(Canonical(Section::kDag, v1), v2) << v1;
    EXPECT_EQ(Canonical(Section::kDag, v2), v2) << v2;
  }
  const std::pair<std::string_view, std::string_view> step_keys[] = {
      {"continueOn", "continue_on"},     {"retryPolicy", "retry_policy"},
      {"repeatPolicy", "repeat_policy"}, {"signalOnStop", "signal_on_stop"},
      {"timeoutSec", "timeout_sec"},     {"workingDir", "working_dir"},
      {"logOutput", "log_output"}};
  for (const auto& [v1, v2] : step_keys) {
    EXPECT_EQ(Canonical(Section::kStep, v1), v2) << v1;
    EXPECT_EQ(Canonical(Section::kStep, v2), v2) << v2;
  }
  EXPECT_EQ(Canonical(Section::kRetryPolicy, "intervalSec"), "interval_sec");
  EXPECT_EQ(Canonical(Section::kRetryPolicy, "exitCode"), "exit_code");
  EXPECT_EQ(Canonical(Section::kRepeatPolicy, "maxIntervalSec"), "max_interval_sec");
  EXPECT_EQ(Canonical(Section::kContinueOn, "markSuccess"), "mark_success");
  EXPECT_EQ(Canonical(Section::kParallel, "maxConcurrent"), "max_concurrent");
  EXPECT_EQ(Canonical(Section::kOtel, "clientCertificate"), "client_certificate");
}

TEST(KeysTest, DaguAliasesMapToTheirKeys) {
  EXPECT_EQ(Canonical(Section::kStep, "dir"), "working_dir");
  EXPECT_EQ(Canonical(Section::kDag, "dir"), "working_dir");
  EXPECT_EQ(Canonical(Section::kStep, "precondition"), "preconditions");
  EXPECT_EQ(Canonical(Section::kDag, "precondition"), "preconditions");
  EXPECT_EQ(Canonical(Section::kStep, "run"), "call");
  EXPECT_EQ(Canonical(Section::kStep, "type"), "executor");
  EXPECT_EQ(Canonical(Section::kDag, "tags"), "labels");
  EXPECT_EQ(Canonical(Section::kHandlerOn, "cancel"), "abort");
}

TEST(KeysTest, KeysBelongToTheirSection) {
  EXPECT_EQ(FindKey(Section::kDag, "command"), nullptr);
  EXPECT_EQ(FindKey(Section::kStep, "steps"), nullptr);
  EXPECT_EQ(FindKey(Section::kOtel, "name"), nullptr);
  EXPECT_EQ(FindKey(Section::kStep, "Command"), nullptr);  // keys are case-sensitive
}

TEST(KeysTest, DaguKeysWeftIgnoresAreMarked) {
  for (std::string_view key : {"mailOn", "mail_on", "smtp", "errorMail", "infoMail",
                               "maxActiveRuns", "queue", "skipIfSuccessful", "restartWaitSec"}) {
    const KeyInfo* info = FindKey(Section::kDag, key);
    ASSERT_NE(info, nullptr) << key;
    EXPECT_TRUE(info->ignored) << key;
  }
  EXPECT_TRUE(FindKey(Section::kStep, "mailOnError")->ignored);
  EXPECT_TRUE(FindKey(Section::kSchedule, "stop")->ignored);
  EXPECT_FALSE(FindKey(Section::kDag, "histRetentionDays")->ignored);
  EXPECT_FALSE(FindKey(Section::kDag, "steps")->ignored);
}

TEST(KeysTest, SuggestionsConsiderBothDialects) {
  EXPECT_EQ(SuggestKey(Section::kStep, "dependss"), "depends");
  EXPECT_EQ(SuggestKey(Section::kStep, "retryPolicyy"), "retryPolicy");
  EXPECT_EQ(SuggestKey(Section::kStep, "retry_polcy"), "retry_policy");
  EXPECT_EQ(SuggestKey(Section::kDag, "max-active-steps"), "max_active_steps");
  EXPECT_EQ(SuggestKey(Section::kHandlerOn, "sucess"), "success");
  EXPECT_EQ(SuggestKey(Section::kStep, "zzzzzz"), "");
}

TEST(KeysTest, SpellingsListEverySpellingOfTheSection) {
  const auto& spellings = SpellingsOf(Section::kContinueOn);
  EXPECT_THAT(spellings, Contains("exitCode"));
  EXPECT_THAT(spellings, Contains("exit_code"));
  EXPECT_THAT(spellings, Contains("markSuccess"));
  EXPECT_EQ(spellings.size(), 7u);
}

TEST(KeysTest, SectionNamesReadInMessages) {
  EXPECT_EQ(SectionName(Section::kDag), "the DAG");
  EXPECT_EQ(SectionName(Section::kStep), "a step");
  EXPECT_EQ(SectionName(Section::kOtel), "`otel`");
  EXPECT_EQ(SectionName(Section::kRetryPolicy), "`retry_policy`");
}

}  // namespace
}  // namespace weft::dag
