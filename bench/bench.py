#!/usr/bin/python3
# Licensed under the Apache License, Version 2.0.
"""The benchmark suite (`make bench`, `make bench QUICK=1`).

Starts a private MariaDB and, for each MPM (event, prefork), one private
httpd on loopback whose locations hold every configuration under test, then
drives them with wrk. The machine is noisy, so the configurations alternate
within each round (the order rotates from round to round), every
configuration runs in every round, and the report gives medians and the
spread. Writes bench/results/: results.json (every run), summary.md (the
tables), chart.png (gnuplot).

Measured per configuration: requests/s, latency p50/p99, non-2xx answers,
and the server's CPU time per request (utime+stime of every httpd process
over the run, from /proc), next to the bare signature verification cost
that `openssl speed` reports on the same machine. Then memory: resident
memory of the httpd processes before and after MEM_REQUESTS protected
requests and after GRACEFUL graceful restarts.
"""
import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
BENCH = TOP / "bench"
GEN = BENCH / "gen"
RESULTS = BENCH / "results"
sys.path.insert(0, str(TOP / "tests" / "integration"))
import harness  # noqa: E402

MODES = {
    # seconds per run, rounds, protected requests for the memory check,
    # graceful restarts
    "quick": dict(dur=1, rounds=2, mem_requests=20000, graceful=10),
    "full": dict(dur=5, rounds=5, mem_requests=200000, graceful=20),
}

MPM_CONF = {
    "event": """\
<IfModule mpm_event_module>
    StartServers 2
    ServerLimit 6
    ThreadsPerChild 25
    MinSpareThreads 25
    MaxSpareThreads 100
    MaxRequestWorkers 150
    MaxConnectionsPerChild 0
</IfModule>
ScriptSock "@SOCKDIR@/cgid-@NAME@.sock"
""",
    # every process is started up front and none is reaped during a run:
    # their CPU time is read from /proc before and after each run
    "prefork": """\
<IfModule mpm_prefork_module>
    StartServers 72
    MinSpareServers 72
    MaxSpareServers 100
    ServerLimit 100
    MaxRequestWorkers 100
    MaxConnectionsPerChild 0
</IfModule>
""",
}

EXTRA_MODULES = ["request", "session", "session_cookie", "session_crypto",
                 "auth_form"]

JWT_LOCATIONS = [
    # (name, algorithm, key directive)
    ("hs256", "HS256", 'AuthJWTSignatureSharedSecret "@HS256_B64@"'),
    ("rs256", "RS256", 'AuthJWTSignaturePublicKeyFile "@KEYS@/rsa-pub.pem"'),
    ("ps256", "PS256", 'AuthJWTSignaturePublicKeyFile "@KEYS@/rsa-pub.pem"'),
    ("es256", "ES256", 'AuthJWTSignaturePublicKeyFile "@KEYS@/ec-pub.pem"'),
    ("eddsa", "EdDSA", 'AuthJWTSignaturePublicKeyFile "@KEYS@/ed-pub.pem"'),
]

FORM_SESSION = """\
    Session On
    SessionCookieName bench_session path=/;httponly
    SessionCryptoPassphrase "bench-session-secret"
"""


def snippet():
    out = ["LogLevel warn",
           "AuthJWTThrottle Off",
           'AuthJWTIss "@ISS@"',
           'AuthJWTAud "@AUD@"',
           "DBDMin 1", "DBDKeep 8", "DBDMax 25",
           "<Location /b/none>\n    Require all granted\n</Location>"]
    for name, alg, key in JWT_LOCATIONS:
        for suffix, cache in (("", "Off"), ("-cache", "On")):
            out.append(f"""<Location /b/{name}{suffix}>
    AuthType JWT
    AuthName bench
    AuthJWTSignatureAlgorithm {alg}
    {key}
    AuthJWTVerifyCache {cache}
    Require valid-user
</Location>""")
    out.append("""<Location /b/basic-file>
    AuthType Basic
    AuthName bench
    AuthBasicProvider file
    AuthUserFile "@HTPASSWD@"
    Require valid-user
</Location>
<Location /b/basic-dbd>
    AuthType Basic
    AuthName bench
    AuthBasicProvider dbd
    AuthDBDUserPWQuery "SELECT password FROM users WHERE username = %s"
    Require valid-user
</Location>
<Location /b/form>
    AuthType form
    AuthName bench
    AuthFormProvider file
    AuthUserFile "@HTPASSWD@"
""" + FORM_SESSION + """    Require valid-user
</Location>
<Location /formlogin>
    SetHandler form-login-handler
    AuthType form
    AuthName bench
    AuthFormProvider file
    AuthUserFile "@HTPASSWD@"
    AuthFormLoginSuccessLocation /b/form/static.txt
""" + FORM_SESSION + """</Location>
<Location /auth>
    AuthJWTSignatureAlgorithm ES256
    AuthJWTSignaturePrivateKeyFile "@KEYS@/ec.pem"
</Location>
<Location /auth/login>
    SetHandler jwt-login-handler
    AuthJWTProvider file
    AuthUserFile "@HTPASSWD@"
</Location>
<Location /auth/refresh>
    SetHandler jwt-refresh-handler
</Location>""")
    return "\n".join(out) + "\n"


class Scenario:
    def __init__(self, key, group, label, path, conns=16, headers=(),
                 post=None, expect=200, baseline=None):
        self.key, self.group, self.label, self.path = key, group, label, path
        self.conns, self.headers, self.post = conns, list(headers), post
        self.expect, self.baseline = expect, baseline


def basic(user, pw):
    import base64
    return "Authorization: Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()


def scenarios(tokens, form_cookie):
    s = [Scenario("static-none", "static", "static file, no auth",
                  "/b/none/static.txt")]
    for name, alg, _ in JWT_LOCATIONS:
        s.append(Scenario(f"static-{name}", "static", f"JWT {alg}",
                          f"/b/{name}/static.txt",
                          headers=[f"Authorization: Bearer {tokens[name]}"],
                          baseline="static-none"))
    for name, alg, _ in JWT_LOCATIONS:
        if name == "hs256":
            continue
        s.append(Scenario(f"static-{name}-cache", "static",
                          f"JWT {alg}, verify cache",
                          f"/b/{name}-cache/static.txt",
                          headers=[f"Authorization: Bearer {tokens[name]}"],
                          baseline="static-none"))
    s += [
        Scenario("static-reject-es256", "static", "JWT ES256, bad signature (401)",
                 "/b/es256/static.txt", expect=401, baseline="static-none",
                 headers=[f"Authorization: Bearer {tokens['es256-bad']}"]),
        Scenario("static-basic-bcrypt", "static", "Basic, htpasswd bcrypt",
                 "/b/basic-file/static.txt", headers=[basic("alice", "alice-pw")],
                 baseline="static-none"),
        Scenario("static-basic-apr1", "static", "Basic, htpasswd apr1",
                 "/b/basic-file/static.txt", headers=[basic("bob", "bob-pw")],
                 baseline="static-none"),
        Scenario("static-basic-dbd", "static", "Basic, mod_authn_dbd (apr1)",
                 "/b/basic-dbd/static.txt", headers=[basic("dave", "dave-pw")],
                 baseline="static-none"),
        Scenario("static-form", "static", "mod_auth_form, crypto session (apr1)",
                 "/b/form/static.txt", headers=[f"Cookie: {form_cookie}"],
                 baseline="static-none"),
        Scenario("cgi-none", "cgi", "CGI, no auth", "/b/none/env.cgi"),
        Scenario("cgi-hs256", "cgi", "CGI, JWT HS256", "/b/hs256/env.cgi",
                 headers=[f"Authorization: Bearer {tokens['hs256']}"],
                 baseline="cgi-none"),
        Scenario("cgi-es256", "cgi", "CGI, JWT ES256", "/b/es256/env.cgi",
                 headers=[f"Authorization: Bearer {tokens['es256']}"],
                 baseline="cgi-none"),
        Scenario("login-apr1", "endpoint", "login, apr1 user", "/auth/login",
                 post=("login", "username=bob&password=bob-pw"),
                 baseline="static-basic-apr1"),
        Scenario("login-bcrypt", "endpoint", "login, bcrypt user", "/auth/login",
                 post=("login", "username=alice&password=alice-pw"),
                 baseline="static-basic-bcrypt"),
    ]
    for c in (1, 16, 64):
        s.append(Scenario(f"refresh-{c}", "endpoint",
                          f"refresh with rotation, {c} conn.", "/auth/refresh",
                          conns=c, post=("refresh", None)))
    return s


# ---------------------------------------------------------------- /proc

CLK = os.sysconf("SC_CLK_TCK")


def proc_stat(pid):
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    rest = text[text.rindex(")") + 2:].split()
    # fields after the name: state ppid ... utime(12) stime(13)
    return int(rest[1]), int(rest[11]) + int(rest[12])


def server_pids(parent):
    pids = [parent]
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = proc_stat(d)
            if st and st[0] == parent:
                pids.append(int(d))
    return pids


def server_cpu(parent):
    """CPU seconds (user+system) of the parent and its children."""
    total = 0
    for pid in server_pids(parent):
        st = proc_stat(pid)
        if st:
            total += st[1]
    return total / CLK


def rss_kb(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def memory(parent):
    kids = [p for p in server_pids(parent) if p != parent]
    rs = [rss_kb(p) for p in kids]
    return {"parent_kb": rss_kb(parent), "children": len(kids),
            "children_kb_total": sum(rs),
            "children_kb_max": max(rs) if rs else 0}


# ---------------------------------------------------------------- wrk

def run_wrk(base, sc, dur, tokfile=None):
    script = BENCH / ("wrk-post.lua" if sc.post else "wrk-get.lua")
    threads = min(2, sc.conns)
    cmd = ["wrk", f"-t{threads}", f"-c{sc.conns}", f"-d{dur}s", "--latency",
           "--timeout", "5s", "-s", str(script)]
    for h in sc.headers:
        cmd += ["-H", h]
    cmd.append(base + sc.path)
    env = dict(os.environ, WRK_THREADS=str(threads),
               WRK_SUMMARY=str(BENCH / "wrk-get.lua"))
    if sc.post:
        mode, body = sc.post
        cmd += ["--", mode]
        if body:
            env["WRK_BODY"] = body
        if tokfile:
            env["WRK_TOKENS"] = str(tokfile)
    p = subprocess.run(cmd, capture_output=True, text=True, env=env,
                       timeout=dur + 30)
    m = re.search(r"^WRKJSON (.*)$", p.stdout, re.M)
    if p.returncode != 0 or not m:
        raise RuntimeError(f"wrk failed ({p.returncode}): {p.stdout}\n{p.stderr}")
    return json.loads(m.group(1))


# ---------------------------------------------------------------- setup

def verify_costs():
    """Bare verification cost (µs) per algorithm family from openssl speed."""
    p = subprocess.run(["openssl", "speed", "-seconds", "1", "rsa2048",
                        "ecdsap256", "ed25519"], capture_output=True, text=True)
    out = {}
    for key, pat in (("rsa", r"^rsa 2048 bits\s+\S+\s+\S+\s+\S+\s+(\S+)"),
                     ("ecdsa", r"256 bits ecdsa \(nistp256\)\s+\S+\s+\S+\s+\S+\s+(\S+)"),
                     ("eddsa", r"EdDSA \(Ed25519\)\s+\S+\s+\S+\s+\S+\s+(\S+)")):
        m = re.search(pat, p.stdout, re.M)
        if m:
            out[key] = 1e6 / float(m.group(1))
    p = subprocess.run(["openssl", "speed", "-seconds", "1", "-bytes", "512",
                        "-hmac", "sha256"], capture_output=True, text=True)
    m = re.search(r"^hmac\(sha256\)\s+([\d.]+)k", p.stdout, re.M)
    if m:
        out["hmac"] = 512 / (float(m.group(1)) * 1000) * 1e6
    return out


VERIFY_OF = {"hs256": "hmac", "rs256": "rsa", "ps256": "rsa", "es256": "ecdsa",
             "eddsa": "eddsa"}


def micro(keys):
    """bench/gen/micro (make bench-micro): the module's pure per-token work
    against the bare signature check, µs, without Apache around it."""
    exe = GEN / "micro"
    if not exe.exists():
        return {}
    p = subprocess.run([str(exe), str(keys.dir), "0.5"], capture_output=True, text=True)
    out = {}
    for line in p.stdout.splitlines()[1:]:
        f = line.split()
        if len(f) == 4:
            out[f[0]] = {"full_us": float(f[1]), "bare_us": float(f[2]),
                         "added_us": float(f[3])}
    return out


def machine():
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    v = lambda cmd: subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
            "httpd": v(["apache2", "-v"]).splitlines()[0] if shutil.which("apache2") else "?",
            "openssl": v(["openssl", "version"]),
            "wrk": (v(["wrk", "-v"]) or "").splitlines()[0] if shutil.which("wrk") else "?",
            "commit": v(["git", "-C", str(TOP), "describe", "--always", "--dirty"]) or "?",
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def make_tokens(forge):
    t = {}
    for name, alg, _ in JWT_LOCATIONS:
        # valid for the whole run
        t[name] = forge.token(alg=alg, lifetime=3600)
    h, p, s = t["es256"].split(".")
    t["es256-bad"] = f"{h}.{p}.{s[:-8]}AAAAAAAA"
    return t


def form_login(httpd):
    import requests
    r = requests.post(httpd.url("/formlogin"),
                      data={"httpd_username": "bob", "httpd_password": "bob-pw",
                            "httpd_location": "/b/form/static.txt"},
                      allow_redirects=False, timeout=10)
    cookie = r.headers.get("Set-Cookie", "").split(";")[0]
    if not cookie.startswith("bench_session="):
        raise RuntimeError(f"form login failed: {r.status_code} {r.headers}")
    r = requests.get(httpd.url("/b/form/static.txt"), headers={"Cookie": cookie},
                     timeout=10)
    if r.status_code != 200:
        raise RuntimeError(f"form session refused: {r.status_code}")
    return cookie


def refresh_tokens(httpd, n):
    import requests
    out = []
    for _ in range(n):
        r = requests.post(httpd.url("/auth/login"),
                          data={"username": "bob", "password": "bob-pw"}, timeout=10)
        r.raise_for_status()
        out.append(r.json()["refresh_token"])
    return out


def check_once(httpd, sc):
    """One request of the scenario by hand: the configuration works."""
    import requests
    if sc.post:
        return
    h = dict(x.split(": ", 1) for x in sc.headers)
    r = requests.get(httpd.url(sc.path), headers=h, timeout=10)
    if r.status_code != sc.expect:
        raise RuntimeError(f"{sc.key}: {sc.path} answered {r.status_code}, "
                           f"expected {sc.expect}")


# ---------------------------------------------------------------- run

def bench_mpm(mpm, cfg, ctx, log, only=None, perf=False):
    keys, site, mariadb, sockdir, forge = ctx
    harness.MPM_CONF[mpm] = MPM_CONF[mpm]
    httpd = harness.Httpd(f"bench-{mpm}", sockdir, mariadb.socket, site, keys,
                          mpm=mpm, base=GEN / f"httpd-{mpm}", loglevel="warn")
    orig = httpd.load_modules
    httpd.load_modules = lambda: orig() + "\n" + "\n".join(
        f'LoadModule {m}_module "{httpd.libexec}/mod_{m}.so"' for m in EXTRA_MODULES)
    httpd.start(snippet())
    try:
        parent = httpd.pid()
        tokens = make_tokens(forge)
        scs = scenarios(tokens, form_login(httpd))
        if only:
            scs = [sc for sc in scs if sc.key.startswith(tuple(only))
                   or sc.key == "static-none"]
            for sc in scs:
                if sc.baseline and sc.baseline not in {x.key for x in scs}:
                    sc.baseline = None
        for sc in scs:
            check_once(httpd, sc)
        base = httpd.url("")
        tokfile = GEN / f"tokens-{mpm}.txt"
        runs = {sc.key: [] for sc in scs}
        run_wrk(base, scs[0], 1)   # warm up
        for rnd in range(cfg["rounds"]):
            order = scs[rnd % len(scs):] + scs[:rnd % len(scs)]
            if rnd % 2:
                order.reverse()
            for sc in order:
                if sc.post and sc.post[0] == "refresh":
                    tokfile.write_text("\n".join(
                        refresh_tokens(httpd, max(4, sc.conns * 2))) + "\n")
                prof = None
                if perf:
                    prof = subprocess.Popen(
                        ["perf", "record", "--call-graph", os.environ.get("BENCH_CALLGRAPH", "fp"), "-q", "-o",
                         str(GEN / f"perf-{mpm}-{sc.key}.data"), "-p",
                         ",".join(map(str, server_pids(parent)))],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    time.sleep(0.5)
                c0 = server_cpu(parent)
                w = run_wrk(base, sc, cfg["dur"], tokfile)
                c1 = server_cpu(parent)
                if prof:
                    prof.send_signal(2)
                    prof.wait(30)
                w["cpu_s"] = c1 - c0
                w["rps"] = w["requests"] / (w["duration_us"] / 1e6)
                w["cpu_us_per_req"] = (c1 - c0) * 1e6 / max(1, w["requests"])
                runs[sc.key].append(w)
                log(f"  {mpm:7} r{rnd + 1} {sc.key:22} {w['rps']:9.0f} req/s "
                    f"p99 {w['p99_us'] / 1000:7.1f} ms  cpu {w['cpu_us_per_req']:7.1f} µs/req"
                    f"  non-2xx {w['status']}")
        mem = memory_check(httpd, parent, scs, cfg, log)
        errs = httpd.errlog.read_new()
        crashes = harness.ErrorLog.crash_lines(errs)
        bad = harness.ErrorLog.bad_lines(errs, [r"AH00161"])
        return {"scenarios": [vars(sc) for sc in scs], "runs": runs,
                "memory": mem, "crashes": crashes, "log_problems": bad[:20]}
    finally:
        httpd.stop()


def memory_check(httpd, parent, scs, cfg, log):
    protected = [sc for sc in scs if sc.group == "static" and sc.baseline
                 and sc.expect == 200 and "JWT" in sc.label]
    if not protected:
        log("  memory: skipped (--only left no protected scenario)")
        return None
    before = memory(parent)
    done, i = 0, 0
    while done < cfg["mem_requests"]:
        w = run_wrk(httpd.url(""), protected[i % len(protected)], 2)
        done += w["requests"]
        i += 1
    after_requests = memory(parent)
    log(f"  memory: {done} protected requests: {before} -> {after_requests}")
    gens, series = [], []
    for _ in range(cfg["graceful"]):
        old = set(server_pids(parent)) - {parent}
        harness.run([httpd.binary, "-f", str(httpd.conf), "-k", "graceful"],
                    check=False)
        end = time.time() + 15
        while time.time() < end:
            now = set(server_pids(parent)) - {parent}
            if now and not (now & old):
                break
            time.sleep(0.1)
        gens.append(len(now & old))
        series.append(rss_kb(parent))
    time.sleep(1)
    # the new children serve a little before they are measured
    run_wrk(httpd.url(""), protected[0], 1)
    after_graceful = memory(parent)
    log(f"  memory: after {cfg['graceful']} graceful restarts: {after_graceful}")
    log(f"  memory: parent RSS after each graceful restart (KiB): {series}")
    return {"requests": done, "before": before, "after_requests": after_requests,
            "graceful": cfg["graceful"], "after_graceful": after_graceful,
            "parent_series_kb": series}


# ---------------------------------------------------------------- report

def summarize(results):
    rows = []
    for mpm, r in results["mpm"].items():
        med = {}
        for sc in r["scenarios"]:
            ws = r["runs"][sc["key"]]
            rps = [w["rps"] for w in ws]
            med[sc["key"]] = {
                "rps": statistics.median(rps),
                "spread": (max(rps) - min(rps)) / statistics.median(rps) * 100
                if rps and statistics.median(rps) else 0,
                "p50": statistics.median(w["p50_us"] for w in ws) / 1000,
                "p99": statistics.median(w["p99_us"] for w in ws) / 1000,
                "cpu": statistics.median(w["cpu_us_per_req"] for w in ws),
                "non2xx": sum(w["status"] for w in ws),
                "errors": sum(w["connect"] + w["read"] + w["write"] + w["timeout"]
                              for w in ws),
            }
        for sc in r["scenarios"]:
            m = med[sc["key"]]
            b = med.get(sc["baseline"]) if sc["baseline"] else None
            name = sc["key"].split("-")[1] if sc["key"].startswith(("static-", "cgi-")) else ""
            rows.append({
                "mpm": mpm, "key": sc["key"], "label": sc["label"],
                "group": sc["group"], "conns": sc["conns"], **m,
                "ratio": m["rps"] / b["rps"] if b else None,
                "added_cpu": m["cpu"] - b["cpu"] if b else None,
                "baseline": sc["baseline"],
                "verify_us": results["verify_us"].get(VERIFY_OF.get(name, ""))
                if "cache" not in sc["key"] and "reject" not in sc["key"] else None,
            })
    return rows


def table(rows):
    out = ["| MPM | configuration | req/s (median) | spread | vs. baseline | p50 ms | p99 ms "
           "| server CPU µs/req | added µs/req | bare verify µs | non-2xx |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        ratio = f"{r['ratio'] * 100:.0f}% of {r['baseline']}" if r["ratio"] else "baseline" \
            if r["group"] != "endpoint" else "—"
        added = f"{r['added_cpu']:+.1f}" if r["added_cpu"] is not None else "—"
        ver = f"{r['verify_us']:.1f}" if r["verify_us"] else "—"
        out.append(f"| {r['mpm']} | {r['label']} | {r['rps']:.0f} | ±{r['spread'] / 2:.0f}% "
                   f"| {ratio} | {r['p50']:.2f} | {r['p99']:.2f} | {r['cpu']:.1f} "
                   f"| {added} | {ver} | {r['non2xx']} |")
    return "\n".join(out)


def mem_table(results):
    out = ["| MPM | phase | parent RSS KiB | children | children RSS KiB (total) | max child KiB |",
           "|---|---|---:|---:|---:|---:|"]
    series = []
    for mpm, r in results["mpm"].items():
        m = r["memory"]
        if not m:
            continue
        for phase, key in (("warm, before", "before"),
                           (f"after {m['requests']} protected requests", "after_requests"),
                           (f"after {m['graceful']} graceful restarts", "after_graceful")):
            x = m[key]
            out.append(f"| {mpm} | {phase} | {x['parent_kb']} | {x['children']} "
                       f"| {x['children_kb_total']} | {x['children_kb_max']} |")
        if m.get("parent_series_kb"):
            series.append(f"{mpm}: " + " ".join(map(str, m["parent_series_kb"])))
    if series:
        out += ["", "Parent RSS (KiB) after each graceful restart, in order:", ""]
        out += [f"- {x}" for x in series]
    return "\n".join(out)


def chart(rows, path):
    gp = shutil.which("gnuplot")
    if not gp:
        return False
    static = [r for r in rows if r["group"] == "static" and r["ratio"]]
    labels = []
    for r in static:
        if r["label"] not in labels:
            labels.append(r["label"])
    data = GEN / "chart.dat"
    with open(data, "w") as f:
        for lab in labels:
            v = {r["mpm"]: r["ratio"] * 100 for r in static if r["label"] == lab}
            f.write(f"\"{lab}\" {v.get('event', 0):.1f} {v.get('prefork', 0):.1f}\n")
    script = f"""
set terminal pngcairo size 1100,640 font "sans,10" noenhanced
set output "{path}"
set title "Static file behind each authentication: throughput as % of the unprotected file (median)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set yrange [0:110]
set ylabel "% of unprotected req/s"
set xtics rotate by -35 left
set grid ytics
set key top right
set bmargin 10
set rmargin 14
plot "{data}" using 2:xtic(1) title "event" lc rgb "#3366cc", \\
     "" using 3 title "prefork" lc rgb "#dc8a1e"
"""
    p = subprocess.run([gp], input=script, capture_output=True, text=True)
    return p.returncode == 0


def report(results, rows, out):
    m = results["machine"]
    quick = results["mode"] == "quick"
    md = [f"# mod_auth_jwt benchmark ({results['mode']} mode)", "",
          "Made by `make bench` (bench/bench.py). \"vs. baseline\" is the median "
          "throughput as a share of the unprotected file (or CGI, or for logins Basic "
          "with the same hash); \"added µs/req\" is the server CPU per request above "
          "that baseline; \"bare verify µs\" is `openssl speed`'s cost of the "
          "signature check alone.", ""] + ([
          "**Quick mode** (1 s runs, 2 rounds, 20,000 requests and 10 restarts for the "
          "memory check) is a smoke test: its ratios can be off by ±20% on a shared "
          "machine. Compare full runs only.", ""] if quick else []) + [
          f"Machine: {m['cpu']}, {m['cores']} cores, Linux {m['kernel']}; {m['httpd']}; "
          f"{m['openssl']}; {m['wrk']}; module at commit {m.get('commit', '?')}; "
          f"{m['date']}. wrk runs on the same machine as "
          f"the server (2 threads), {results['config']['dur']} s per run, "
          f"{results['config']['rounds']} rounds with the configurations alternating; "
          "the spread is half the range of the rounds around the median. MariaDB runs on "
          "the same machine with a 256 MB buffer pool and innodb_flush_log_at_trx_commit=0 "
          "(commits flushed once a second).", "",
          "Bare verification cost from `openssl speed` on this machine (µs): " +
          ", ".join(f"{k} {v:.1f}" for k, v in results["verify_us"].items()) + ".", "",
          table(rows), "", "## The module's own work per token (bench/micro.c)", "",
          "Parse (base64url, strict JSON), signature, claims check and claim export "
          "of one token, without Apache, against the bare signature check alone:", "",
          "| algorithm | full µs | bare signature µs | added µs |", "|---|---:|---:|---:|"] + [
          f"| {k} | {v['full_us']:.1f} | {v['bare_us']:.1f} | {v['added_us']:.1f} |"
          for k, v in results.get("micro", {}).items()] + [
          "", "## Memory", "", mem_table(results), ""]
    problems = [(mpm, r["crashes"], r["log_problems"]) for mpm, r in results["mpm"].items()]
    for mpm, crashes, bad in problems:
        if crashes or bad:
            md.append(f"**{mpm}: problems in the error log:** " +
                      "; ".join((crashes + bad)[:5]))
    (out / "summary.md").write_text("\n".join(md) + "\n")
    return "\n".join(md)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the short mode (< 3 minutes)")
    ap.add_argument("--mpm", action="append", choices=list(MPM_CONF),
                    help="only this MPM (repeatable)")
    ap.add_argument("--only", action="append", metavar="KEY",
                    help="only the scenarios whose key starts with KEY "
                         "(repeatable; for profiling: the report stays partial)")
    ap.add_argument("--perf", action="store_true",
                    help="record `perf record -g` of the server during each run "
                         "into bench/gen/perf-MPM-KEY.data")
    args = ap.parse_args()
    mode = "quick" if args.quick else "full"
    cfg = MODES[mode]
    for tool in ("wrk", "openssl"):
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} is missing (tests/tools/deps.sh bench)")
    started = time.time()
    log = lambda s: print(s, flush=True)
    GEN.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    log(f"bench: {mode} mode; measuring openssl speed")
    verify_us = verify_costs()
    sockdir = harness.SockDir()
    mariadb = harness.MariaDB(sockdir, base=GEN / "mariadb")
    keys = harness.Keys(base=GEN / "keys").generate()
    forge = harness.Forge(keys)
    results = {"mode": mode, "config": cfg, "machine": machine(),
               "verify_us": verify_us, "mpm": {}, "micro": micro(keys)}
    try:
        mariadb.install()
        # room for the rows the login runs write (the tests' 32M is not);
        # commits flushed once a second, as the tests do (see the report)
        mariadb.start(buffer_pool="256M")
        mariadb.setup()
        site = harness.Site(base=GEN / "site").build()
        site.add_user(mariadb, "alice", "alice-pw", scheme="B")
        site.add_user(mariadb, "bob", "bob-pw", scheme="m")
        site.add_user(mariadb, "dave", "dave-pw", scheme="m", in_file=False)
        mariadb.sql("UPDATE users SET password = "
                    f"{harness.sql_quote(harness.htpasswd_hash('dave-pw', 'm'))} "
                    "WHERE username = 'dave'")
        for sub in ["none"] + [n + s for n, _, _ in JWT_LOCATIONS for s in ("", "-cache")] \
                + ["basic-file", "basic-dbd", "form"]:
            d = site.docroot / "b" / sub
            d.mkdir(parents=True, exist_ok=True)
            (d / "static.txt").write_text("x" * 512 + "\n")
            (d / "env.cgi").write_text(harness.CGI_ENV)
            os.chmod(d / "env.cgi", 0o755)
            os.chmod(d, 0o755)
        os.chmod(site.docroot / "b", 0o755)
        for mpm in args.mpm or ["event", "prefork"]:
            log(f"bench: {mpm}")
            results["mpm"][mpm] = bench_mpm(mpm, cfg, (keys, site, mariadb, sockdir, forge),
                                            log, args.only, args.perf)
    finally:
        mariadb.stop()
        sockdir.remove()
    rows = summarize(results)
    results["summary"] = rows
    results["seconds"] = round(time.time() - started)
    (RESULTS / "results.json").write_text(json.dumps(results, indent=1, default=str))
    text = report(results, rows, RESULTS)
    drawn = chart(rows, RESULTS / "chart.png")
    print()
    print(text)
    print(f"bench: {results['seconds']} s; results in {RESULTS}/ (summary.md, "
          f"results.json{', chart.png' if drawn else ''})")
    if any(r["crashes"] for r in results["mpm"].values()):
        sys.exit("bench: httpd children crashed (see summary.md)")


if __name__ == "__main__":
    main()
