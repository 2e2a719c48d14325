#include "dag/spelling.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace weft::dag {
namespace {

std::string Normalize(std::string_view word) {
  std::string out;
  out.reserve(word.size());
  for (char c : word) {
    if (c == '_' || c == '-') continue;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

// How far a word of this length may be from what it meant and still be a typo of it. A
// one-letter word is only matched up to case: `c` is no typo of `a`.
std::size_t Tolerance(std::size_t length) {
  return length <= 1 ? 0 : std::clamp<std::size_t>(length / 3, 1, 3);
}

}  // namespace

std::size_t EditDistance(std::string_view a, std::string_view b) {
  // Three rows of the optimal-string-alignment table are enough.
  std::vector<std::size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::string_view NearestSpelling(std::string_view word,
                                 const std::vector<std::string_view>& candidates) {
  const std::string normalized = Normalize(word);
  const std::size_t tolerance = Tolerance(normalized.size());
  std::string_view best;
  std::size_t best_distance = tolerance + 1;
  std::size_t best_raw_distance = 0;
  for (std::string_view candidate : candidates) {
    const std::size_t distance = EditDistance(normalized, Normalize(candidate));
    if (distance > tolerance || distance > best_distance) continue;
    const std::size_t raw_distance = EditDistance(word, candidate);
    if (distance < best_distance || raw_distance < best_raw_distance) {
      best = candidate;
      best_distance = distance;
      best_raw_distance = raw_distance;
    }
  }
  return best;
}

}  // namespace weft::dag
