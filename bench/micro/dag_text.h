#pragma once

// DAG files as text for the micro-benchmarks: the same chain and layered shapes that
// bench/shapes.py writes for the end-to-end benchmarks, built in memory so that a benchmark
// measures the loader and engine rather than the disk.

#include <string>

namespace weft::bench {

// `steps` steps named s0..s<steps-1>, each depending on the one before (explicit `depends`).
std::string ChainDag(int steps);

// ChainDag's steps with ids i0..i<steps-1>, each running `wc -c ${i<n-1>.stdout}` (the one
// before's log) under `shell` and continuing on failure.
std::string ChainWithIdsDag(int steps, const std::string& shell);

// `layers` layers of `width` steps named l<layer>_<i>; each step depends on every step of the
// layer before, so there are (layers - 1) * width * width edges.
std::string LayeredDag(int layers, int width);

}  // namespace weft::bench
