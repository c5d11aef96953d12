#!/usr/bin/python3
# Licensed under the Apache License, Version 2.0.
"""Where a protected request's time goes (`make bench-profile`).

Runs one httpd (event MPM, `-X`: one process) under callgrind, which counts
instructions: the count is the same from run to run whatever else the
machine does, unlike the wall-clock numbers of `make bench`. The same
requests (a 512-byte static file, over one keep-alive connection) go to
an unprotected location and to protected ones, one httpd run per
configuration; instructions are collected only while httpd reads and
processes a request (--toggle-collect), so each run's total divided by its
requests is the server's instructions per request (the first requests'
one-time work included, a small share of a few hundred). The difference to
the unprotected file is then split by shared object (the module, OpenSSL,
APR, httpd itself and its other modules, libc) and by function.

Writes bench/results/profile.md (and prints it).
"""
import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
GEN = TOP / "bench" / "gen" / "profile"
RESULTS = TOP / "bench" / "results"
sys.path.insert(0, str(TOP / "tests" / "integration"))
import harness  # noqa: E402

PHASES = [
    # (key, label, location directives or None for no authentication)
    ("none", "static file, no auth", None),
    ("basic-apr1", "Basic, htpasswd apr1", """AuthType Basic
    AuthName bench
    AuthBasicProvider file
    AuthUserFile "@GEN@/htpasswd"
    Require valid-user"""),
    ("hs256", "JWT HS256", """AuthType JWT
    AuthName bench
    AuthJWTSignatureAlgorithm HS256
    AuthJWTSignatureSharedSecret "@HS256_B64@"
    Require valid-user"""),
    ("es256", "JWT ES256", """AuthType JWT
    AuthName bench
    AuthJWTSignatureAlgorithm ES256
    AuthJWTSignaturePublicKeyFile "@KEYS@/ec-pub.pem"
    Require valid-user"""),
    ("es256-cache", "JWT ES256, verify cache", """AuthType JWT
    AuthName bench
    AuthJWTSignatureAlgorithm ES256
    AuthJWTSignaturePublicKeyFile "@KEYS@/ec-pub.pem"
    AuthJWTVerifyCache On
    Require valid-user"""),
]

# shared objects by group, for the split of the difference
GROUPS = [
    ("the module (mod_auth_jwt.so)", r"mod_auth_jwt"),
    ("OpenSSL (libcrypto)", r"libcrypto|libssl"),
    ("APR, APR-util", r"libapr"),
    ("httpd core (apache2)", r"/apache2$|/httpd$"),
    ("mod_authz_core, mod_authn_core, mod_auth_basic, mod_authn_file",
     r"mod_auth[nz]?_(core|basic|file)"),
    ("other httpd modules", r"/modules/mod_"),
    ("libc", r"libc\.so|libc-"),
    ("kernel entry, loader, other", r"."),
]


def snippet():
    out = ['AuthJWTIss "@ISS@"', 'AuthJWTAud "@AUD@"', "AuthJWTThrottle Off"]
    for key, _, conf in PHASES:
        body = conf or "Require all granted"
        out.append(f"<Location /p/{key}>\n    {body}\n</Location>")
    return "\n".join(out) + "\n"


# the module's hooks that run on a protected request
HOOKS = ("ajwt_authn_preflight", "ajwt_authn_check", "ajwt_authn_authz_forbid",
         "ajwt_authn_fixups", "ajwt_authn_preflight_handler",
         "ajwt_endpoint_handler", "ajwt_authn_note_failure")


def annotate(path):
    """Self instructions by (object, function) of one callgrind dump, and
    the program total."""
    out = subprocess.run(["callgrind_annotate", "--threshold=100",
                          "--show-percs=no", str(path)],
                         capture_output=True, text=True, check=True).stdout
    total = 0
    fns = collections.Counter()
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+)\s+(?:\(\s*[\d.]+%\)\s+)?(\S.*?)\s+\[(.+)\]\s*$", line)
        if m:
            fns[(m.group(3), m.group(2))] += int(m.group(1).replace(",", ""))
            continue
        m = re.match(r"\s*([\d,]+)\s+(?:\(\s*[\d.]+%\)\s+)?PROGRAM TOTALS", line)
        if m:
            total = int(m.group(1).replace(",", ""))
    return total, fns


def hooks_inclusive(path):
    """The module's request hooks with everything they call: callgrind
    lists each function once or twice (with and without its object), the
    same inclusive count; take each hook once."""
    out = subprocess.run(["callgrind_annotate", "--threshold=100",
                          "--show-percs=no", "--inclusive=yes", str(path)],
                         capture_output=True, text=True, check=True).stdout
    best = {}
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\S*?:(\w+)(\s|$)", line)
        if m and m.group(2) in HOOKS:
            v = int(m.group(1).replace(",", ""))
            best[m.group(2)] = max(best.get(m.group(2), 0), v)
    return sum(best.values())


def group_of(obj):
    for name, rx in GROUPS:
        if re.search(rx, obj):
            return name
    return GROUPS[-1][0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=2000, help="requests per phase")
    args = ap.parse_args()
    for tool in ("valgrind", "callgrind_annotate"):
        if not shutil.which(tool):
            sys.exit(f"bench-profile: {tool} is missing (apt-get install valgrind)")
    import requests
    shutil.rmtree(GEN, ignore_errors=True)
    GEN.mkdir(parents=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    keys = harness.Keys(base=GEN / "keys").generate()
    forge = harness.Forge(keys)
    site = harness.Site(base=GEN / "site").build()
    (GEN / "htpasswd").write_text("alice:" + harness.htpasswd_hash("alice-pw", "m") + "\n")
    for key, _, _ in PHASES:
        d = site.docroot / "p" / key
        d.mkdir(parents=True, exist_ok=True)
        (d / "static.txt").write_text("x" * 512 + "\n")
    sockdir = harness.SockDir()
    rows = []
    try:
        for key, label, _ in PHASES:
            per, fns, hooks = measure(key, site, keys, forge, sockdir, args.n)
            rows.append((key, label, per, fns, hooks))
            print(f"bench-profile: {key}: {per:,.0f} instructions/request", flush=True)
    finally:
        sockdir.remove()
    report(rows, args.n)


def measure(key, site, keys, forge, sockdir, n):
    """One httpd -X under callgrind for one configuration: instructions
    are collected only while a request is read and processed, and dumped
    when httpd exits."""
    import base64
    import requests
    httpd = harness.Httpd(f"profile-{key}", sockdir, None, site, keys,
                          base=GEN / f"httpd-{key}",
                          modules_exclude=("dbd", "authn_dbd"))
    httpd.port = harness.free_port()
    httpd.render(harness.subst(snippet(), {"GEN": str(GEN)}))
    # no CGI here: drop mod_cgid and its daemon (a second process)
    conf = httpd.conf.read_text()
    conf = re.sub(r"(?m)^(LoadModule cgid_module|ScriptSock).*$", "", conf)
    httpd.conf.write_text(conf)
    # httpd started as root opens the profile at exit as its User
    out = GEN / f"callgrind.{key}"
    out.write_text("")
    os.chmod(out, 0o666)
    user = re.search(r"(?m)^User (\S+)", conf)
    if user:
        shutil.chown(out, user=user.group(1))
    proc = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
         "--collect-atstart=no", "--toggle-collect=ap_read_request",
         "--toggle-collect=ap_process_async_request",
         "--toggle-collect=ap_process_request",
         httpd.binary, "-X", "-f", str(httpd.conf)],
        stdout=subprocess.DEVNULL, stderr=open(GEN / f"valgrind.{key}.log", "w"),
        start_new_session=True)
    try:
        deadline = time.time() + 120
        while not harness.port_answers(httpd.port):
            if proc.poll() is not None or time.time() > deadline:
                sys.exit(f"bench-profile: httpd did not start (see "
                         f"{GEN}/valgrind.{key}.log and {httpd.logs}/error_log)")
            time.sleep(0.5)
        if key == "basic-apr1":
            h = {"Authorization": "Basic " + base64.b64encode(b"alice:alice-pw").decode()}
        elif key == "none":
            h = {}
        else:
            alg = "HS256" if key.startswith("hs") else "ES256"
            h = {"Authorization": "Bearer " + forge.token(alg=alg, lifetime=3600)}
        s = requests.Session()
        url = httpd.url(f"/p/{key}/static.txt")
        for _ in range(n):
            r = s.get(url, headers=h, timeout=60)
            assert r.status_code == 200, (key, r.status_code)
        s.close()
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(60)
    total, fns = annotate(out)
    return total / n, fns, hooks_inclusive(out) / n


def report(rows, n):
    base = rows[0]
    md = ["# Where a protected request's time goes (callgrind)", "",
          "Made by `make bench-profile` (bench/profile.py): httpd -X (event MPM, one "
          f"process) under callgrind, {n} requests per configuration for a 512-byte "
          "static file over one keep-alive connection. Instructions are exact and "
          "repeatable, but not time: the kernel's share of a request (the network, "
          "the event loop) is not counted, and OpenSSL's SHA and ECDSA code does "
          "far more per instruction than the string handling around it.", "",
          "\"in the module's hooks\" counts the module's request hooks with "
          "everything they call (OpenSSL, APR, libc); the rest of the added "
          "instructions is httpd's own work for a protected location (running "
          "the authentication and authorization phases, the environment of "
          "the request) and reading the longer request.", "",
          "| configuration | instructions/request | added to the unprotected file "
          "| in the module's hooks |",
          "|---|---:|---:|---:|"]
    for key, label, per, _, hooks in rows:
        add = "—" if key == base[0] else f"+{per - base[2]:,.0f}"
        hk = f"{hooks:,.0f}" if hooks else "—"
        md.append(f"| {label} | {per:,.0f} | {add} | {hk} |")
    for key, label, per, fns, _ in rows[1:]:
        by_group = collections.Counter()
        by_fn = collections.Counter()
        keys = set(fns) | set(base[3])
        for k in keys:
            d = (fns.get(k, 0) - base[3].get(k, 0)) / n
            by_group[group_of(k[0])] += d
            by_fn[(group_of(k[0]), k[1])] += d
        md += ["", f"## {label}: the {per - base[2]:,.0f} instructions added, by part", "",
               "| part | instructions/request |", "|---|---:|"]
        for g, d in sorted(by_group.items(), key=lambda x: -x[1]):
            if abs(d) >= 50:
                md.append(f"| {g} | {d:+,.0f} |")
        md += ["", "Largest functions of the difference:", "",
               "| function | part | instructions/request |", "|---|---|---:|"]
        for (g, f), d in by_fn.most_common(12):
            md.append(f"| `{f}` | {g.split(' (')[0]} | {d:+,.0f} |")
    text = "\n".join(md) + "\n"
    (RESULTS / "profile.md").write_text(text)
    print()
    print(text)


if __name__ == "__main__":
    main()
