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

std::string ErrorsText(const DiagnosticLog& log) {
  std::string out;
  for (const Diagnostic& error : log.errors()) out += error.ToString() + "\n";
  return out;
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
  EXPECT_TRUE(ReadSimpleYaml(GetParam()).has_value()) << GetParam();
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
  EXPECT_FALSE(ReadSimpleYaml(GetParam()).has_value()) << GetParam();
  ExpectSameAsLibyaml(GetParam());
}

INSTANTIATE_TEST_SUITE_P(
    BeyondTheSubset, SimpleYamlDeclines,
    ::testing::Values("", "# only a comment\n", "plain\n", "---\na: 1\n", "a: 1\n...\n",
                      "%YAML 1.1\n---\na: 1\n", "a: &x 1\nb: *x\n", "a: !!str 1\n", "a: |\n  x\n",
                      "a: >\n  x\n", "a: b\n  continued\n", "a: b\n\n  continued after a blank\n",
                      "a:\n  value on the next line\n", "a: {b: c}\n", "a: [b,\n  c]\n",
                      "a: [b, ]\n", "a: [b: c]\n", "a:\tb\n", "a: b\r\n", "a: \xc3\xa9\n",
                      "a: \"x\\ny\"\n", "a: 'it''s'\n", "a: 'open\n  quote'\n", "- \n", "-\n  a\n",
                      "- - a\n", "? a\n: b\n", "\"a\": b\n", "a: b: c\n", "a: b:\n", "a: - b\n",
                      "a: b\nc\n", "a: b\n - c\n", "- a\nb: c\n", "a:\n  - b\n c: d\n",
                      "a: b\n  c: d\n", "a: 'x'y\n", "a: 'x'#y\n", "a: [b]c\n", "- a\n  b\n",
                      std::string(1100, 'k') + ": v\n"));

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
  EXPECT_TRUE(ReadSimpleYaml(text).has_value());
  ExpectSameAsLibyaml(text);
}

// Collections and scalars are marked where their first character is, as libyaml marks them.
TEST(SimpleYamlTest, MarksEachEventWhereItsTokenStarts) {
  const auto events = ReadSimpleYaml("a:\n  - b: 'c'\n    d: [e, f]\n");
  ASSERT_TRUE(events.has_value());
  std::vector<std::string> seen;
  for (const YamlEvent& event : *events) {
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
  EXPECT_EQ(seen, (std::vector<std::string>{"document", "{@1:1", "a@1:1", "[@2:3", "{@2:5", "b@2:5",
                                            "quoted c@2:8", "d@3:5", "[@3:8", "e@3:9", "f@3:12",
                                            "]", "}", "]", "}", "document"}));
}

}  // namespace
}  // namespace weft::dag
