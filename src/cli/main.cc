#include <cstdio>

#include "version.h"

int main() {
  std::printf("weft %s\n", weft::kVersion);
  return 0;
}
