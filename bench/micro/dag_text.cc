#include "dag_text.h"

namespace weft::bench {
namespace {

std::string Header(const std::string& name, const std::string& shell = "sh") {
  return "name: " + name + "\ntype: graph\nshell: " + shell + "\nsteps:\n";
}

}  // namespace

std::string ChainDag(int steps) {
  std::string text = Header("chain-" + std::to_string(steps));
  for (int i = 0; i < steps; ++i) {
    text += "  - name: s" + std::to_string(i) + "\n";
    if (i > 0) text += "    depends: [s" + std::to_string(i - 1) + "]\n";
    text += "    command: true\n";
  }
  return text;
}

std::string ChainWithIdsDag(int steps, const std::string& shell) {
  std::string text = Header("ids-" + std::to_string(steps), shell);
  for (int i = 0; i < steps; ++i) {
    text += "  - name: s" + std::to_string(i) + "\n    id: i" + std::to_string(i) + "\n";
    if (i > 0) {
      const std::string before = std::to_string(i - 1);
      text += "    depends: [s" + before + "]\n    command: wc -c ${i" + before + ".stdout}\n";
    } else {
      text += "    command: \"true\"\n";
    }
    text += "    continue_on:\n      failure: true\n";
  }
  return text;
}

std::string LayeredDag(int layers, int width) {
  std::string text = Header("layered-" + std::to_string(layers) + "x" + std::to_string(width));
  std::string before;  // the depends list naming the previous layer
  for (int layer = 0; layer < layers; ++layer) {
    std::string names;
    for (int i = 0; i < width; ++i) {
      std::string name = "l" + std::to_string(layer) + "_" + std::to_string(i);
      text += "  - name: " + name + "\n";
      if (!before.empty()) text += "    depends: [" + before + "]\n";
      text += "    command: true\n";
      names += (i ? ", " : "") + name;
    }
    before = std::move(names);
  }
  return text;
}

}  // namespace weft::bench
