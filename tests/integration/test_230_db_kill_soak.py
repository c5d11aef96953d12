# Licensed under the Apache License, Version 2.0.
"""test_ajwt_230_NN: MariaDB killed (SIGKILL, no clean shutdown) and
restarted twice under load, on event and prefork.

Clients log in (mod_authn_file and mod_authn_dbd), refresh their chains and
call a protected page, all the time. While the database is down the
endpoints answer 503 at once, protected pages stay 200; no request hangs,
no worker crashes (the harness fails any test whose server logged a crash),
nothing is answered 500. Afterwards every chain still refreshes (a refresh
whose answer was lost in the crash is retried within the reuse interval),
and no family was left half-rotated (spent, without a live successor, and
not revoked)."""
import concurrent.futures
import threading
import time

import requests

import harness
from test_020_login import login, logout, refresh

CONF = harness.snippet("server-keys.conf", "endpoints.conf") + """
DBDMin 1
DBDKeep 4
DBDMax 8
"""
# seconds from the start: kill, then start again (twice)
SCHEDULE = [(3.0, "kill"), (4.5, "start"), (8.0, "kill"), (8.5, "start")]
DURATION = 12.0
SLOW = 4.0       # no answer may take longer (the endpoints must not hang)
GRACE = "/auth/refresh-grace"   # reuse interval 10 s: a lost answer is retried
CHAIN = 12       # refreshes before a worker logs out and logs in again


class Worker:
    def __init__(self, httpd, n):
        self.httpd = httpd
        self.n = n
        self.rt = None
        self.at = None
        self.problems = []
        self.counts = {}
        self.slowest = 0.0
        self.refreshed = 0

    def call(self, what, fn):
        t0 = time.monotonic()
        try:
            r = fn()
        except requests.RequestException as e:
            self.problems.append(f"{what}: {e!r}")
            return None
        took = time.monotonic() - t0
        self.slowest = max(self.slowest, took)
        if took > SLOW:
            self.problems.append(f"{what}: took {took:.1f} s")
        key = (what, r.status_code)
        self.counts[key] = self.counts.get(key, 0) + 1
        return r

    def step(self):
        if self.rt is None:
            via_dbd = self.n % 2
            r = self.call("login", lambda: login(
                self.httpd, "carol" if via_dbd else "alice",
                "carol-pw" if via_dbd else "alice-pw",
                "/auth/login-dbd" if via_dbd else "/auth/login"))
            if r is not None and r.status_code == 200:
                self.rt, self.at = r.json()["refresh_token"], r.json()["access_token"]
            elif r is not None and r.status_code != 503:
                self.problems.append(f"login: {r.status_code} {r.text[:200]}")
        elif self.refreshed >= CHAIN:
            r = self.call("logout", lambda: logout(self.httpd, self.rt))
            if r is not None and r.status_code not in (200, 503):
                self.problems.append(f"logout: {r.status_code} {r.text[:200]}")
            self.rt, self.at, self.refreshed = None, None, 0
        else:
            r = self.call("refresh", lambda: refresh(self.httpd, self.rt, GRACE))
            if r is not None and r.status_code == 200:
                self.rt, self.at = r.json()["refresh_token"], r.json()["access_token"]
                self.refreshed += 1
            elif r is not None and r.status_code != 503:
                self.problems.append(f"refresh: {r.status_code} {r.text[:200]}")
        if self.at:
            r = self.call("page", lambda: self.httpd.get("/app/static.txt",
                                                          token=self.at))
            if r is not None and r.status_code != 200:
                self.problems.append(f"page: {r.status_code}")

    def run(self, stop):
        while not stop.is_set():
            self.step()


def soak(httpd, mariadb, nworkers):
    stop = threading.Event()
    workers = [Worker(httpd, n) for n in range(nworkers)]
    with concurrent.futures.ThreadPoolExecutor(nworkers) as ex:
        futures = [ex.submit(w.run, stop) for w in workers]
        t0 = time.monotonic()
        try:
            for at, action in SCHEDULE:
                time.sleep(max(0.0, t0 + at - time.monotonic()))
                if action == "kill":
                    mariadb.kill()
                else:
                    mariadb.start(durable=True)
            time.sleep(max(0.0, t0 + DURATION - time.monotonic()))
        finally:
            stop.set()
            if mariadb.proc is None:
                mariadb.start(durable=True)
        for f in futures:
            f.result()
    return workers


class TestKillUnderLoad:
    MPM = "event"
    WORKERS = 8
    CONF = CONF
    LOG_IGNORE = [
        r"\[dbd:error\]",                   # mod_dbd reports the outage
        r"AH00629|AH00632|AH00633|AH02655",
        r"AH00636",                          # a child started while it was down
        r"\[auth_jwt:error\].*AJWT020\d\d",  # the store reports it too
        # a login through mod_authn_dbd whose query the kill cut short
        r"\[authn_dbd:error\].*AH01656", r"\[auth_jwt:error\].*AJWT02201",
    ]

    def test_ajwt_230_01_kill_and_restart_under_load(self, httpd, mariadb):
        mariadb.stop()
        mariadb.start(durable=True)   # a crash must not lose acknowledged commits
        try:
            workers = soak(httpd, mariadb, self.WORKERS)
            problems = [f"worker {w.n}: {p}" for w in workers for p in w.problems]
            assert not problems, "\n".join(problems[:30])
            counts = {}
            for w in workers:
                for k, v in w.counts.items():
                    counts[k] = counts.get(k, 0) + v
            print(f"\n{self.MPM}: {sorted(counts.items())}, slowest "
                  f"{max(w.slowest for w in workers):.2f} s")
            # the load did reach the database on both sides of the outages
            assert counts.get(("refresh", 200), 0) > 20, counts
            assert counts.get(("login", 200), 0) > 20, counts
            assert counts.get(("refresh", 503), 0) + counts.get(("login", 503), 0) > 0, counts
            # every chain still refreshes: no family revoked or broken
            for w in workers:
                if w.rt:
                    r = refresh(httpd, w.rt, GRACE)
                    assert r.status_code == 200, (w.n, r.status_code, r.text)
            # no family half-rotated: each has a live token or was revoked
            broken = mariadb.sql(
                "SELECT family_id FROM auth_jwt_refresh_token GROUP BY family_id "
                "HAVING SUM(used_at = 0 AND revoked_at = 0) = 0 "
                "AND SUM(revoked_at > 0) = 0 AND MAX(family_expires_at) > UNIX_TIMESTAMP()")
            assert not broken, broken
        finally:
            mariadb.stop()
            mariadb.start()


class TestKillUnderLoadPrefork(TestKillUnderLoad):
    MPM = "prefork"
    WORKERS = 6      # the harness's prefork server has 10 processes
