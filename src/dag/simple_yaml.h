#pragma once

#include <string_view>

#include "dag/yaml_event.h"

namespace weft::dag {

// Reads the plain subset of YAML that DAG files are nearly always written in, without libyaml,
// whose per-character scanner and per-token allocations dominate loading a big file (for a
// layered DAG naming 90,000 dependencies: 21 M instructions here against libyaml's 184 M). It
// gives `sink` the events libyaml yields for the same text, with the same marks wherever the
// tree keeps them (an empty value is marked at its key, as the tree builder places it; ends
// are not marked), and returns true; or it declines: at the first thing outside the subset it
// returns false, the events given so far mean nothing, and the caller hands the whole text to
// libyaml. So it never reports an error, and the tree and diagnostics built from its events are
// libyaml's (fuzz/yaml_reader_fuzzer.cc checks).
//
// The subset: printable ASCII and line feeds; one implicit document whose root is a block
// mapping or sequence; block mappings with plain keys; block sequences, including indentless
// ones under a key; values on the line of their key or dash that are plain scalars, quoted
// scalars without escapes, or flow sequences of plain scalars; comments and blank lines.
// Declined, among others: anchors, aliases, tags, block scalars (`|`, `>`), values continued
// on the next line, flow mappings, tabs, CR, non-ASCII bytes, `---` and directives.
bool ReadSimpleYaml(std::string_view text, YamlEventSink& sink);

}  // namespace weft::dag
