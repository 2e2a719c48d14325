#include "dag/yaml_tree.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "dag/diagnostic_matchers.h"
#include "dag/yaml_fixture.h"

namespace weft::dag {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Kind = YamlNode::Kind;

class YamlTreeTest : public YamlFixture {
 protected:
  // The single error that stops `text` from parsing.
  Diagnostic ParseError(const std::string& text) {
    file_ = YamlFile::Parse(text, log_);
    EXPECT_EQ(file_, nullptr);
    EXPECT_EQ(log_.errors().size(), 1u);
    return log_.errors().empty() ? Diagnostic{} : log_.errors()[0];
  }

  std::unique_ptr<const YamlFile> file_;
};

TEST_F(YamlTreeTest, ScalarsKeepTheirTextAndWhetherTheyWerePlain) {
  const YamlNode& root = Parse("a: true\nb: 'true'\nc: \"1.0\"\nd: !!str 12\ne: 1.0\n");
  ASSERT_TRUE(root.is_mapping());
  ASSERT_EQ(root.size(), 5u);
  EXPECT_EQ(root.key(0).text, "a");
  EXPECT_EQ(root.value(0).text, "true");
  EXPECT_TRUE(root.value(0).plain);
  EXPECT_FALSE(root.value(1).plain);
  EXPECT_EQ(root.value(2).text, "1.0");
  EXPECT_FALSE(root.value(2).plain);
  EXPECT_FALSE(root.value(3).plain);  // an explicit tag is not plain
  EXPECT_EQ(root.value(4).text, "1.0");
  EXPECT_TRUE(root.value(4).plain);
}

TEST_F(YamlTreeTest, NodesRememberOneBasedLineAndColumn) {
  const YamlNode& root = Parse("steps:\n  - name: a\n    command: echo\n");
  EXPECT_EQ(root.where.line, 1);
  EXPECT_EQ(root.where.column, 1);
  const YamlNode& steps = root.value(0);
  ASSERT_TRUE(steps.is_sequence());
  const YamlNode& step = steps.item(0);
  EXPECT_EQ(step.where.line, 2);
  EXPECT_EQ(step.where.column, 5);
  EXPECT_EQ(step.key(1).where.line, 3);
  EXPECT_EQ(step.value(1).where.column, 14);
}

TEST_F(YamlTreeTest, EmptyValuesAreNullAtTheirKey) {
  const YamlNode& root = Parse("a:\nb: ~\nc: null\nd: ''\n");
  EXPECT_TRUE(root.value(0).is_null());
  EXPECT_EQ(root.value(0).where.line, 1);  // libyaml marks it at `b:`; the key is line 1
  EXPECT_EQ(root.value(0).where.column, 1);
  EXPECT_TRUE(root.value(1).is_null());
  EXPECT_TRUE(root.value(2).is_null());
  EXPECT_TRUE(root.value(3).is_scalar());  // quoted empty string is a string
  EXPECT_EQ(root.value(3).text, "");
}

TEST_F(YamlTreeTest, BlockScalarsKeepTheirLines) {
  const YamlNode& root = Parse("script: |\n  echo a\n  echo b\nfolded: >\n  one\n  two\n");
  EXPECT_EQ(root.value(0).text, "echo a\necho b\n");
  EXPECT_FALSE(root.value(0).plain);
  EXPECT_EQ(root.value(1).text, "one two\n");
}

TEST_F(YamlTreeTest, DescribeNamesKinds) {
  const YamlNode& root = Parse("a: x\nb: [1]\nc: {d: 1}\ne:\n");
  EXPECT_EQ(root.value(0).Describe(), "a string");
  EXPECT_EQ(root.value(1).Describe(), "a list");
  EXPECT_EQ(root.value(2).Describe(), "a mapping");
  EXPECT_EQ(root.value(3).Describe(), "empty");
}

TEST_F(YamlTreeTest, ItemsOrOneListsAListsItemsOrTheNodeItself) {
  const YamlNode& root = Parse("a: [x, y]\nb: z\nc: {d: 1}\n");
  const YamlNode* list = &root.value(0);
  const YamlNode* scalar = &root.value(1);
  const YamlNode* mapping = &root.value(2);
  ASSERT_EQ(ItemsOrOne(list).size(), 2u);
  EXPECT_EQ(ItemsOrOne(list)[1]->text, "y");
  ASSERT_EQ(ItemsOrOne(scalar).size(), 1u);
  EXPECT_EQ(ItemsOrOne(scalar)[0], scalar);
  ASSERT_EQ(ItemsOrOne(mapping).size(), 1u);
  EXPECT_EQ(ItemsOrOne(mapping)[0], mapping);
}

TEST_F(YamlTreeTest, EveryDocumentIsKeptAndEmptyOnesAreNull) {
  file_ = YamlFile::Parse("a: 1\n---\nb: 2\n---\n", log_);
  ASSERT_NE(file_, nullptr);
  ASSERT_EQ(file_->documents().size(), 3u);
  EXPECT_EQ(file_->documents()[0]->key(0).text, "a");
  EXPECT_EQ(file_->documents()[1]->key(0).text, "b");
  EXPECT_EQ(file_->documents()[1]->where.line, 3);
  EXPECT_TRUE(file_->documents()[2]->is_null());
}

TEST_F(YamlTreeTest, EmptyTextHasNoDocuments) {
  file_ = YamlFile::Parse("", log_);
  ASSERT_NE(file_, nullptr);
  EXPECT_THAT(file_->documents(), IsEmpty());
  file_ = YamlFile::Parse("# only a comment\n", log_);
  ASSERT_NE(file_, nullptr);
  EXPECT_THAT(file_->documents(), IsEmpty());
}

TEST_F(YamlTreeTest, AKeyGivenTwiceIsReportedAndTheSecondDropped) {
  const YamlNode& root = Parse("name: a\ncommand: x\nname: b\n");
  ASSERT_EQ(root.size(), 2u);
  EXPECT_EQ(root.value(0).text, "a");
  EXPECT_THAT(log_.errors(),
              ElementsAre(AllOf(DiagnosticAt(3, 1, "name",
                                             "key `name` is given twice in this mapping (first "
                                             "on line 1)"),
                                WithHint("remove one of them"))));
}

TEST_F(YamlTreeTest, DuplicatesAreFoundInBigMappingsToo) {
  std::string text;
  for (int i = 0; i < 40; ++i) text += "k" + std::to_string(i) + ": v\n";
  text += "k7: again\n";
  const YamlNode& root = Parse(text);
  EXPECT_EQ(root.size(), 40u);
  EXPECT_THAT(log_.errors(), ElementsAre(DiagnosticAt(41, 1, "k7", HasSubstr("twice"))));
}

TEST_F(YamlTreeTest, AliasesShareTheAnchoredNode) {
  const YamlNode& root = Parse("a: &x {k: v}\nb: *x\n");
  EXPECT_EQ(&root.value(0), &root.value(1));
  EXPECT_EQ(root.value(1).value(0).text, "v");
}

TEST_F(YamlTreeTest, MergeKeysAddEntriesTheMappingDoesNotWrite) {
  const YamlNode& root = Parse(
      "defaults: &d {retry: 3, shell: bash}\n"
      "more: &m {shell: zsh, dir: /tmp}\n"
      "step:\n"
      "  <<: [*d, *m]\n"
      "  shell: sh\n"
      "  name: x\n");
  const YamlNode& step = root.value(2);
  std::vector<std::string> entries;
  for (std::size_t i = 0; i < step.size(); ++i) {
    entries.push_back(step.key(i).text + "=" + step.value(i).text);
  }
  // Written keys first and winning; then the merges in order, the first winning.
  EXPECT_THAT(entries, ElementsAre("shell=sh", "name=x", "retry=3", "dir=/tmp"));
  EXPECT_THAT(log_.errors(), IsEmpty());
}

TEST_F(YamlTreeTest, SingleMergeKeyAndQuotedLessThanLess) {
  const YamlNode& root = Parse("d: &d {a: 1}\ne:\n  <<: *d\n  '<<': literal\n");
  const YamlNode& e = root.value(1);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e.key(0).text, "<<");  // quoted: an ordinary key
  EXPECT_EQ(e.key(1).text, "a");
}

TEST_F(YamlTreeTest, MergingSomethingElseThanAMappingIsAnError) {
  Parse("e:\n  <<: [x]\n  <<: 3\n");
  EXPECT_THAT(log_.errors(), ElementsAre(DiagnosticAt(2, 8, "<<",
                                                      "`<<` merges a mapping into this one, not a "
                                                      "string"),
                                         DiagnosticAt(3, 7, "<<", HasSubstr("not a string"))));
}

TEST_F(YamlTreeTest, SyntaxErrorsHaveLibyamlsLineAndColumn) {
  const Diagnostic error = ParseError("steps:\n  - name: a\n   command: x\n");
  EXPECT_EQ(error.line, 3);
  EXPECT_EQ(error.column, 4);
  EXPECT_THAT(error.message, HasSubstr("YAML syntax error"));
  EXPECT_THAT(error.hint, HasSubstr("indentation"));
}

TEST_F(YamlTreeTest, UnclosedFlowSequenceIsASyntaxError) {
  const Diagnostic error = ParseError("a: [1, 2\nb: 3\n");
  EXPECT_THAT(error.message, HasSubstr("YAML syntax error"));
  EXPECT_THAT(error.message, HasSubstr("line 1"));
  EXPECT_GT(error.line, 0);
}

TEST_F(YamlTreeTest, InvalidUtf8IsReportedAtTheBadByte) {
  const Diagnostic error = ParseError("a: ok\nsteps:\n  - echo caf\xc3 \xff\n");
  EXPECT_EQ(error.line, 3);
  EXPECT_EQ(error.column, 13);  // the 0xc3 that starts the broken sequence
  EXPECT_EQ(error.message,
            "the file is not valid text: invalid trailing UTF-8 octet at offset 25 (byte 0xc3)");
  EXPECT_THAT(error.hint, HasSubstr("re-save it as UTF-8"));
}

TEST_F(YamlTreeTest, InvalidLeadingByteAfterAMultibyteCharacterIsReportedAtItself) {
  const Diagnostic error = ParseError("a: caf\xc3\xa9\xff\n");
  EXPECT_EQ(error.column, 9);
  EXPECT_THAT(error.message, HasSubstr("invalid leading UTF-8 octet at offset 8 (byte 0xff)"));
}

TEST_F(YamlTreeTest, SequenceCutShortByTheEndOfTheFileIsReported) {
  const Diagnostic error = ParseError("a: caf\xe2\x82");
  EXPECT_EQ(error.line, 1);
  EXPECT_EQ(error.column, 7);
  EXPECT_THAT(error.message, HasSubstr("incomplete UTF-8 octet sequence at offset 6"));
}

TEST_F(YamlTreeTest, ControlCharactersAreReportedAtTheirByte) {
  const Diagnostic error = ParseError("a: 1\nb: x\x01y\n");
  EXPECT_EQ(error.line, 2);
  EXPECT_EQ(error.column, 5);
  EXPECT_EQ(error.message,
            "the file is not valid text: control characters are not allowed at offset 9 (byte "
            "0x01)");
}

TEST_F(YamlTreeTest, UndefinedAliasIsAnError) {
  const Diagnostic error = ParseError("a: *nope\n");
  EXPECT_THAT(error, DiagnosticAt(1, 4, "", "alias `*nope` names no anchor"));
}

TEST_F(YamlTreeTest, RecursiveAliasIsAnError) {
  const Diagnostic error = ParseError("a: &x {b: *x}\n");
  EXPECT_THAT(error, DiagnosticAt(1, 11, "", "alias `*x` refers to a node that contains it"));
}

TEST_F(YamlTreeTest, AnAnchorRedefinedLaterIsTheOneAliasesSee) {
  const YamlNode& root = Parse("a: &x 1\nb: &x 2\nc: *x\n");
  EXPECT_EQ(root.value(2).text, "2");
}

TEST_F(YamlTreeTest, BillionLaughsIsRefusedQuickly) {
  std::string text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char previous = 'a';
  for (char name = 'b'; name <= 'j'; ++name) {
    text += std::string(1, name) + ": &" + name + " [";
    for (int i = 0; i < 10; ++i) text += std::string(i ? ", " : "") + "*" + previous;
    text += "]\n";
    previous = name;
  }
  const Diagnostic error = ParseError(text);
  EXPECT_THAT(error.message, HasSubstr("aliases expand to more than"));
  EXPECT_THAT(error.message, HasSubstr("billion laughs"));
  EXPECT_EQ(error.line, 5);  // `e`, whose aliases stand for 10^5 nodes, crosses the limit
}

TEST_F(YamlTreeTest, ModestAliasUseIsFine) {
  std::string text = "t: &t {retry: 3, shell: bash, dir: /tmp}\nsteps:\n";
  for (int i = 0; i < 2000; ++i) text += "  - *t\n";
  const YamlNode& root = Parse(text);
  EXPECT_EQ(root.value(1).size(), 2000u);
}

TEST_F(YamlTreeTest, DeepFlowNestingIsRefusedWithoutRecursion) {
  const Diagnostic error = ParseError(std::string(10000, '['));
  EXPECT_THAT(error.message, HasSubstr("nested more than 200 levels"));
  EXPECT_EQ(error.line, 1);
  EXPECT_EQ(error.column, 201);
}

TEST_F(YamlTreeTest, DeepBlockNestingIsRefused) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += std::string(i, ' ') + "a:\n";
  const Diagnostic error = ParseError(text);
  EXPECT_THAT(error.message, HasSubstr("nested more than 200 levels"));
}

TEST_F(YamlTreeTest, NestingUpToTheLimitParses) {
  const std::size_t depth = YamlFile::kMaxDepth;
  const YamlNode* node = &Parse(std::string(depth, '[') + std::string(depth, ']'));
  for (std::size_t i = 1; i < depth; ++i) {
    ASSERT_TRUE(node->is_sequence());
    node = &node->item(0);
  }
  EXPECT_TRUE(node->is_sequence());
  EXPECT_EQ(node->size(), 0u);
}

}  // namespace
}  // namespace weft::dag
