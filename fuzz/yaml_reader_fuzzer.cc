// The simple YAML reader against libyaml on arbitrary bytes: whenever the simple reader takes a
// text rather than declining it, the tree and the diagnostics must be exactly libyaml's (both
// null when the tree builder refuses it, e.g. nested too deep).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "check.h"
#include "dag/diagnostic.h"
#include "dag/simple_yaml.h"
#include "dag/yaml_tree.h"
#include "dag/yaml_tree_text.h"

namespace {

// The simple reader's events are not needed here, only whether it takes the text.
class Discard final : public weft::dag::YamlEventSink {
 public:
  void Add(const weft::dag::YamlEvent&) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Discard events;
  if (!weft::dag::ReadSimpleYaml(text, events)) return 0;
  weft::dag::DiagnosticLog simple_log("f.yaml");
  weft::dag::DiagnosticLog libyaml_log("f.yaml");
  const auto simple = weft::dag::YamlFile::Parse(text, simple_log);
  const auto libyaml = weft::dag::YamlFile::ParseWithLibyaml(text, libyaml_log);
  WEFT_FUZZ_CHECK(weft::dag::YamlFileText(simple.get()) == weft::dag::YamlFileText(libyaml.get()));
  WEFT_FUZZ_CHECK(weft::dag::ErrorsText(simple_log) == weft::dag::ErrorsText(libyaml_log));
  return 0;
}
