#pragma once

// Splits a fuzz input into the fields a target needs, one per line, so that seed files stay
// readable: the first `count - 1` lines, then everything after them (which may hold newlines
// and binary data). Missing fields are empty.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

inline std::vector<std::string_view> SplitFuzzInput(const std::uint8_t* data, std::size_t size,
                                                    std::size_t count) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> fields;
  while (fields.size() + 1 < count) {
    const std::size_t newline = rest.find('\n');
    if (newline == std::string_view::npos) break;
    fields.push_back(rest.substr(0, newline));
    rest.remove_prefix(newline + 1);
  }
  fields.push_back(rest);
  fields.resize(count);
  return fields;
}
