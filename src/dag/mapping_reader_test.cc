#include "dag/mapping_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dag/diagnostic_matchers.h"
#include "dag/yaml_fixture.h"

namespace weft::dag {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Optional;

using MappingReaderTest = YamlFixture;

TEST_F(MappingReaderTest, FindsValuesByCanonicalNameInEitherDialect) {
  const YamlNode& root = Parse("timeoutSec: 5\nworking_dir: /tmp\nmaxActiveSteps: 2\n");
  MappingReader fields(root, Section::kDag, log_);
  ASSERT_NE(fields.Find("timeout_sec"), nullptr);
  EXPECT_EQ(fields.Find("timeout_sec")->text, "5");
  EXPECT_EQ(fields.Find("working_dir")->text, "/tmp");
  EXPECT_EQ(fields.Spelling("timeout_sec"), "timeoutSec");
  EXPECT_EQ(fields.Spelling("working_dir"), "working_dir");
  EXPECT_EQ(fields.Spelling("delay_sec"), "delay_sec");  // absent: canonical
  EXPECT_EQ(fields.KeyWhere("max_active_steps").line, 3);
  EXPECT_EQ(fields.KeyWhere("delay_sec").line, 1);  // absent: the mapping
  EXPECT_THAT(fields.Keys(), ElementsAre("timeout_sec", "working_dir", "max_active_steps"));
  EXPECT_EQ(fields.Find("delay_sec"), nullptr);
  EXPECT_THAT(log_.errors(), IsEmpty());
}

TEST_F(MappingReaderTest, EmptyValuesCountAsAbsentButWritten) {
  const YamlNode& root = Parse("description:\nrun:\n");
  MappingReader fields(root, Section::kStep, log_);
  EXPECT_EQ(fields.Find("description"), nullptr);
  EXPECT_TRUE(fields.Written("description"));
  EXPECT_TRUE(fields.Written("call"));
  EXPECT_FALSE(fields.Written("command"));
  std::string text = "unchanged";
  EXPECT_FALSE(fields.Read("description", &text));
  EXPECT_EQ(text, "unchanged");
}

TEST_F(MappingReaderTest, UnknownKeyNamesTheNearestKnownOne) {
  const YamlNode& root = Parse("name: a\ndependss: b\n");
  MappingReader fields(root, Section::kStep, log_);
  EXPECT_THAT(log_.errors(),
              ElementsAre(AllOf(DiagnosticAt(2, 1, "dependss", "unknown key `dependss` in a step"),
                                WithHint("did you mean `depends`?"))));
  EXPECT_EQ(fields.Find("depends"), nullptr);
}

TEST_F(MappingReaderTest, UnknownKeyWithNothingCloseListsTheKnownKeys) {
  const YamlNode& root = Parse("zzzzzz: 1\n");
  MappingReader fields(root, Section::kContinueOn, log_);
  ASSERT_EQ(log_.errors().size(), 1u);
  EXPECT_EQ(log_.errors()[0].hint,
            "known keys here: failure skipped exit_code output mark_success");
}

TEST_F(MappingReaderTest, TwoSpellingsOfOneKeyAreAnError) {
  const YamlNode& root = Parse("dir: /a\nworking_dir: /b\nretryPolicy: {}\nretry_policy: {}\n");
  MappingReader fields(root, Section::kStep, log_);
  EXPECT_THAT(log_.errors(),
              ElementsAre(AllOf(DiagnosticAt(2, 1, "working_dir",
                                             "`dir` and `working_dir` are two spellings of the "
                                             "same key"),
                                WithHint("keep one of them")),
                          DiagnosticAt(4, 1, "retry_policy", HasSubstr("two spellings"))));
  EXPECT_EQ(fields.Find("working_dir")->text, "/a");  // the first one is kept
}

TEST_F(MappingReaderTest, RunAndCallTogetherAreTwoSpellings) {
  const YamlNode& root = Parse("run: a\ncall: b\n");
  MappingReader fields(root, Section::kStep, log_);
  EXPECT_THAT(log_.errors(), ElementsAre(DiagnosticAt(2, 1, "call",
                                                      "`run` and `call` are two spellings of the "
                                                      "same key")));
}

TEST_F(MappingReaderTest, DaguKeysWeftIgnoresLoadWithAWarning) {
  const YamlNode& root = Parse("mailOn: {failure: true}\nsmtp: {host: x}\n");
  MappingReader fields(root, Section::kDag, log_);
  EXPECT_THAT(log_.errors(), IsEmpty());
  EXPECT_THAT(log_.warnings(),
              ElementsAre(AllOf(DiagnosticAt(1, 1, "mailOn",
                                             "`mailOn` is a Dagu key that weft does not act on; "
                                             "it is ignored"),
                                WithHint("remove it to silence this warning")),
                          DiagnosticAt(2, 1, "smtp", HasSubstr("does not act on"))));
  EXPECT_THAT(fields.Keys(), IsEmpty());
}

TEST_F(MappingReaderTest, KeysMustBeStrings) {
  const YamlNode& root = Parse("? [a, b]\n: 1\n");
  MappingReader fields(root, Section::kDag, log_);
  EXPECT_THAT(log_.errors(), ElementsAre(DiagnosticAt(1, 3, "",
                                                      "a key in the DAG must be a string, not a "
                                                      "list")));
}

TEST_F(MappingReaderTest, TypedReadsConvertOrReportTheExpectedType) {
  const YamlNode& root = Parse(
      "name: 12\n"
      "description: [x]\n"
      "timeout_sec: 30\n"
      "delay_sec: -1\n"
      "max_active_steps: many\n"
      "dotenv: [a, b]\n");
  MappingReader fields(root, Section::kDag, log_);
  std::string name;
  EXPECT_TRUE(fields.Read("name", &name));
  EXPECT_EQ(name, "12");
  std::string description = "kept";
  EXPECT_FALSE(fields.Read("description", &description));
  EXPECT_EQ(description, "kept");
  int timeout = 0;
  EXPECT_TRUE(fields.ReadCount("timeout_sec", &timeout));
  EXPECT_EQ(timeout, 30);
  int delay = 7;
  EXPECT_FALSE(fields.ReadCount("delay_sec", &delay));
  EXPECT_EQ(delay, 7);
  int steps = 0;
  EXPECT_FALSE(fields.ReadCount("max_active_steps", &steps));
  std::vector<std::string> dotenv;
  EXPECT_TRUE(fields.Read("dotenv", &dotenv));
  EXPECT_THAT(dotenv, ElementsAre("a", "b"));
  EXPECT_THAT(
      log_.errors(),
      ElementsAre(DiagnosticAt(2, 14, "description", "`description` must be a string, not a list"),
                  DiagnosticAt(4, 12, "delay_sec",
                               "`delay_sec` must be a whole number of at least 0, not `-1`"),
                  DiagnosticAt(5, 19, "max_active_steps",
                               "`max_active_steps` must be a whole number of at least 0, not "
                               "`many`")));
}

TEST_F(MappingReaderTest, BoolReads) {
  const YamlNode& root = Parse("enabled: yes\ninsecure: maybe\n");
  MappingReader fields(root, Section::kOtel, log_);
  std::optional<bool> enabled;
  EXPECT_TRUE(fields.Read("enabled", &enabled));
  EXPECT_THAT(enabled, Optional(true));
  bool insecure = false;
  EXPECT_FALSE(fields.Read("insecure", &insecure));
  EXPECT_THAT(log_.errors(), ElementsAre(DiagnosticAt(2, 11, "insecure",
                                                      "`insecure` must be true or false, not "
                                                      "`maybe`")));
}

TEST_F(MappingReaderTest, ErrorPointsAtTheValueOrTheKeyOrTheMapping) {
  const YamlNode& root = Parse("name: x\ndescription:\n");
  MappingReader fields(root, Section::kDag, log_);
  fields.Error("name", "at value");
  fields.Error("description", "at key");
  fields.Error("group", "at mapping");
  EXPECT_THAT(log_.errors(), ElementsAre(DiagnosticAt(1, 7, "name", "at value"),
                                         DiagnosticAt(2, 1, "description", "at key"),
                                         DiagnosticAt(1, 1, "group", "at mapping")));
}

TEST_F(MappingReaderTest, LongValuesAreShortenedInMessages) {
  const YamlNode& root = Parse("timeout_sec: " + std::string(60, 'x') + "\n");
  MappingReader fields(root, Section::kDag, log_);
  int timeout = 0;
  fields.ReadCount("timeout_sec", &timeout);
  ASSERT_EQ(log_.errors().size(), 1u);
  EXPECT_THAT(log_.errors()[0].message, HasSubstr("`" + std::string(40, 'x') + "...`"));
}

TEST_F(MappingReaderTest, ReadIntegerChecksRange) {
  const YamlNode& root = Parse("[256, 3, x]\n");
  EXPECT_EQ(ReadInteger(root.item(0), "exit_code", 0, 255, log_), std::nullopt);
  EXPECT_THAT(ReadInteger(root.item(1), "exit_code", 0, 255, log_), Optional(3));
  EXPECT_THAT(log_.errors(),
              ElementsAre(DiagnosticAt(1, 2, "exit_code",
                                       "`exit_code` must be a whole number from 0 to 255, not "
                                       "`256`")));
}

TEST_F(MappingReaderTest, ReadIntegerListTakesOneNumberOrAList) {
  const YamlNode& root = Parse("a: 3\nb: [1, 2]\nc: [1, x, 300]\n");
  EXPECT_THAT(ReadIntegerList(root.value(0), "a", 0, 255, log_), Optional(ElementsAre(3)));
  EXPECT_THAT(ReadIntegerList(root.value(1), "b", 0, 255, log_), Optional(ElementsAre(1, 2)));
  EXPECT_EQ(ReadIntegerList(root.value(2), "c", 0, 255, log_), std::nullopt);
  EXPECT_EQ(log_.errors().size(), 2u);  // both bad items are reported
}

TEST_F(MappingReaderTest, ReadTextListTakesOneStringOrAListOfStrings) {
  const YamlNode& root = Parse("a: x\nb: [x, 1, true]\nc: [x, [y], {z: 1}]\nd: {k: v}\n");
  EXPECT_THAT(ReadTextList(root.value(0), "a", log_), Optional(ElementsAre("x")));
  EXPECT_THAT(ReadTextList(root.value(1), "b", log_), Optional(ElementsAre("x", "1", "true")));
  EXPECT_EQ(ReadTextList(root.value(2), "c", log_), std::nullopt);
  EXPECT_EQ(ReadTextList(root.value(3), "d", log_), std::nullopt);
  EXPECT_THAT(log_.errors(),
              ElementsAre(DiagnosticAt(3, 8, "c", "each item of `c` must be a string, not a list"),
                          DiagnosticAt(3, 13, "c", HasSubstr("not a mapping")),
                          DiagnosticAt(4, 4, "d",
                                       "`d` must be a string or a list of strings, not a "
                                       "mapping")));
}

}  // namespace
}  // namespace weft::dag
