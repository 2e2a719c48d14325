#!/usr/bin/env bash
# Builds the whole project with AddressSanitizer + UndefinedBehaviorSanitizer in its own build
# directory and runs the whole test suite there (SPEC §8). Any sanitizer report fails the run:
# ASan and UBSan abort the process that hit it, and LeakSanitizer fails it at exit.
#
#   scripts/sanitize.sh [BUILD_DIR]      (default build-asan)
#
# -O1 -g1: the optimisation ASan is designed for and line tables for its reports, without the
# full debug info that doubles compile time on two cores. GCC's -Wmaybe-uninitialized is
# unreliable under -fsanitize=address (false positives in libstdc++), so it is off here; the
# normal build keeps it.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-asan}
jobs=$(nproc)

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_SANITIZE=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DCMAKE_CXX_FLAGS="-Wno-maybe-uninitialized" \
  >/dev/null
cmake --build "$build" -j "$jobs"

# Child processes (the weft binary the end-to-end tests start) inherit these.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_init_order=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# libcares (gRPC's DNS resolver) keeps a 40-byte allocation for the life of the process; that is
# the library's, not weft's, and the only leak suppressed (see scripts/lsan.supp).
export LSAN_OPTIONS=suppressions=$PWD/scripts/lsan.supp:print_suppressions=0
cd "$build"
ctest --output-on-failure -j "$jobs"
