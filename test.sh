#!/usr/bin/env bash
# Builds and tests four configurations; exit status is non-zero if any build, test or
# fuzz target failed. Logs go to build*/test*.log and build-fuzz/fuzz/.
#   build       gcc, RelWithDebInfo: every test.
#   build-asan  gcc, ASan + UBSan: every test but the benchmark smoke run, which the
#               normal build runs.
#   build-tsan  clang-14, TSan, -Werror=thread-safety: the unit and fleet tests, and the
#               integration tests whose proxyd work crosses threads.
#   build-fuzz  clang-14, libFuzzer + ASan + UBSan: each target for FUZZ_SECONDS (20).
set -uo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)

./scripts/install-deps.sh || exit 1
./scripts/install-node-deps.sh || exit 1  # node-mysql2 (tests/drivers/node), kubernetes-models (tests/deploy/node)

declare -A RESULT=()
failed=0

build() {  # build DIR [cmake args...]
  local dir=$1; shift
  echo "=== configure + build $dir"
  if cmake -S "$ROOT" -B "$ROOT/$dir" -G Ninja "$@" >"$ROOT/$dir.configure.log" 2>&1 \
     && ninja -C "$ROOT/$dir"; then
    return 0
  fi
  tail -n 50 "$ROOT/$dir.configure.log" 2>/dev/null
  return 1
}

run_tests() {  # run_tests DIR LOG [ctest args...]
  local dir=$1 log=$2; shift 2
  echo "=== ctest $dir $*"
  ctest --test-dir "$ROOT/$dir" -j2 --output-on-failure --timeout 900 "$@" 2>&1 \
    | tee "$ROOT/$dir/$log"
  return "${PIPESTATUS[0]}"
}

# Line tables only (-g1) in the normal and ASan builds: enough for every stack trace a
# failure prints (file:line, inlined frames), and a third less compile time than -g for
# the coroutine-heavy files (client_query.cc: 19.7 s -> 12.6 s at -O2). The flags stay
# in build/'s cache, so ./run.sh's build of the same tree keeps them.
mkdir -p build build-asan
start=$SECONDS
if build build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOBP_SANITIZE=OFF \
     "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG"; then
  TIME="build $((SECONDS - start)) s"; start=$SECONDS
  run_tests build test.log || { RESULT[build]="tests FAILED"; failed=1; }
  : "${RESULT[build]:=ok}"
  RESULT[build]+=" ($TIME, tests $((SECONDS - start)) s)"
else
  RESULT[build]="build FAILED"; failed=1
fi

# alloc_dealloc_mismatch=0: Asio 1.22 recycles coroutine frames through its own
# thread-local cache, which ASan misreads as a malloc/delete mismatch.
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:print_stacktrace=1:alloc_dealloc_mismatch=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
start=$SECONDS
if build build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DOBP_SANITIZE=ON; then
  TIME="build $((SECONDS - start)) s"; start=$SECONDS
  # The benchmark's smoke run measures nothing under ASan (the normal build runs it). Every
  # mysql-test run is here too: the text-protocol one (546 cases) takes ~180 s on its own.
  run_tests build-asan test.log -LE '^bench$' \
    || { RESULT[build-asan]="tests FAILED"; failed=1; }
  : "${RESULT[build-asan]:=ok}"
  RESULT[build-asan]+=" ($TIME, tests $((SECONDS - start)) s)"
else
  RESULT[build-asan]="build FAILED"; failed=1
fi

# ThreadSanitizer. halt_on_error=0: a run goes on after a report, and every report
# still fails its test: gtest binaries (and obpctl) exit with `exitcode`, and
# proxyd's log is checked for "ThreadSanitizer" at teardown (tests/lib/sandbox.py).
# tests/tsan.supp names what is suppressed in uninstrumented libraries, and why.
export TSAN_OPTIONS="halt_on_error=0:exitcode=66:second_deadlock_stack=1:suppressions=$ROOT/tests/tsan.supp"
TSAN_INTEGRATION='^integration\.(test_admin_show|test_drain|test_kill|test_kill_storm|test_pool|test_audit|test_ctrl_c|test_session_handle|test_reload|test_history)$'
mkdir -p build-tsan
rm -f build-tsan/test-*.log
start=$SECONDS
# -O1 and line tables only: what TSan's reports need, and the cheapest to compile.
if CC=clang-14 CXX=clang++-14 build build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
     "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only -DNDEBUG" \
     -DOBP_TSAN=ON -DOBP_THREAD_SAFETY=ON; then
  TSAN_TIME="build $((SECONDS - start)) s"
  start=$SECONDS
  run_tests build-tsan test-unit-fleet.log --no-tests=error -L '^(unit|fleet)$' || RESULT[build-tsan]="tests FAILED"
  run_tests build-tsan test-integration.log --no-tests=error -R "$TSAN_INTEGRATION" || RESULT[build-tsan]="tests FAILED"
  TSAN_TIME+=", tests $((SECONDS - start)) s"
  [[ -n ${RESULT[build-tsan]:-} ]] && failed=1
  : "${RESULT[build-tsan]:=ok}"
  RESULT[build-tsan]+=" ($TSAN_TIME)"
else
  RESULT[build-tsan]="build FAILED"; failed=1
fi

# The fuzz targets (tests/fuzz), instrumented with libFuzzer + ASan + UBSan, each run
# for a bounded time on a copy of its seed corpus. A crash fails the run; its
# reproducer stays in build-fuzz/fuzz/<target>.crashes/ and is named in the output.
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
fuzz_start=$SECONDS
mkdir -p build-fuzz
if CC=clang-14 CXX=clang++-14 build build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOBP_FUZZ=ON; then
  echo "=== fuzz build-fuzz (${FUZZ_SECONDS} s per target)"
  tests/fuzz/run.sh build-fuzz "$FUZZ_SECONDS" 2>&1 | tee "$ROOT/build-fuzz/test.log"
  if [[ ${PIPESTATUS[0]} -eq 0 ]]; then
    RESULT[build-fuzz]=ok
  else
    RESULT[build-fuzz]="fuzzing FAILED"; failed=1
  fi
else
  RESULT[build-fuzz]="build FAILED"; failed=1
fi
RESULT[build-fuzz]+=" ($((SECONDS - fuzz_start)) s with the build)"

echo
echo "================ summary ================"
for log in build/test.log build-asan/test.log \
           build-tsan/test-unit-fleet.log build-tsan/test-integration.log; do
  dir=${log%%/*}
  if [[ $dir != "${last:-}" ]]; then echo "--- $dir: ${RESULT[$dir]}"; last=$dir; fi
  if [[ -f $log ]]; then
    # ctest's own summary: from the "% tests passed" line to the end.
    sed -n '/% tests passed/,$p' "$log"
  fi
done
echo "--- build-fuzz: ${RESULT[build-fuzz]}"
[[ -f build-fuzz/test.log ]] && grep -E '^(fuzz |  )' build-fuzz/test.log
exit "$failed"
