#!/usr/bin/env bash
# Make sure wrk, the HTTP load generator, is on the PATH: Debian's package.
set -euo pipefail
command -v wrk >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get install -y -qq wrk >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
  command -v wrk >/dev/null 2>&1 && exit 0
fi
echo "wrk is needed for the HTTP figures: install Debian's package (apt-get install wrk)." >&2
exit 1
