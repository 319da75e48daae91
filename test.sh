#!/usr/bin/env bash
# Builds everything twice (normal, and ASan+UBSan) and runs every test in both, then
# builds the libFuzzer targets (build-fuzz, clang) and runs each for FUZZ_SECONDS
# (default 20). Exit status is non-zero if any build, test or fuzz target failed.
# Logs go to build*/test.log and build-fuzz/fuzz/.
set -uo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)

./scripts/install-deps.sh || exit 1

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

run_tests() {  # run_tests DIR
  local dir=$1
  echo "=== ctest $dir"
  ctest --test-dir "$ROOT/$dir" -j2 --output-on-failure --timeout 900 2>&1 | tee "$ROOT/$dir/test.log"
  return "${PIPESTATUS[0]}"
}

mkdir -p build build-asan
if build build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOBP_SANITIZE=OFF; then
  run_tests build || { RESULT[build]="tests FAILED"; failed=1; }
  : "${RESULT[build]:=ok}"
else
  RESULT[build]="build FAILED"; failed=1
fi

# alloc_dealloc_mismatch=0: Asio 1.22 recycles coroutine frames through its own
# thread-local cache, which ASan misreads as a malloc/delete mismatch.
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:print_stacktrace=1:alloc_dealloc_mismatch=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
if build build-asan -DCMAKE_BUILD_TYPE=Debug -DOBP_SANITIZE=ON; then
  run_tests build-asan || { RESULT[build-asan]="tests FAILED"; failed=1; }
  : "${RESULT[build-asan]:=ok}"
else
  RESULT[build-asan]="build FAILED"; failed=1
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
for dir in build build-asan; do
  echo "--- $dir: ${RESULT[$dir]}"
  if [[ -f $dir/test.log ]]; then
    # ctest's own summary: from the "% tests passed" line to the end.
    sed -n '/% tests passed/,$p' "$dir/test.log"
  fi
done
echo "--- build-fuzz: ${RESULT[build-fuzz]}"
[[ -f build-fuzz/test.log ]] && grep -E '^(fuzz |  )' build-fuzz/test.log
exit "$failed"
