#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang and runs each for a bounded time, starting
# from its seed corpus in fuzz/corpus/<target>/. New inputs the fuzzer finds go to the build
# directory, never into the repository; a crash, leak, timeout or violated property stops the
# script with the input saved and the command that replays it.
#
#   scripts/fuzz.sh [BUILD_DIR]        FUZZ_SECONDS (default 20) per target
#   scripts/fuzz.sh build-fuzz yaml_loader expand     only these targets
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-fuzz}
shift || true
seconds=${FUZZ_SECONDS:-20}
targets=("$@")
[ ${#targets[@]} -gt 0 ] ||
  targets=(yaml_loader yaml_reader expand params dotenv trace_context otlp_response)

CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DWEFT_FUZZ=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target weft_fuzzers

for target in "${targets[@]}"; do
  work="$build/fuzz-corpus/$target"
  artifacts="$build/fuzz-artifacts/$target"
  mkdir -p "$work" "$artifacts"
  options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536
           -print_final_stats=1 -artifact_prefix="$artifacts/")
  [ -f "fuzz/$target.dict" ] && options+=(-dict="fuzz/$target.dict")
  echo "== fuzzing $target for ${seconds}s"
  if ! "$build/fuzz/${target}_fuzzer" "${options[@]}" "$work" "fuzz/corpus/$target" \
      >"$build/fuzz-$target.log" 2>&1; then
    tail -n 60 "$build/fuzz-$target.log"
    echo "fuzz: $target failed; inputs in $artifacts/; replay with:" >&2
    echo "  $build/fuzz/${target}_fuzzer $artifacts/<file>" >&2
    exit 1
  fi
  grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$build/fuzz-$target.log" |
    tr -s ' \n' ' ' || true
  echo
done
