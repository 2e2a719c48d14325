#pragma once

// Durations as users write them in the `otel:` block: Go style, as Dagu reads them ("30s",
// "500ms", "1m30s", "1.5h"), or a bare number of seconds ("30", "2.5").

#include <chrono>
#include <optional>
#include <string_view>

namespace weft::trace::otlp {

// The duration rounded to whole milliseconds, or nullopt when the text is not a duration
// (empty, negative, unknown unit, or too large to hold).
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text);

}  // namespace weft::trace::otlp
