#pragma once

// A test fixture that parses YAML text into nodes and collects diagnostics, shared by the dag
// tests that read nodes.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "dag/diagnostic.h"
#include "dag/yaml_tree.h"

namespace weft::dag {

class YamlFixture : public ::testing::Test {
 protected:
  // The first document of `text`; fails the test when the text does not parse.
  const YamlNode& Parse(const std::string& text) {
    files_.push_back(YamlFile::Parse(text, log_));
    const YamlFile* file = files_.back().get();
    if (file == nullptr || file->documents().empty()) {
      ADD_FAILURE() << "does not parse: " << text;
      static const YamlNode kEmpty;
      return kEmpty;
    }
    return *file->documents()[0];
  }

  DiagnosticLog log_{"test.yaml"};

 private:
  std::vector<std::unique_ptr<const YamlFile>> files_;
};

}  // namespace weft::dag
