#pragma once

// "Did you mean ...?" for mistyped keys and step names.

#include <cstddef>
#include <string_view>
#include <vector>

namespace weft::dag {

// Edit distance counting insertions, deletions, substitutions and swaps of neighbours.
std::size_t EditDistance(std::string_view a, std::string_view b);

// The candidate `word` most likely meant, or "" when none is close. Case, `_` and `-` are
// ignored first, so `max-active-steps` finds `max_active_steps` and `MaxActiveSteps`; ties go
// to the candidate closest as written, then to the earliest.
std::string_view NearestSpelling(std::string_view word,
                                 const std::vector<std::string_view>& candidates);

}  // namespace weft::dag
