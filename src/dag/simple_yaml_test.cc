#include "dag/simple_yaml.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "dag/diagnostic.h"
#include "dag/yaml_tree.h"
#include "dag/yaml_tree_text.h"

namespace weft::dag {
namespace {

// Writes down the events it is given: scalars with their text, collections as brackets, and
// where each one starts.
class EventText final : public YamlEventSink {
 public:
  void Add(const YamlEvent& event) override {
    const std::string at =
        "@" + std::to_string(event.where.line) + ":" + std::to_string(event.where.column);
    switch (event.type) {
      case YamlEvent::Type::kScalar:
        seen.push_back(std::string(event.plain ? "" : "quoted ") + std::string(event.text) + at);
        break;
      case YamlEvent::Type::kMappingStart:
        seen.push_back("{" + at);
        break;
      case YamlEvent::Type::kSequenceStart:
        seen.push_back("[" + at);
        break;
      case YamlEvent::Type::kMappingEnd:
        seen.push_back("}");
        break;
      case YamlEvent::Type::kSequenceEnd:
        seen.push_back("]");
        break;
      default:
        seen.push_back("document");
    }
  }

  std::vector<std::string> seen;
};

bool Accepts(const std::string& text) {
  EventText events;
  return ReadSimpleYaml(text, events);
}

// Parses `text` with the simple reader first and with libyaml alone, and expects the same tree
// and the same errors.
void ExpectSameAsLibyaml(const std::string& text) {
  DiagnosticLog simple_log("f.yaml");
  DiagnosticLog libyaml_log("f.yaml");
  const auto simple = YamlFile::Parse(text, simple_log);
  const auto libyaml = YamlFile::ParseWithLibyaml(text, libyaml_log);
  EXPECT_EQ(YamlFileText(simple.get()), YamlFileText(libyaml.get())) << text;
  EXPECT_EQ(ErrorsText(simple_log), ErrorsText(libyaml_log)) << text;
}

class SimpleYamlReads : public ::testing::TestWithParam<std::string> {};

TEST_P(SimpleYamlReads, TheTextAsLibyamlDoes) {
  EXPECT_TRUE(Accepts(GetParam())) << GetParam();
  ExpectSameAsLibyaml(GetParam());
}

INSTANTIATE_TEST_SUITE_P(
    Subset, SimpleYamlReads,
    ::testing::Values(
        "name: x\nsteps:\n  - name: a\n    command: echo hi\n    depends: [b, c]\n",
        "steps:\n- a\n- b\nother: 1\n",                    // indentless sequence
        "a:\n  b:\n    c: d\n  e: f\ng: h\n",              // nesting and dedenting
        "key:\n# comment\n  - x # trailing\n  - y\n",      // comments between
        "a: b\n    # a comment indented further\nc: d\n",  // does not continue the value
        "a: \"quoted # not a comment\"\nb: 'single: quoted'\nc: \"\"\n",
        "a:\nb:   \nc: # only a comment\nd: ~\ne: null\n",  // empty and null values
        "- name: a\n  depends:\n  - b\n  - c\n- d\n",       // indentless under a compact key
        "- name: a\n  env:\n    - K: v\n- name: b\n",
        "url: http://host:80/a?b=c#frag\n",  // colons and hashes inside
        "a#b: c\nd: e#f\nkey  : spaced before the colon\n",
        "a: -1\nb: -x y\nc: x,y{z}[w]\nd: it's \"fine\"\n", "list: []\nspaced: [ a , b c ,d ]\n",
        "- [a, b]\n- 'q'\n- \"r\"\n- plain words\n",
        "  a: indented root\n  b: c",  // and no final line feed
        "a: 1\na: 2\n",                // a duplicate key, reported
        "<<: not a mapping\nx: y\n",   // a bad merge, reported
        "a:   many   inner   spaces   \n", "true: yes\n1: 2\n-1: x\n"));

class SimpleYamlDeclines : public ::testing::TestWithParam<std::string> {};

TEST_P(SimpleYamlDeclines, AndLibyamlReadsTheText) {
  EXPECT_FALSE(Accepts(GetParam())) << GetParam();
  ExpectSameAsLibyaml(GetParam());
}

INSTANTIATE_TEST_SUITE_P(
    BeyondTheSubset, SimpleYamlDeclines,
    ::testing::Values(
        "", "# only a comment\n", "plain\n", "---\na: 1\n", "a: 1\n...\n", "%YAML 1.1\n---\na: 1\n",
        "a: &x 1\nb: *x\n", "a: !!str 1\n", "a: |\n  x\n", "a: >\n  x\n", "a: b\n  continued\n",
        "a: b\n\n  continued after a blank\n", "a:\n  value on the next line\n", "a: {b: c}\n",
        "a: [b,\n  c]\n", "a: [b, ]\n", "a: [b: c]\n", "a:\tb\n", "a: b\r\n", "a: \xc3\xa9\n",
        "a: \"x\\ny\"\n", "a: 'it''s'\n", "a: 'open\n  quote'\n", "- \n", "-\n  a\n", "- - a\n",
        "? a\n: b\n", "\"a\": b\n", "a: b: c\n", "a: b:\n", "a: - b\n", "a: b\nc\n", "a: b\n - c\n",
        "- a\nb: c\n", "a:\n  - b\n c: d\n", "a: b\n  c: d\n", "a: 'x'y\n", "a: 'x'#y\n",
        "a: [b]c\n", "- a\n  b\n", std::string(1100, 'k') + ": v\n",
        // A key given twice before the decline is reported once, by libyaml.
        "a:\n  x: 1\n  x: 2\nb: |\n  y\n",
        // Bytes outside printable ASCII, within and after a line's first eight.
        "key: abcdefgh\tij\n", "abcdefghijklmnop: \x01\n", "a: \x7f\n", "abcdefgh: ij\x80\n"));

// Every YAML file in the repository reads to the same tree either way, and the example and
// the test DAGs are in the subset or not as their text says.
TEST(SimpleYamlTest, RepositoryFilesReadAsLibyamlReadsThem) {
  const char* source = std::getenv("WEFT_SOURCE_DIR");
  ASSERT_NE(source, nullptr) << "CTest sets WEFT_SOURCE_DIR";
  int files = 0;
  for (const char* dir : {"examples/quickstart", "tests/dags", "src/dag/testdata",
                          "fuzz/corpus/yaml_loader", "fuzz/corpus/yaml_reader"}) {
    for (const auto& entry :
         std::filesystem::directory_iterator(std::filesystem::path(source) / dir)) {
      std::ifstream in(entry.path(), std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      SCOPED_TRACE(entry.path().string());
      ExpectSameAsLibyaml(text.str());
      ++files;
    }
  }
  EXPECT_GT(files, 20);
}

// The shape the reader exists for: a layered DAG whose steps list every step of the layer
// before.
TEST(SimpleYamlTest, ReadsALayeredDagAsLibyamlDoes) {
  std::string text = "name: layered\ntype: graph\nsteps:\n";
  for (int layer = 0; layer < 3; ++layer) {
    for (int step = 0; step < 20; ++step) {
      text += "  - name: l" + std::to_string(layer) + "_" + std::to_string(step) +
              "\n    command: true\n";
      if (layer == 0) continue;
      text += "    depends: [";
      for (int before = 0; before < 20; ++before) {
        text +=
            (before > 0 ? ", l" : "l") + std::to_string(layer - 1) + "_" + std::to_string(before);
      }
      text += "]\n";
    }
  }
  EXPECT_TRUE(Accepts(text));
  ExpectSameAsLibyaml(text);
}

// Collections and scalars are marked where their first character is, as libyaml marks them.
TEST(SimpleYamlTest, MarksEachEventWhereItsTokenStarts) {
  EventText events;
  ASSERT_TRUE(ReadSimpleYaml("a:\n  - b: 'c'\n    d: [e, f]\n", events));
  EXPECT_EQ(events.seen,
            (std::vector<std::string>{"document", "{@1:1", "a@1:1", "[@2:3", "{@2:5", "b@2:5",
                                      "quoted c@2:8", "d@3:5", "[@3:8", "e@3:9", "f@3:12", "]", "}",
                                      "]", "}", "document"}));
}

// Inputs near the edges of the subset: each one the simple reader takes must read exactly as
// libyaml reads it (tree, text, plain or quoted, line:column, diagnostics). Kept as found while
// probing the reader against libyaml 0.2.5; none of them differed.
TEST(SimpleYamlTest, TrickyInputsReadAsLibyamlReadsThem) {
  std::vector<std::string> candidates = {
      "a: b\n     \nc: d\n",
      "- a\n   \n- b\n",
      "<<:\n  a: b\nc: d\n",
      "<<:\n- a: b\n- c: d\nc: e\n",
      "a: b\nc: d\n<<:\n  a: x\n",
      "<<: [a, b]\n",
      "<<:\n",
      "- <<:\n",
      "<<: ~\n",
      "steps:\n  - name: a\n    command: echo \"a: b\" # c\n    depends: []\n",
      "steps:\n  - name: b\n    depends:\n    - a\n  - name: c\n",
      "a: b:c\n",
      "a:: b\n",
      "a:::\n",
      "a:b: c\n",
      "-: x\n",
      "--: y\n",
      "-#: a\n",
      "a#: b\n",
      "a :b: c\n",
      "a -: b\n",
      "a - b: c\n",
      "a ? b: c\n",
      "a[0]: x\n",
      "a,b: c\n",
      "a{b}: c\n",
      "a]: b\n",
      "a: b - c\n",
      "a: b -\n",
      "- a -\n",
      "a: b, c\n",
      "a: b]\n",
      "a: b}\n",
      "a: b [c\n",
      "a: ---\n",
      "- ---\n",
      "- ...\n",
      "a: ...\n",
      "a: b#\n",
      "a: b #\n",
      "a: 'b' #\n",
      "a: \"b\" # c: d\n",
      "a: 'b' # c: d\n",
      "a: b  #c\n",
      "a: b :c\n",
      "- a # b: c\n",
      "- a #b\n",
      "- -1\n",
      "- -a\n",
      "- --\n",
      "- -a: b\n",
      "- a:\n",
      "- a:\n- b\n",
      "- a:\n  - b\n- c\n",
      "- a:\n    - b\n  c: d\n",
      "- a:\n   b: c\n",
      "-   a: b\n    c: d\n",
      "-   a:\n    - b\n",
      "-  a:\n   -  b: c\n      d: e\n",
      "a:\n- b: c\n  d: e\nf: g\n",
      "a:\n- b:\n  - c\n- d\n",
      "a:\n- b:\n- c\n",
      "a:\n- b:\nc: d\n",
      "a:\n  b:\n  - c\n  d: e\n",
      "a:\n  - b: c\n    d:\n    - e\n  - f\n",
      "a:\n  b:\nc: d\n",
      "a:\n  b:\n    c:\n",
      "a:",
      "a: b",
      "- a",
      "- a:",
      "a:\n",
      "  a:\n  - b\n",
      "  - a\n  - b: c\n    d: \"e\"\n",
      "a: []\n",
      "a: [ ]\n",
      "a: [  ]  # c\n",
      "a: [a b c]\n",
      "a: [a  b]\n",
      "a: [ a , b ]\n",
      "a: [a,b]\n",
      "a: [a - b]\n",
      "a: [a'b]\n",
      "a: [a\"b]\n",
      "a: [a!b, c&d, e*f, g|h, i>j, k%l, m@n, o`p]\n",
      "a: [a-b, c.d, ~, null, <<]\n",
      "a: [1, -1]\n",
      "- [a]\n",
      "- [a, b]\n- [c]\n",
      "- a: [b]\n  c: [d]\n",
      "a: [a] \n",
      "a: [a]  #c\n",
      "a: [a]#c\n",
      "a: 'x'#c\n",
      "a: [a=b]\n",
      "a: [a\\b]\n",
      "a: [a/b]\n",
      "a: 'x'\n",
      "a: ''\n",
      "a: \"\"\n",
      "a: ' x '\n",
      "a: \" x \"\n",
      "a: 'x\"y'\n",
      "a: \"x'y\"\n",
      "a: 'x\\y'\n",
      "a: 'x #y'\n",
      "a: \"x: y\"\n",
      "- 'x'\n",
      "- \"x\"\n",
      "- ''\n",
      "- 'a' #c\n",
      "a: 'x'  \n",
      "<<: x\n",
      "<<: [a]\n",
      "<<: 'x'\n",
      "~: a\n",
      "~: a\n~: b\n",
      "null: a\nNull: b\nNULL: c\n~: d\n",
      "a: ~\n",
      "a: null\n",
      "- ~\n",
      "- null\n",
      "- NULL\n",
      "a: Null\n",
      "a: 'null'\n",
      "a: '~'\n",
      "a: \"\"\n",
      "a: 1\nb: 2\na: 3\n",
      "a: 1\n- b\n",
      "a: b\n\n\n",
      "\n\na: b\n",
      "   \n  \na: b\n  \n   ",
      "a: b\n   ",
      "# c\na: b\n",
      "  # c\na: b\n",
      "a: b\n# c",
      "a:\n   # c\n  b: d\n",
      "a:\n# c\n- b\n",
      "a:\n  # c\n- b\n",
      "a:\n      # deep comment\nb: c\n",
      "x:\n  # c\n   # d\n y: z\n",
      "a: b\n    # c\nd: e\n",
      "- a\n  # c\n- b\n",
      "- a\n# c\n  # d\n- b\n",
      "a: -\n",
      "a: -b\n",
      "a: --b\n",
      "a: - b\n",
      "a: -- b\n",
      "a: ?b\n",
      "a: :b\n",
      "a: =\n",
      "a: <b>\n",
      "a: %b\n",
      "a: @b\n",
      "a: `b\n",
      "a: b%\n",
      "a: b@\n",
      "a: b`\n",
      "a: b&c\n",
      "a: b*c\n",
      "a: b!c\n",
      "a: b|c\n",
      "a: b>c\n",
      "a: b{c}\n",
      "a: b[c]\n",
      "a: b,c\n",
      "a: b'c\n",
      "a: b\"c\n",
      "a: b\\c\n",
      "a b c: d e f\n",
      "a  b: c  d\n",
      "key   :   value   \n",
      "a:  \nb: c\n",
      "a:   # c\n  b: d\n",
      "a:\n  b: c\n  b: d\n",
      "- a\n- a\n",
      "a:\n  - a\n  - a\n",
      "a: 1\nb:\n  c: 2\n  d:\n    - 3\n    - e: 4\n      f: 5\ng: 6\n",
      "-1: x\n-2: y\n",
      "- -1: x\n",
      "- a: -1\n",
      "1: 2\n1: 3\n",
      "true: 1\nyes: 2\n",
      "a: http://x\nb: c:d\nc: 'e'\n",
      "a: b:\n",
      "- a: b: c\n",
      "a:\n  -\n",
      "a:\n-\n",
      "-\n",
      "- \n",
      "-  \n",
      "- # c\n",
      "a: b\n  - c\n",
      "- a\n - b\n",
      "a:\n - b\n - c\n",
      "a:\n - b\nc: d\n",
      "a:\n - b\n  - c\n",
      "a:\n    b: c\n  d: e\n",
      "a:\n  b: c\n d: e\n",
      "  a: b\nc: d\n",
      "- a\nb: c\n",
      "  - a\n  b: c\n",
      "  - a\n- b\n",
      "a:\n  b:\n  - c\n- d\n",
      "a:\n- b\n-c\n",
      "a:\n- b\n  c: d\n",
      "a:\n  - b\n  c: d\n",
      "- a:\n  b\n",
      "- a:\n    b\n",
      "- a:\n b: c\n",
      "- a:\n - b\n",
      "a:\n  'b'\n",
      "a:\n  [b]\n",
      "a:\n  b\n",
      "a: b\n...\n",
      "a: b\n--- \n",
      "a: b\n---\n",
      "a: b\n...x: y\n",
      "a: b\n---x: y\n",
      "---x: y\n",
      "...x: y\n",
      "a: b\n -- x\n",
      "a: --- x\n",
      "--a: b\n",
      "-- a: b\n",
      "a: [b]\n  c\n",
      "a: 'b'\n  c\n",
      "- [a]\n  b\n",
      "a: b\nc: d",
      "a: b\nc:",
      "a:\n  b: c",
      "- a:\n  - b",
      "a:\n- b",
      "? a\n",
      "a: b\n? c\n",
      ": a\n",
      "a\"b: c\n",
      "a'b: c\n",
      "a'b': c\n",
      "a: [a, b]c\n",
      "a: [a, [b]]\n",
      "a: [a, {b}]\n",
      "a: [a, b\n",
      "a: [a, b,]\n",
      "a: [,a]\n",
      "a: [a,,b]\n",
      "a: [a #b]\n",
      "a: [a, 'b']\n",
      "a: [a, \"b\"]\n",
      "a: [a:b]\n",
      "a: [a: b]\n",
      "a: [a?b]\n",
      "a: [?a]\n",
      "a: [-a]\n",
      "a: [a, -]\n",
      "a: [a-]\n",
      "a: [a]: b\n",
      "- [a]: b\n",
      "[a]: b\n",
      "a:\tb\n",
      "a: b \n",
      "a: b  \nc: d  \n",
      "- a  \n- b  \n",
      "a  :  \n  b  :  c  \n"};
  // Keys and lines around libyaml's 1024-character limit on a simple key.
  for (const std::size_t n : {998, 999, 1000, 1001, 1020, 1023, 1024, 1025}) {
    const std::string key(n, 'k');
    candidates.push_back(key + ": v\n");
    candidates.push_back("- " + key + ": v\n");
    candidates.push_back("a:\n  " + key + ": v\n");
    candidates.push_back(key + ":\n");
    candidates.push_back(std::string(n - 10, 'k') + std::string(10, ' ') + ": v\n");
    candidates.push_back("- " + std::string(n, 'x') + "\n");
    candidates.push_back("a: " + std::string(2 * n, 'x') + "\n");
    candidates.push_back("a: [" + std::string(2 * n, 'x') + "]\n");
    candidates.push_back("- [" + std::string(2 * n, 'x') + "]\n");
    std::string items;
    for (std::size_t i = 0; i < n; ++i) items += i > 0 ? ", x" : "x";
    candidates.push_back("- [" + items + "]\n");
    candidates.push_back(std::string(n, ' ') + "a: b\n");
    candidates.push_back("- " + std::string(n, ' ') + "a: b\n");
    candidates.push_back("- " + std::string(500, 'k') + std::string(n - 500, ' ') + ": v\n");
  }
  // Nesting around YamlFile::kMaxDepth.
  for (const std::size_t depth : {198, 199, 200, 201, 202}) {
    std::string numbered, same, dashed;
    for (std::size_t i = 0; i < depth; ++i) {
      numbered += std::string(i, ' ') + "k" + std::to_string(i) + ":\n";
      same += std::string(i, ' ') + "k:\n";
      dashed += std::string(2 * i, ' ') + "- k:\n";
    }
    candidates.push_back(numbered + std::string(depth, ' ') + "x: y\n");
    candidates.push_back(same);
    candidates.push_back(dashed);
    candidates.push_back(same + std::string(depth - 1, ' ') + "- [a]\n");
  }
  int accepted = 0;
  for (const std::string& text : candidates) {
    if (!Accepts(text)) continue;
    ++accepted;
    ExpectSameAsLibyaml(text);
  }
  EXPECT_GT(accepted, 250);
}

}  // namespace
}  // namespace weft::dag
