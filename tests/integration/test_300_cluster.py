# Licensed under the Apache License, Version 2.0.
"""test_ajwt_300_NN: several servers on one machine (issue 7). Nodes A and B
issue and verify tokens against one MariaDB and share a memcached for
throttling and revocation; node C only verifies: it has neither a private
key nor a database (mod_dbd is not even loaded) and reads A's published
JWK Set from a file.
"""
import concurrent.futures
import json
import time

import pytest
import requests

import harness
from harness import assert_challenge, assert_oauth_error, parse_env
from test_020_login import assert_tokens, login, refresh

MEMCACHE = """
LoadModule socache_memcache_module "@LIBEXEC@/mod_socache_memcache.so"
AuthJWTRevocationCache memcache:@MC@
AuthJWTThrottleCache memcache:@MC@
"""

ISSUER = MEMCACHE + harness.snippet("server-keys.conf", "endpoints.conf") + """
<Location /auth/jwks>
    SetHandler jwt-jwks-handler
</Location>
<Location /auth/login-throttled>
    SetHandler jwt-login-handler
    AuthJWTProvider file
    AuthUserFile "@HTPASSWD@"
    AuthJWTThrottle On
</Location>
""" + harness.snippet("closed-location.conf")

VERIFIER = MEMCACHE + """
AuthJWTSignatureAlgorithm RS256
AuthJWTJWKSFile "@KEYS@/cluster-jwks.json"
AuthJWTIss "@ISS@"
AuthJWTAud "@AUD@"
<Location /app>
    AuthType JWT
    AuthName "ajwt-app"
    Require valid-user
</Location>
<Location /auth/jwks>
    SetHandler jwt-jwks-handler
</Location>
"""

# what any node may log while these tests stop memcached on purpose
CACHE_DOWN = [r"AH0078[0-9]|scache_mc|memcache", r"AJWT03010", r"AJWT03011",
              r"AJWT03013"]


class Cluster:
    def __init__(self, server_factory, keys):
        self.mc = harness.Memcached().start()
        extra = {"MC": self.mc.spec}
        self.a = server_factory("300-node-a")
        self.b = server_factory("300-node-b")
        for n in (self.a, self.b):
            n.start(harness.subst(ISSUER, extra))
        # C reads A's published keys from a file, as an admin would copy it
        jwks = requests.get(self.a.url("/auth/jwks"), timeout=10)
        assert jwks.status_code == 200
        (keys.dir / "cluster-jwks.json").write_text(jwks.text)
        self.c = server_factory("300-node-c",
                                modules_exclude=("dbd", "authn_dbd"))
        self.c.start(harness.subst(VERIFIER, extra))
        self.nodes = (self.a, self.b, self.c)
        self.ignores = []

    def check_logs(self):
        bad = []
        for n in self.nodes:
            bad += n.check_log(extra=self.ignores)
        return bad

    def stop(self):
        for n in self.nodes:
            n.stop()
        self.mc.stop()


@pytest.fixture(scope="module")
def cluster(server_factory, keys):
    c = Cluster(server_factory, keys)
    yield c
    c.stop()


@pytest.fixture(autouse=True)
def _cluster_logs(cluster):
    cluster.ignores = []
    yield
    bad = cluster.check_logs()
    if bad:
        pytest.fail("unexpected lines in the nodes' error logs:\n" + "\n".join(bad),
                    pytrace=False)


def user_of(node, token, path="/app/env.cgi"):
    r = node.get(path, token=token)
    return parse_env(r.text)["REMOTE_USER"] if r.status_code == 200 else r.status_code


def refused_everywhere(cluster, token, within=1.0):
    """Poll until every node refuses token as revoked; return the seconds."""
    t0 = time.monotonic()
    left = set(cluster.nodes)
    while left and time.monotonic() - t0 < within + 1:
        for n in list(left):
            r = n.get("/app/env.cgi", token=token)
            if r.status_code == 401:
                assert_challenge(r, "ajwt-app", "invalid_token")
                left.discard(n)
        if left:
            time.sleep(0.05)
    took = time.monotonic() - t0
    assert not left, f"still accepted by {[n.name for n in left]} after {took:.2f}s"
    assert took <= within, took
    return took


class TestCluster:

    def test_ajwt_300_01_login_a_call_b_refresh_b_logout_a(self, cluster, forge):
        a, b, c = cluster.nodes
        cluster.ignores = [r"AJWT01003"]  # the refused tokens, at info
        body, _ = assert_tokens(login(a, "alice", "alice-pw"), forge, "alice")
        assert user_of(b, body["access_token"]) == "alice"
        assert user_of(c, body["access_token"]) == "alice"
        r = refresh(b, body["refresh_token"])
        body2, _ = assert_tokens(r, forge, "alice")
        for n in cluster.nodes:
            assert user_of(n, body2["access_token"]) == "alice"
        r = a.post("/auth/logout", data={"refresh_token": body2["refresh_token"]},
                   headers={"Authorization": f"Bearer {body2['access_token']}"})
        assert r.status_code == 200
        assert_oauth_error(refresh(b, body2["refresh_token"]), 400, "invalid_grant")
        refused_everywhere(cluster, body2["access_token"])
        # the first access token was not the one presented: still good
        assert user_of(c, body["access_token"]) == "alice"

    def test_ajwt_300_02_revoke_user_everywhere(self, cluster, forge):
        a, b, c = cluster.nodes
        cluster.ignores = [r"AJWT01003"]
        admin = assert_tokens(login(a, "alice", "alice-pw"), forge,
                              "alice")[0]["access_token"]
        bobs = [assert_tokens(login(n, "bob", "bob-pw"), forge, "bob")[0]
                for n in (a, b, a)]
        r = b.post("/auth/revoke", data={"username": "bob"}, token=admin)
        assert r.status_code == 200, r.text
        for t in bobs:
            refused_everywhere(cluster, t["access_token"])
            assert_oauth_error(refresh(a, t["refresh_token"]), 400, "invalid_grant")
        # bob logs in again at once, on the other node: not caught
        fresh = assert_tokens(login(a, "bob", "bob-pw"), forge, "bob")[0]
        for n in cluster.nodes:
            assert user_of(n, fresh["access_token"]) == "bob"

    def test_ajwt_300_03_throttle_shared(self, cluster):
        a, b, _ = cluster.nodes
        cluster.ignores = [r"AJWT02"]  # failed logins and the throttle, at info
        user = "thor-%d" % time.time_ns()
        for i in range(harness_free()):
            node = (a, b)[i % 2]
            r = login(node, user, "wrong", path="/auth/login-throttled")
            assert r.status_code == 400, (i, r.status_code, r.text)
        for node in (a, b):
            r = login(node, user, "wrong", path="/auth/login-throttled")
            assert r.status_code == 429, (node.name, r.status_code, r.text)
            assert int(r.headers["Retry-After"]) >= 1

    def test_ajwt_300_04_reuse_detected_across_nodes(self, cluster, forge):
        a, b, _ = cluster.nodes
        cluster.ignores = [r"AJWT02"]
        body = assert_tokens(login(a, "alice", "alice-pw"), forge, "alice")[0]
        rt0 = body["refresh_token"]
        rt1 = assert_tokens(refresh(a, rt0), forge, "alice")[0]["refresh_token"]
        # /auth/refresh has no reuse interval: rt0 again is theft
        assert_oauth_error(refresh(b, rt0), 400, "invalid_grant")
        assert_oauth_error(refresh(a, rt1), 400, "invalid_grant")

    def test_ajwt_300_05_concurrent_refresh_one_lineage(self, cluster, forge):
        a, b, _ = cluster.nodes
        cluster.ignores = [r"AJWT02"]
        rt = assert_tokens(login(a, "alice", "alice-pw"), forge,
                           "alice")[0]["refresh_token"]
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            rs = list(ex.map(lambda i: refresh((a, b)[i % 2], rt), range(8)))
        codes = sorted(r.status_code for r in rs)
        assert codes.count(200) == 1, codes
        assert set(codes) <= {200, 400}, codes
        # and no lineage survives: the losers presented a spent token
        winner = next(r for r in rs if r.status_code == 200).json()
        assert refresh(b, winner["refresh_token"]).status_code in (200, 400)

    def test_ajwt_300_06_verify_only_node(self, cluster, forge, keys):
        a, _, c = cluster.nodes
        cluster.ignores = [r"AJWT01003"]
        # C publishes what it read: the same key, under its thumbprint kid
        assert c.get("/auth/jwks").json() == a.get("/auth/jwks").json()
        # a token of another key is refused on C
        t = forge.token(alg="RS256", key="rsa2")
        assert_challenge(c.get("/app/env.cgi", token=t), "ajwt-app", "invalid_token")
        # C has no login handler and no database
        assert c.post("/auth/login", data={"username": "alice",
                                           "password": "alice-pw"}).status_code == 404
        conf = c.conf.read_text()
        assert "mod_dbd.so" not in conf and "PrivateKeyFile" not in conf

    def test_ajwt_300_07_cache_down_open_and_closed(self, cluster, forge):
        a, b, c = cluster.nodes
        cluster.ignores = CACHE_DOWN + [r"AJWT01003"]
        body = assert_tokens(login(a, "alice", "alice-pw"), forge, "alice")[0]
        tok = body["access_token"]
        cluster.mc.stop()
        try:
            for n in cluster.nodes:
                assert user_of(n, tok) == "alice"        # open (default)
            # closed: 503 once a process has noticed (its last good probe
            # is at most a second old)
            for n in (a, b):
                deadline = time.monotonic() + 2.5
                while n.get("/closed/env.cgi", token=tok).status_code != 503:
                    assert time.monotonic() < deadline, n.name
                    time.sleep(0.1)
                for _ in range(5):
                    assert n.get("/closed/env.cgi", token=tok).status_code == 503
        finally:
            cluster.mc.start()
        # back: revocation works again (apr_memcache retries dead servers)
        deadline = time.monotonic() + 15
        while a.get("/closed/env.cgi", token=tok).status_code != 200:
            assert time.monotonic() < deadline, "the cache never came back"
            time.sleep(0.2)
        r = a.post("/auth/logout", data={"refresh_token": body["refresh_token"]},
                   headers={"Authorization": f"Bearer {tok}"})
        assert r.status_code == 200
        refused_everywhere(cluster, tok, within=6.0)

    def test_ajwt_300_08_long_lived_token_through_memcached(self, cluster, forge):
        """memcached reads an expiry of more than 30 days as a date in 1970
        (gone at once): the revocation of a token that lives 60 days must
        still hold (the module caps the entry at 30 days)."""
        a, b, c = cluster.nodes
        cluster.ignores = CACHE_DOWN + [r"AJWT01003"]  # and 07's aftermath
        rt = assert_tokens(login(a, "alice", "alice-pw"), forge,
                           "alice")[0]["refresh_token"]
        long = forge.token(alg="RS256", key="rsa", lifetime=60 * 86400,
                           jti="long-%d" % time.time_ns())
        for n in cluster.nodes:
            assert user_of(n, long) == "alice", n.name
        r = a.post("/auth/logout", data={"refresh_token": rt},
                   headers={"Authorization": f"Bearer {long}"})
        assert r.status_code == 200
        refused_everywhere(cluster, long)
        time.sleep(1.2)  # still there a moment later
        for n in cluster.nodes:
            assert user_of(n, long) == 401, n.name

    def test_ajwt_300_09_revocation_from_a_clock_ahead_never_stalls_login(
            self, cluster, forge):
        """A user revocation written by a node whose clock is 10 s ahead:
        a login here does not wait those 10 s (it used to sleep until then,
        holding a worker); it warns, and the token it issues is refused
        until the clocks agree."""
        import hashlib
        import socket
        a, _, _ = cluster.nodes
        cluster.ignores = [r"AJWT03016", r"AJWT01003"]
        digest = hashlib.sha256(b"bob").hexdigest()
        key_id = bytes([int(digest[:2], 16) or 0x80]) + b"ajwt:u:" + digest.encode()
        val = str(int(time.time()) + 10)
        with socket.create_connection(("127.0.0.1", cluster.mc.port), 5) as s:
            s.sendall(f"set ajwt-revocation:{key_id.hex()} 0 15 {len(val)}\r\n"
                      f"{val}\r\n".encode())
            assert s.recv(100).startswith(b"STORED")
        t0 = time.monotonic()
        body = assert_tokens(login(a, "bob", "bob-pw"), forge, "bob")[0]
        assert time.monotonic() - t0 < 2.0
        assert user_of(a, body["access_token"]) == 401
        assert any("AJWT03016" in line for line in a.errlog.read_new())


def harness_free():
    """Failed attempts per user name and address before the backoff."""
    return 10


REDIS = """
LoadModule socache_redis_module "@LIBEXEC@/mod_socache_redis.so"
AuthJWTRevocationCache redis:@RD@
"""


class TestClusterRedis:
    """The same revocation through Redis (mod_socache_redis): a logout on
    one node refuses the access token on the other within a second."""

    def test_ajwt_300_20_redis_revocation(self, server_factory, forge):
        rd = harness.Redis().start()
        conf = REDIS + harness.snippet("server-keys.conf", "endpoints.conf")
        nodes = [server_factory(f"300-redis-{x}") for x in "ab"]
        try:
            for n in nodes:
                n.start(harness.subst(conf, {"RD": rd.spec}))
            a, b = nodes
            body = assert_tokens(login(a, "alice", "alice-pw"), forge, "alice")[0]
            assert user_of(b, body["access_token"]) == "alice"
            r = a.post("/auth/logout", data={"refresh_token": body["refresh_token"]},
                       headers={"Authorization": f"Bearer {body['access_token']}"})
            assert r.status_code == 200
            t0 = time.monotonic()
            while b.get("/app/env.cgi", token=body["access_token"]).status_code != 401:
                assert time.monotonic() - t0 < 1.0
                time.sleep(0.05)
            for n in nodes:
                bad = n.check_log(extra=[r"AJWT01003"])
                assert not bad, bad
        finally:
            for n in nodes:
                n.stop()
            rd.stop()



STALL = REDIS + """
AuthJWTThrottleCache redis:@RD@
# one process, so that the test knows which one holds the stuck call
ServerLimit 1
StartServers 1
ThreadsPerChild 25
MaxRequestWorkers 25
MinSpareThreads 1
MaxSpareThreads 25
""" + harness.snippet("closed-location.conf")


class TestRedisStalled:
    """A Redis that stops answering (SIGSTOP: its connections stay open,
    nothing comes back) and no read timeout in apr_redis (RedisTimeout is
    multiplied by a million on the way: 1 s becomes 11 days): the first
    request waits, but once a call has been pending for a second the
    process stops joining it and the failure mode applies at once: open
    lets the token through, closed answers 503; logins go unthrottled."""

    def test_ajwt_300_21_stalled_redis_fails_fast(self, server_factory, forge):
        import os
        import signal
        rd = harness.Redis().start()
        node = server_factory("300-redis-stall")
        conf = STALL + harness.snippet("server-keys.conf", "endpoints.conf")
        try:
            node.start(harness.subst(conf, {"RD": rd.spec}))
            body = assert_tokens(login(node, "alice", "alice-pw"), forge, "alice")[0]
            tok = body["access_token"]
            assert user_of(node, tok) == "alice"
            os.kill(rd.proc.pid, signal.SIGSTOP)
            try:
                # the first one waits for the frozen server
                with pytest.raises(requests.exceptions.Timeout):
                    requests.get(node.url("/app/env.cgi"), timeout=2,
                                 headers={"Authorization": f"Bearer {tok}"})
                for path, want in (("/app/env.cgi", 200), ("/closed/env.cgi", 503)):
                    for _ in range(3):
                        t0 = time.monotonic()
                        r = requests.get(node.url(path), timeout=5,
                                         headers={"Authorization": f"Bearer {tok}"})
                        took = time.monotonic() - t0
                        assert r.status_code == want, (path, r.status_code)
                        assert took < 1.0, (path, took)
                # the login throttle's counters live there too: the first
                # login waits, the next ones do not (not throttled meanwhile)
                with pytest.raises(requests.exceptions.Timeout):
                    requests.post(node.url("/auth/login"), timeout=2,
                                  data={"username": "alice", "password": "alice-pw"})
                time.sleep(1.1)
                for _ in range(2):
                    t0 = time.monotonic()
                    assert_tokens(login(node, "alice", "alice-pw"), forge, "alice")
                    assert time.monotonic() - t0 < 1.0
            finally:
                os.kill(rd.proc.pid, signal.SIGCONT)
            # back: a logout revokes again
            r = node.post("/auth/logout", data={"refresh_token": body["refresh_token"]},
                          headers={"Authorization": f"Bearer {tok}"})
            assert r.status_code == 200
            assert user_of(node, tok) == 401
            bad = node.check_log(extra=[r"AJWT01003", r"AJWT0301[0-3]",
                                        r"AH0[0-9]+.*[Rr]edis|scache_rd|redis"])
            assert not bad, bad
        finally:
            node.stop()
            rd.stop()
