// The dotenv parser. Entries have valid names and lines in file order; a failure is reported
// as "file:line: ..." with a line inside the text.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "check.h"
#include "eval/dotenv.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const int lines = 1 + static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  std::string error;
  const auto entries = weft::eval::ParseDotenv(text, "fuzz.env", &error);
  if (!entries) {
    WEFT_FUZZ_CHECK(error.starts_with("fuzz.env:"));
    const int line = std::atoi(error.c_str() + 9);
    WEFT_FUZZ_CHECK(line >= 1 && line <= lines);
    return 0;
  }
  int previous = 0;
  for (const auto& entry : *entries) {
    WEFT_FUZZ_CHECK(weft::eval::IsVariableName(entry.name));
    WEFT_FUZZ_CHECK(entry.line > previous && entry.line <= lines);
    previous = entry.line;
  }
  return 0;
}
