#!/bin/sh
# Scan valgrind memcheck logs (one per process) for memory errors: invalid
# reads/writes/frees and decisions on uninitialised values. Leaks are not
# counted (httpd frees its pools at exit; the suite runs with --leak-check=no).
set -eu
dir=${1:-tests/gen/valgrind}
[ -d "$dir" ] || { echo "valgrind-check: no logs in $dir" >&2; exit 1; }
n=$(ls "$dir" | wc -l)
bad=$(grep -lE "Invalid (read|write|free)|uninitialised|Mismatched free|overlap|Syscall param" "$dir"/*.log || true)
if [ -n "$bad" ]; then
    for f in $bad; do
        echo "== $f"
        grep -E -A 25 "Invalid (read|write|free)|uninitialised|Mismatched free|overlap|Syscall param" "$f" | head -60
    done
    echo "valgrind: memory errors in $(echo "$bad" | wc -l) of $n process logs"
    exit 1
fi
echo "valgrind: $n process logs, no memory errors"
