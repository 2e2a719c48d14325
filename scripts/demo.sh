#!/usr/bin/env bash
# Runs the quickstart example with a private WEFT_HOME and shows what weft recorded.
set -euo pipefail
weft=$(realpath "$1")
cd "$(dirname "$0")/.."
export WEFT_HOME="$PWD/.weft-demo"
echo "== weft start examples/quickstart/quickstart.yaml   (WEFT_HOME=$WEFT_HOME)"
"$weft" start examples/quickstart/quickstart.yaml || true
echo
echo "== weft status quickstart"
"$weft" status quickstart
echo
echo "== weft trace quickstart"
"$weft" trace quickstart
