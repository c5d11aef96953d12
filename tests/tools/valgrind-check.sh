#!/bin/sh
# Scan valgrind memcheck logs (one per process) for memory errors (invalid
# reads/writes/frees, decisions on uninitialised values) anywhere, and for
# definite leaks whose allocation stack passes through the module (httpd and
# its libraries keep process-lifetime allocations that are not ours).
set -eu
dir=${1:-tests/gen/valgrind}
[ -d "$dir" ] || { echo "valgrind-check: no logs in $dir" >&2; exit 1; }
n=$(ls "$dir" | wc -l)
errs="Invalid (read|write|free)|uninitialised|Mismatched free|overlap|Syscall param"
bad=$(grep -lE "$errs" "$dir"/*.log || true)
leaks=""
for f in "$dir"/*.log; do
    # a leak record runs from "definitely lost" to the next blank "==pid== " line
    # (the MySQL client's one-time global init, run inside whichever request
    # opens the process's first connection, is the driver's, not ours)
    if awk '/definitely lost in loss record/ {rec=1; buf=""} rec {buf=buf"\n"$0}
            rec && /^==[0-9]+== $/ {if (buf ~ /ajwt_|mod_auth_jwt/ &&
                buf !~ /pthread_once|apr_dbd_open/) found=1; rec=0}
            END {exit found ? 0 : 1}' "$f"; then
        leaks="$leaks $f"
    fi
done
status=0
for f in $bad; do
    echo "== $f"
    grep -E -A 25 "$errs" "$f" | head -60
    status=1
done
for f in $leaks; do
    echo "== $f (definite leak through the module)"
    grep -A 30 "definitely lost in loss record" "$f" | head -60
    status=1
done
if [ "$status" != 0 ]; then
    echo "valgrind: memory errors in $(echo $bad | wc -w), module leaks in $(echo $leaks | wc -w) of $n process logs"
    exit 1
fi
echo "valgrind: $n process logs, no memory errors, no definite leaks from the module"
