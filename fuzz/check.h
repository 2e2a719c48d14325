#pragma once

// What a fuzz target asserts beyond "no crash": a property every input must keep. A violated
// property aborts, so libFuzzer saves the input as a crash like any sanitizer finding.

#include <cstdio>
#include <cstdlib>

#define WEFT_FUZZ_CHECK(condition)                                                            \
  do {                                                                                        \
    if (!(condition)) {                                                                       \
      std::fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                           \
    }                                                                                         \
  } while (false)
