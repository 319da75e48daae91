#!/usr/bin/env bash
# Runs the libFuzzer targets of an OBP_FUZZ build, each for a bounded time, two at a
# time, on a fresh copy of its seed corpus (tests/fuzz/corpus/<target>) with its
# dictionary (tests/fuzz/dict/<target>.dict) when there is one.
#
#   tests/fuzz/run.sh BUILD_DIR SECONDS [TARGET...]      (default: every target built)
#
# In BUILD_DIR/fuzz/: <target>.log (libFuzzer's output), <target>.corpus/ (the grown
# corpus), <target>.crashes/ (crash-*, leak-*, timeout-*, oom-* reproducers). One line
# per target: its final figures (runs, cov, ft, corpus) and the reproducers it left.
# Exit status 1 if any target crashed, leaked, timed out or failed to run.
# A reproducer replays with: BUILD_DIR/tests/fuzz/<target> <reproducer>
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${1:?usage: run.sh BUILD_DIR SECONDS [TARGET...]}" && pwd)
SECONDS_EACH=${2:?usage: run.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
TARGETS=("$@")
if [[ ${#TARGETS[@]} -eq 0 ]]; then
  for dir in "$ROOT"/tests/fuzz/corpus/*/; do
    t=$(basename "$dir")
    [[ -x $BUILD/tests/fuzz/$t ]] && TARGETS+=("$t")
  done
fi
[[ ${#TARGETS[@]} -gt 0 ]] || { echo "run.sh: no fuzz targets in $BUILD/tests/fuzz" >&2; exit 1; }
OUT=$BUILD/fuzz
mkdir -p "$OUT"
# ASan/UBSan stop at the first report; libFuzzer then writes the reproducer.
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:print_stacktrace=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

run_one() {  # run_one TARGET
  local t=$1
  local bin=$BUILD/tests/fuzz/$t
  local corpus=$OUT/$t.corpus crashes=$OUT/$t.crashes
  rm -rf "$corpus" "$crashes" && mkdir -p "$corpus" "$crashes"
  cp "$ROOT/tests/fuzz/corpus/$t"/* "$corpus"/
  local dict=()
  [[ -f $ROOT/tests/fuzz/dict/$t.dict ]] && dict=(-dict="$ROOT/tests/fuzz/dict/$t.dict")
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb: 2 GiB is plenty here.
  "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
         -artifact_prefix="$crashes/" "${dict[@]}" "$corpus" >"$OUT/$t.log" 2>&1
  local rc=$?
  # libFuzzer's last status line: "#<runs> DONE cov: <n> ft: <n> corp: <files>/<size> ..."
  local figures found
  figures=$(grep -E '^#[0-9]+' "$OUT/$t.log" | tail -n 1 |
            sed -E 's/^#([0-9]+)[^c]*cov: ([0-9]+) ft: ([0-9]+) corp: ([0-9]+).*exec\/s: ([0-9]+).*/\1 runs (\5\/s), cov \2, ft \3, corpus \4/')
  found=$(ls "$crashes" 2>/dev/null | sed "s|^|$crashes/|" | tr '\n' ' ')
  if [[ $rc -eq 0 && -z $found ]]; then
    echo "fuzz $t: ok, ${SECONDS_EACH} s, ${figures:-no figures}"
  else
    echo "fuzz $t: FAILED (exit $rc), ${figures:-no figures}"
    echo "  reproducer(s): ${found:-none; see $OUT/$t.log}"
    grep -m 3 -E 'fuzz invariant failed|ERROR: |runtime error' "$OUT/$t.log" | sed 's/^/  /'
  fi
  return $(( rc != 0 || ${#found} > 0 ))
}

failed=0
pids=()
for t in "${TARGETS[@]}"; do
  run_one "$t" >"$OUT/$t.summary" &
  pids+=($!)
  if [[ ${#pids[@]} -ge 2 ]]; then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || failed=1; done
for t in "${TARGETS[@]}"; do cat "$OUT/$t.summary"; done
exit "$failed"
