#!/usr/bin/env bash
# Installs the Debian packages weft builds and tests with, and the npm packages of the test
# OTLP receiver. Quick when everything is already there.
set -euo pipefail
missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# The tracing tests' OTLP receiver runs on Node.js (20 on these machines); Debian's own is the
# fallback where none is installed.
command -v node >/dev/null || missing+=(nodejs npm)
pkgs=("${missing[@]}")
if [ "${#pkgs[@]}" -gt 0 ]; then
  echo "installing: ${pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
fi
if [ -f tests/otlp-receiver/package-lock.json ]; then
  if [ ! -d tests/otlp-receiver/node_modules ] || \
     [ tests/otlp-receiver/package-lock.json -nt tests/otlp-receiver/node_modules ]; then
    (cd tests/otlp-receiver && npm ci --no-audit --no-fund --loglevel=error && touch node_modules)
  fi
fi
