#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and fuzzes each for FUZZ_SECONDS (default
# 45) starting from the committed seed corpus; replays tests/fuzz/regressions first. Any
# crash, leak, timeout or sanitizer report fails the script. The evolved corpus stays in
# build-fuzz/corpus-*, never in the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-45}
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFTRACE_FUZZ=ON -DFTRACE_SANITIZE=ON >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target thread_file_fuzzer chunk_payload_fuzzer event_codec_fuzzer
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
for t in thread_file chunk_payload event_codec; do
  work=build-fuzz/corpus-$t
  mkdir -p "$work"
  regressions=(tests/fuzz/regressions/${t}-*)
  if [[ -e ${regressions[0]} ]]; then
    ./build-fuzz/bin/${t}_fuzzer "${regressions[@]}" >/dev/null 2>&1 ||
      { echo "fuzz: $t fails on a known regression input" >&2; ./build-fuzz/bin/${t}_fuzzer "${regressions[@]}"; exit 1; }
  fi
  log=build-fuzz/fuzz-$t.log
  if ! ./build-fuzz/bin/${t}_fuzzer -max_total_time="$secs" -max_len=65536 -timeout=10 \
        -rss_limit_mb=2048 -artifact_prefix=build-fuzz/crash-$t- -print_final_stats=1 \
        "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "fuzz: $t found a problem (input saved as build-fuzz/crash-$t-*)" >&2
    exit 1
  fi
  echo "fuzz: $t: $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') executions in ${secs} s, no findings"
done
