#pragma once

// The items of a `parallel:` fan-out (§4) given through a variable: a JSON array, else one item
// per line, else one per comma.

#include <string>
#include <string_view>
#include <vector>

namespace weft::eval {

// A JSON array gives its elements (strings as they are, anything else as compact JSON, so an
// object item can be read as ${ITEM.field}). Otherwise the text is split at newlines when it
// has any, else at commas; items are trimmed and empty ones dropped.
std::vector<std::string> SplitItems(std::string_view text);

}  // namespace weft::eval
