#!/bin/sh
# Runs the benchmark harness (see bench/README.md). Arguments go to bench.py:
#   bench/run.sh [--smoke|--quick] [--proxyd build/proxyd/proxyd] ...
# Raises the open-files limit first: 10,000 idle sessions need ~10k fds in the
# client and in the proxy, which inherits this shell's limit.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec /usr/bin/python3 "$(dirname "$0")/bench.py" "$@"
