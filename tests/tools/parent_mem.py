#!/usr/bin/python3
# Licensed under the Apache License, Version 2.0.
"""Parent memory over graceful restarts (diagnostic, not part of `make check`).

Starts a private MariaDB and one httpd (event MPM) with the benchmark's
configuration (bench/bench.py snippet()), then does N graceful restarts,
waiting for each to finish ("resuming normal operations" in the error log),
and prints the parent's VmRSS, its [heap] mapping's Rss and, every --every
restarts, glibc's mallinfo2() and the thread cache's content (gdb attaches
briefly; needs libc6-dbg).

  --variant full    the bench configuration
  --variant keys2   the module with two keys only
  --variant nomod   the bench configuration without the module's locations
  --valgrind ARGS   run httpd under valgrind with these args, in the
                    foreground (with memcheck --vgdb=yes, --vgdb-at runs
                    `leak_check full reachable increased` between restarts)

"inuse_net" is mallinfo2's in-use bytes less the chunks the thread cache
holds: a leak makes it grow with the restarts; the tcache filling up (at
most 7 chunks of each of 64 sizes, about 235 KiB) makes "inuse" and the
heap's RSS creep while it stays flat.

  tests/tools/parent_mem.py -n 60 --every 10
  tests/tools/parent_mem.py -n 30 --env GLIBC_TUNABLES=glibc.malloc.tcache_count=0
  tests/tools/parent_mem.py -n 25 --every 0 --vgdb-at 5,25 --valgrind \
      "--tool=memcheck --vgdb=yes --child-silent-after-fork=yes --log-file=/tmp/vg-%p.log"
"""
import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(TOP / "bench"))
sys.path.insert(0, str(TOP / "tests" / "integration"))
import harness  # noqa: E402
import bench  # noqa: E402

GEN = TOP / "tests" / "gen" / "parent-mem"

KEYS2 = """LogLevel warn
AuthJWTThrottle Off
<Location /b/hs256>
    AuthType JWT
    AuthName bench
    AuthJWTSignatureAlgorithm HS256
    AuthJWTSignatureSharedSecret "@HS256_B64@"
    Require valid-user
</Location>
<Location /b/rs256>
    AuthType JWT
    AuthName bench
    AuthJWTSignatureAlgorithm RS256
    AuthJWTSignaturePublicKeyFile "@KEYS@/rsa-pub.pem"
    Require valid-user
</Location>
"""


def nomod_snippet():
    """The bench snippet with every block that needs the module dropped."""
    out, block, skip = [], [], False
    for line in bench.snippet().splitlines():
        if line.startswith("<Location"):
            block, skip = [line], False
            continue
        if block:
            block.append(line)
            if "AuthJWT" in line or "AuthType JWT" in line or "jwt-" in line:
                skip = True
            if line.startswith("</Location>"):
                if not skip:
                    out += block
                block = []
            continue
        if "AuthJWT" not in line:
            out.append(line)
    return "\n".join(out) + "\n"


def smaps(pid):
    heap, anon = 0, 0
    cur = None
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            cur = line.split()[-1] if len(line.split()) >= 6 else ""
            continue
        if line.startswith("Rss:") and cur == "[heap]":
            heap += int(line.split()[1])
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Anonymous:"):
            anon = int(line.split()[1])
    return heap, anon


GDB_MALLOC = """python
import gdb
t = gdb.parse_and_eval("tcache")
n = b = 0
if int(t) != 0:
    for i in range(64):
        c = int(t["counts"][i])
        n += c
        b += c * (32 + 16 * i)
mi = gdb.parse_and_eval("mallinfo2()")
print("MALLOC %d %d %d %d" % (int(mi["arena"]), int(mi["uordblks"]), n, b))
end
"""


def malloc_totals(pid):
    """gdb (needs libc6-dbg): mallinfo2() of the main arena, and what the
    thread cache (tcache) holds: freed chunks that mallinfo counts as in use.
    Returns (arena bytes, in-use bytes, tcache chunks, tcache bytes)."""
    script = GEN / "malloc.gdb"
    script.write_text(GDB_MALLOC)
    p = harness.run(["gdb", "-p", str(pid), "-batch", "-nx", "-x", str(script)],
                    check=False)
    m = re.search(r"^MALLOC (\d+) (\d+) (\d+) (\d+)$", p.stdout, re.M)
    return tuple(int(x) for x in m.groups()) if m else (None,) * 4


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--restarts", type=int, default=60)
    ap.add_argument("--every", type=int, default=5,
                    help="malloc_stats via gdb every this many restarts (0: never)")
    ap.add_argument("--variant", choices=["full", "keys2", "nomod"], default="full")
    ap.add_argument("--valgrind", default="", help="valgrind arguments")
    ap.add_argument("--env", action="append", default=[],
                    help="NAME=VALUE for httpd (e.g. MALLOC_ARENA_MAX=1)")
    ap.add_argument("--hold", type=float, default=0,
                    help="after the last restart, wait this long before stopping "
                         "(seconds; for vgdb)")
    ap.add_argument("--vgdb-at", default="",
                    help="restart numbers (comma-separated) after which to run "
                         "`vgdb leak_check full reachable increased` on the "
                         "parent (memcheck with --vgdb=yes); output in "
                         "tests/gen/parent-mem/leak-N.txt")
    ap.add_argument("--json", help="write the series here")
    args = ap.parse_args()

    GEN.mkdir(parents=True, exist_ok=True)
    sockdir = harness.SockDir()
    mariadb = harness.MariaDB(sockdir, base=GEN / "mariadb")
    keys = harness.Keys(base=GEN / "keys").generate()
    mariadb.install()
    mariadb.start()
    mariadb.setup()
    site = harness.Site(base=GEN / "site").build()
    harness.MPM_CONF["event"] = bench.MPM_CONF["event"]
    httpd = harness.Httpd("pmem", sockdir, mariadb.socket, site, keys,
                          mpm="event", base=GEN / "httpd", loglevel="warn",
                          with_module=args.variant != "nomod")
    orig = httpd.load_modules
    httpd.load_modules = lambda: orig() + "\n" + "\n".join(
        f'LoadModule {m}_module "{httpd.libexec}/mod_{m}.so"'
        for m in bench.EXTRA_MODULES)
    vg = shlex.split(args.valgrind)
    for kv in args.env:
        k, v = kv.split("=", 1)
        os.environ[k] = v
    snippet = {"full": bench.snippet, "keys2": lambda: KEYS2,
               "nomod": nomod_snippet}[args.variant]()
    errlog = httpd.logs / "error_log"
    if errlog.exists():
        errlog.unlink()
    if vg:
        # -DFOREGROUND: valgrind's own process is the parent (a detached
        # daemon would be a fork, which vgdb cannot reach)
        httpd.port = harness.free_port()
        httpd.snippet = snippet
        httpd.render(snippet)
        fg = subprocess.Popen(["valgrind"] + vg + [httpd.binary, "-f", str(httpd.conf),
                                                    "-DFOREGROUND"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
        harness.on_exit(httpd.stop)
        if not httpd._wait_up(300):
            fg.kill()
            raise SystemExit("httpd under valgrind did not start")
    else:
        httpd.start(snippet)
    series = []
    vgdb_at = {int(x) for x in args.vgdb_at.split(",") if x}
    try:
        parent = httpd.pid()
        print(f"parent pid {parent}", flush=True)

        def resumed():
            return errlog.read_text(errors="replace").count("resuming normal operations")

        def sample(i):
            rss = bench.rss_kb(parent)
            heap, anon = smaps(parent)
            row = {"restart": i, "rss_kb": rss, "heap_rss_kb": heap, "anon_kb": anon}
            if args.every and i % args.every == 0:
                arena, inuse, tc_n, tc_b = malloc_totals(parent)
                row.update(arena=arena, inuse=inuse, tcache_chunks=tc_n,
                           tcache_bytes=tc_b,
                           inuse_net=inuse - tc_b if inuse is not None else None)
            series.append(row)
            print(json.dumps(row), flush=True)
            if i in vgdb_at:
                p = harness.run(["vgdb", f"--pid={parent}", "leak_check", "full",
                                 "reachable", "increased"], check=False)
                out = GEN / f"leak-{i}.txt"
                out.write_text(p.stdout + p.stderr)
                summary = [ln for ln in (p.stdout + p.stderr).splitlines()
                           if re.search(r"(definitely|indirectly|possibly) lost:"
                                        r"|still reachable:", ln)]
                print(f"leak_check after {i}: {out}\n  " + "\n  ".join(summary),
                      flush=True)

        time.sleep(2 if not vg else 20)
        sample(0)
        for i in range(1, args.restarts + 1):
            n = resumed()
            harness.run([httpd.binary, "-f", str(httpd.conf), "-k", "graceful"],
                        check=False)
            end = time.time() + (300 if vg else 30)
            while resumed() <= n:
                if time.time() > end:
                    raise SystemExit(f"restart {i} did not complete")
                time.sleep(0.1)
            time.sleep(1.0 if not vg else 5)
            sample(i)
        if args.hold:
            print(f"holding {args.hold}s (parent {parent})", flush=True)
            time.sleep(args.hold)
    finally:
        bad = harness.ErrorLog.crash_lines(errlog.read_text(errors="replace").splitlines())
        if bad:
            print("CRASH LINES:", bad[:5])
        httpd.stop(timeout=120 if vg else 15)
        mariadb.stop()
        sockdir.remove()
    if args.json:
        Path(args.json).write_text(json.dumps(series, indent=1))


if __name__ == "__main__":
    main()
