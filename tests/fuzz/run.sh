#!/bin/sh
# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License. You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Run the fuzz targets built in tests/gen/fuzz/bin (see tests/fuzz/README.md).
#   run.sh fuzz  [seconds]  both targets in parallel, until stopped or for
#                           seconds each; new inputs go to tests/gen/fuzz-corpus
#   run.sh smoke [seconds]  both targets on the seed corpus only (nothing is
#                           written into it), seconds in total (default 60)
# Crash, leak and timeout inputs go to tests/gen/fuzz/. Exit status 1 when
# any target found something; one summary line per target and in total.
set -u
cd "$(dirname "$0")/../.."
MODE=${1:-smoke}
LABEL=fuzz
[ "$MODE" = smoke ] && LABEL=fuzz-smoke
BIN=tests/gen/fuzz/bin
OUT=tests/gen/fuzz
TARGETS="verify json"
mkdir -p "$OUT"

case "$MODE" in
fuzz)
    TIME=${2:-}
    ;;
smoke)
    TIME=${2:-60} # wall clock: the targets run side by side
    ;;
*)
    echo "usage: $0 fuzz|smoke [seconds]" >&2
    exit 2
    ;;
esac

# UBSan aborts (the code is also built -fno-sanitize-recover=undefined);
# LeakSanitizer on, also per input (libFuzzer -detect_leaks=1).
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:allocator_may_return_null=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

pids=""
for t in $TARGETS; do
    log="$OUT/$MODE-$t.log"
    set -- -artifact_prefix="$OUT/$t-" -dict=tests/fuzz/jwt.dict \
        -max_len=4096 -timeout=10 -rss_limit_mb=2048 -detect_leaks=1 \
        -print_final_stats=1
    if [ -n "$TIME" ]; then
        set -- "$@" -max_total_time="$TIME"
    fi
    if [ "$MODE" = fuzz ]; then
        mkdir -p "tests/gen/fuzz-corpus/$t"
        # The first directory receives new inputs; the seeds stay untouched.
        set -- "$@" "tests/gen/fuzz-corpus/$t" "tests/fuzz/corpus/$t"
    else
        # Smoke: mutate from the seeds, write nothing back.
        mkdir -p "$OUT/smoke-corpus-$t"
        rm -f "$OUT/smoke-corpus-$t"/*
        set -- "$@" "$OUT/smoke-corpus-$t" "tests/fuzz/corpus/$t"
    fi
    "$BIN/fuzz_$t" "$@" >"$log" 2>&1 &
    pids="$pids $!"
done

rc=0
i=0
for pid in $pids; do
    i=$((i + 1))
    t=$(echo $TARGETS | cut -d' ' -f$i)
    log="$OUT/$MODE-$t.log"
    if wait "$pid"; then
        status=ok
    else
        status=FAILED
        rc=1
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    corp=$(grep -o 'corp: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    rate=$(grep -o 'exec/s: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    echo "$LABEL fuzz_$t: $status runs=${runs:-?} secs=${secs:-?} exec/s=${rate:-?} cov=${cov:-?} ft=${ft:-?} corpus=${corp:-?} log=$log"
    if [ "$status" = FAILED ]; then
        grep -E 'ERROR: |SUMMARY: |runtime error|FUZZ INVARIANT|Test unit written' "$log" | head -8 | sed 's/^/    /'
    fi
done
if [ $rc = 0 ]; then
    echo "$LABEL: OK (no crash, leak or sanitizer report)"
else
    echo "$LABEL: FAILED (inputs in $OUT/, logs above)"
fi
exit $rc
