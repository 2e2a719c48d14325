#pragma once

// The keys a DAG file may use, in both dialects: v1 camelCase (`retryPolicy`) and v2
// snake_case (`retry_policy`), plus the older aliases Dagu still accepts (`dir`, `precondition`,
// `run`, `tags`, `cancel`). Every spelling maps to one canonical (v2) name, which is the only
// name the parsers ask for. Known Dagu keys that weft does not act on are marked so that files
// using them load with a warning instead of an error.

#include <string_view>
#include <vector>

namespace weft::dag {

// The kinds of mapping in a DAG file; each has its own keys.
enum class Section {
  kDag,
  kStep,
  kOtel,
  kRetryPolicy,
  kRepeatPolicy,
  kContinueOn,
  kHandlerOn,
  kPrecondition,
  kParallel,
  kExecutor,
  kSecret,
  kSchedule,
};

struct KeyInfo {
  std::string_view spelling;   // as it may be written
  std::string_view canonical;  // the v2 name this spelling stands for
  bool ignored = false;        // a Dagu key weft does not act on
};

// The key written as `spelling` in `section`, or nullptr when the section has no such key.
const KeyInfo* FindKey(Section section, std::string_view spelling);

// The known spelling nearest to an unknown key of `section`, or "" when none is close.
std::string_view SuggestKey(Section section, std::string_view unknown);

// Every spelling of `section`, for "known keys are ..." hints.
const std::vector<std::string_view>& SpellingsOf(Section section);

// How messages name a mapping of this section: "a step", "the DAG", "`otel`".
std::string_view SectionName(Section section);

}  // namespace weft::dag
