// eval::Expand on arbitrary text and variables. Input: `NAME=value` lines (a value may be
// JSON), a blank line, then the text. The text is expanded as plain text, as shell command text
// and as shell text whose shell reads the variables itself. Expansion must stay linear and never
// re-expand a value; with no variables at all it gives the text back unchanged (apart from `\$`
// in plain text).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "check.h"
#include "eval/expand.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  weft::eval::Variables vars;
  while (!input.empty()) {
    const std::size_t newline = input.find('\n');
    const std::string_view line = input.substr(0, newline);
    if (line.empty() || newline == std::string_view::npos) break;
    input.remove_prefix(newline + 1);
    const std::size_t equals = line.find('=');
    vars.Set(line.substr(0, equals),
             equals == std::string_view::npos ? "" : std::string(line.substr(equals + 1)));
  }
  if (input.starts_with('\n')) input.remove_prefix(1);

  const weft::eval::ExpandOptions modes[] = {
      {},
      {.respect_single_quotes = true},
      {.respect_single_quotes = true, .shell_reads_environment = true},
  };
  for (const auto& options : modes) {
    const std::string out = weft::eval::Expand(input, vars, options);
    if (vars.size() == 0 &&
        (options.respect_single_quotes || input.find('\\') == std::string_view::npos)) {
      WEFT_FUZZ_CHECK(out == input);
    }
  }
  return 0;
}
