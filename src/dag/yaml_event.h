#pragma once

#include <string_view>

#include "dag/dag.h"

namespace weft::dag {

// One event of a YAML parse, in the form the tree builder takes it from either reader (libyaml's
// events converted, or the simple reader of simple_yaml.h). Views point into the reader's memory
// and are valid until the next event.
struct YamlEvent {
  enum class Type : unsigned char {
    kDocumentStart,
    kDocumentEnd,
    kScalar,
    kAlias,
    kSequenceStart,
    kSequenceEnd,
    kMappingStart,
    kMappingEnd,
  };

  Type type = Type::kDocumentStart;
  bool plain = false;     // a scalar written without quotes, block style or tag
  Location where;         // where the event's token starts (1-based line and column)
  std::string_view text;  // a scalar's value (unescaped), or the anchor an alias names
  std::string_view anchor;
};

// Takes the events of one parse, in order.
class YamlEventSink {
 public:
  virtual ~YamlEventSink() = default;
  virtual void Add(const YamlEvent& event) = 0;
};

}  // namespace weft::dag
