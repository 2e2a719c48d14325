#!/usr/bin/env bash
# Runs the SPEC §8 benchmarks: weft against the process floor (bench/floor.c), make and ninja,
# with tracing off, on and with the collector down, in alternating A/B pairs, and writes the
# table of medians, min–max and per-pair ratios into docs/benchmarks.md.
#
# usage: bench/run.sh [--build DIR] [--pairs N] [--only REGEX] [--out FILE] [--keep] [--smoke]
#        bench/run.sh --weft BIN --floor BIN [...]
#   --build DIR   build dir to build and take weft and floor from (default: build)
#   --pairs N     A/B pairs per row (default 3; run time grows with it, see docs/benchmarks.md)
#   --only REGEX  only rows whose title matches, e.g. --only 'chain-1000'
#   --smoke       every row with tiny sizes and one pair, the table printed rather than written
#                 to docs/; exits non-zero when any command fails (the bench-smoke CTest test);
#                 no timing is judged
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build"
weft=""
floor=""
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$(realpath "$2"); shift 2 ;;
    --weft) weft="$2"; shift 2 ;;
    --floor) floor="$2"; shift 2 ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) args+=("$1"); shift ;;
  esac
done
if [ -z "$weft" ] || [ -z "$floor" ]; then
  if [ ! -f "$build/build.ninja" ] && [ ! -f "$build/Makefile" ]; then
    echo "bench/run.sh: $build is not a configured build dir; run" \
      "cmake -S $root -B $build -G Ninja, or pass --build DIR or --weft and --floor" >&2
    exit 2
  fi
  cmake --build "$build" --target weft weft_bench_floor >&2
  weft=${weft:-$build/weft}
  floor=${floor:-$build/bench/weft_bench_floor}
fi
exec python3 "$root/bench/bench.py" --weft "$weft" --floor "$floor" ${args[@]+"${args[@]}"}
