# Licensed under the Apache License, Version 2.0.
"""test_ajwt_270_NN: immediate revocation of access tokens on one server
(AuthJWTRevocationCache shmcb, contract §6): logout revokes the access token
presented with it; logout all=true, deactivation and jwt-revoke-handler
revoke every access token of the user issued so far; a new login right
after is not caught; AuthJWTRevocationCacheFailure open|closed when the
cache cannot be reached. Across servers: test_300_cluster."""
import re
import time

import pytest

import harness
from harness import assert_challenge, assert_oauth_error, parse_env
from test_020_login import CONF as ENDPOINTS, assert_tokens, login, refresh

SHMCB = 'LoadModule socache_shmcb_module "@LIBEXEC@/mod_socache_shmcb.so"\n'

CONF = SHMCB + """
AuthJWTRevocationCache shmcb
""" + ENDPOINTS + """
<Location /app-cached>
    AuthType JWT
    AuthName "ajwt-cached"
    AuthJWTVerifyCache On
    Require valid-user
</Location>
Alias /app-cached "@DOCROOT@/app"
"""


def ok(httpd, path, token):
    r = httpd.get(path, token=token)
    assert r.status_code == 200, (r.status_code, r.headers.get("WWW-Authenticate"))
    return parse_env(r.text)["REMOTE_USER"]


def revoked(httpd, path, token, realm="ajwt-app"):
    p = assert_challenge(httpd.get(path, token=token), realm, "invalid_token")
    assert p["error_description"] == "token revoked", p


def bearer_logout(httpd, access, rt=None, **extra):
    data = {"refresh_token": rt, **extra} if rt else extra
    return httpd.post("/auth/logout", data=data,
                      headers={"Authorization": f"Bearer {access}"})


class TestRevocation:
    CONF = CONF

    def _login(self, httpd, forge, user="alice", pw="alice-pw"):
        body, _ = assert_tokens(login(httpd, user, pw), forge, user)
        return body["access_token"], body["refresh_token"]

    def test_ajwt_270_01_logout_revokes_presented_access_token(self, httpd, forge):
        a1, r1 = self._login(httpd, forge)
        a2, _ = self._login(httpd, forge)
        assert ok(httpd, "/app/env.cgi", a1) == "alice"
        r = bearer_logout(httpd, a1, r1)
        assert r.status_code == 200 and r.json() == {}
        revoked(httpd, "/app/env.cgi", a1)
        httpd.expect_log("AJWT01003")  # the refused token is logged at info
        # another session of the same user is untouched
        assert ok(httpd, "/app/env.cgi", a2) == "alice"
        # the refresh token went too (the family)
        assert_oauth_error(refresh(httpd, r1), 400, "invalid_grant")

    def test_ajwt_270_02_failed_logout_revokes_nothing(self, httpd, forge):
        a1, r1 = self._login(httpd, forge)
        # no refresh_token field: 400, and the request changes nothing
        assert_oauth_error(bearer_logout(httpd, a1, all="false"), 400,
                           "invalid_request")
        assert ok(httpd, "/app/env.cgi", a1) == "alice"
        # a bad 'all' flag: 400, nothing revoked either
        assert_oauth_error(bearer_logout(httpd, a1, r1, all="perhaps"), 400,
                           "invalid_request")
        assert ok(httpd, "/app/env.cgi", a1) == "alice"
        assert bearer_logout(httpd, a1, r1).status_code == 200
        revoked(httpd, "/app/env.cgi", a1)

    def test_ajwt_270_09_no_flood_without_a_live_family(self, httpd, forge):
        """Each revoked access token costs a live refresh-token family (a
        login): refresh, then log out with a family already dead, stores
        nothing, so no loop of refresh and logout fills the cache."""
        a0, dead = self._login(httpd, forge)
        assert bearer_logout(httpd, a0, dead).status_code == 200  # family gone
        a, rt = self._login(httpd, forge)
        for _ in range(3):
            body = refresh(httpd, rt).json()
            a, rt = body["access_token"], body["refresh_token"]
            r = bearer_logout(httpd, a, dead)
            assert r.status_code == 200 and r.json() == {}
            assert ok(httpd, "/app/env.cgi", a) == "alice"
        # an unknown refresh token: 200, nothing either
        assert bearer_logout(httpd, a, "x" * 43).status_code == 200
        assert ok(httpd, "/app/env.cgi", a) == "alice"
        # the live family: the access token goes with it
        assert bearer_logout(httpd, a, rt).status_code == 200
        revoked(httpd, "/app/env.cgi", a)

    def test_ajwt_270_03_logout_all_revokes_every_access_token(self, httpd, forge):
        tokens = [self._login(httpd, forge, "bob", "bob-pw") for _ in range(3)]
        other, _ = self._login(httpd, forge, "alice", "alice-pw")
        r = httpd.post("/auth/logout", data={"refresh_token": tokens[0][1],
                                             "all": "true"})
        assert r.status_code == 200
        for a, rt in tokens:
            revoked(httpd, "/app/env.cgi", a)
            assert_oauth_error(refresh(httpd, rt), 400, "invalid_grant")
        assert ok(httpd, "/app/env.cgi", other) == "alice"
        # logging in again right away is not caught by the revocation: the
        # new token waits for the next second at most
        t0 = time.monotonic()
        fresh, _ = self._login(httpd, forge, "bob", "bob-pw")
        assert time.monotonic() - t0 < 2.5
        assert ok(httpd, "/app/env.cgi", fresh) == "bob"
        # a token issued in the revocation's second, before it, is refused
        for a, _ in tokens:
            revoked(httpd, "/app/env.cgi", a)

    def test_ajwt_270_05_revoke_handler(self, httpd, forge):
        admin, _ = self._login(httpd, forge)           # alice is admin
        victim, _ = self._login(httpd, forge, "bob", "bob-pw")
        # user names are exact, as in the store (utf8mb4_bin): revoking
        # "BOB" is not revoking "bob"
        r = httpd.post("/auth/revoke", data={"username": "BOB"}, token=admin)
        assert r.status_code == 200, r.text
        assert ok(httpd, "/app/env.cgi", victim) == "bob"
        r = httpd.post("/auth/revoke", data={"username": "bob"}, token=admin)
        assert r.status_code == 200, r.text
        revoked(httpd, "/app/env.cgi", victim)
        assert ok(httpd, "/app/env.cgi", admin) == "alice"

    def test_ajwt_270_10_many_entries_keep_the_old_ones(self, httpd, forge):
        """shmcb files an entry in the subcache named by its key's first
        byte: keys that all began "ajwt:" shared one 64 kB subcache, and
        about 600 later revocations evicted a revoked user. The keys now
        begin with a byte of their digest."""
        admin, _ = self._login(httpd, forge)
        victim, _ = self._login(httpd, forge, "bob", "bob-pw")
        assert httpd.post("/auth/revoke", data={"username": "bob"},
                          token=admin).status_code == 200
        revoked(httpd, "/app/env.cgi", victim)
        s = __import__("requests").Session()
        for i in range(2500):  # e.g. a batch deactivation job
            r = s.post(httpd.url("/auth/revoke"), data={"username": f"churn-{i}"},
                       headers={"Authorization": f"Bearer {admin}"}, timeout=10)
            assert r.status_code == 200, (i, r.status_code)
        revoked(httpd, "/app/env.cgi", victim)

    def test_ajwt_270_11_revocations_outlive_a_graceful_restart(self, httpd, forge):
        """shmcb's segment belonged to the configuration's pool: every
        reload (key rotation, a certificate renewal's reload) started with
        an empty cache and brought revoked tokens back."""
        admin, _ = self._login(httpd, forge)
        a1, r1 = self._login(httpd, forge)
        victim, _ = self._login(httpd, forge, "bob", "bob-pw")
        assert bearer_logout(httpd, a1, r1).status_code == 200
        assert httpd.post("/auth/revoke", data={"username": "bob"},
                          token=admin).status_code == 200
        for restart in ("graceful", "restart"):
            harness.run([httpd.binary, "-f", str(httpd.conf), "-k", restart])
            deadline = time.monotonic() + 15
            while True:  # wait until the new generation answers
                try:
                    if httpd.get("/app/env.cgi", token=admin).status_code == 200:
                        break
                except Exception:
                    pass
                assert time.monotonic() < deadline, restart
                time.sleep(0.2)
            revoked(httpd, "/app/env.cgi", a1)
            revoked(httpd, "/app/env.cgi", victim)

    def test_ajwt_270_06_deactivation(self, httpd, forge, mariadb):
        httpd.site.add_user(mariadb, "dede", "dede-pw")
        a, rt = self._login(httpd, forge, "dede", "dede-pw")
        assert ok(httpd, "/app/env.cgi", a) == "dede"
        mariadb.sql("UPDATE users SET active = 0 WHERE username = 'dede'")
        assert_oauth_error(refresh(httpd, rt), 400, "invalid_grant")
        revoked(httpd, "/app/env.cgi", a)

    def test_ajwt_270_07_verify_cache_never_skips_revocation(self, httpd, forge):
        # carol is only in the users table: log in through mod_authn_dbd
        body, _ = assert_tokens(login(httpd, "carol", "carol-pw",
                                      path="/auth/login-dbd"), forge, "carol")
        a, rt = body["access_token"], body["refresh_token"]
        for _ in range(3):
            assert ok(httpd, "/app-cached/env.cgi", a) == "carol"
        assert bearer_logout(httpd, a, rt).status_code == 200
        revoked(httpd, "/app-cached/env.cgi", a, realm="ajwt-cached")

    def test_ajwt_270_08_forged_bearer_on_logout_revokes_nothing(self, httpd, forge):
        a, rt = self._login(httpd, forge)
        head, payload, _sig = a.split(".")
        forged = f"{head}.{payload}.{harness.b64u(b'x' * 64)}"
        r = bearer_logout(httpd, forged, rt)
        assert r.status_code == 200
        # the genuine token with the same jti still works: nothing was
        # stored for a token whose signature failed
        assert ok(httpd, "/app/env.cgi", a) == "alice"


class TestRevocationPrefork(TestRevocation):
    MPM = "prefork"


DEAD = """
LoadModule socache_memcache_module "@LIBEXEC@/mod_socache_memcache.so"
AuthJWTRevocationCache memcache:127.0.0.1:@DEADPORT@
""" + ENDPOINTS + harness.snippet("closed-location.conf")


class TestRevocationCacheDown:
    """A memcached that is not there: open lets tokens through, closed
    answers 503; both say so in the error log."""
    CONF = DEAD.replace("@DEADPORT@", str(harness.free_port()))
    LOG_IGNORE = [
        # mod_socache_memcache's own lines about the server that is down
        r"AH0078[0-9]|scache_mc|memcache",
        # ours: the cache cannot be reached (at most every 10 s a process)
        r"AJWT03010", r"AJWT03011", r"AJWT03013",
    ]

    def test_ajwt_270_20_open_and_closed(self, httpd, forge):
        body, _ = assert_tokens(login(httpd, "alice", "alice-pw"), forge, "alice")
        a = body["access_token"]
        assert ok(httpd, "/app/env.cgi", a) == "alice"
        r = httpd.get("/closed/env.cgi", token=a)
        assert r.status_code == 503, r.status_code
        # logout still revokes the refresh family in the database
        r = bearer_logout(httpd, a, body["refresh_token"])
        assert r.status_code == 200
        assert_oauth_error(refresh(httpd, body["refresh_token"]), 400, "invalid_grant")
        log = "".join(httpd.errlog.read_new())
        assert "AJWT03010" in log, log[-2000:]


LOC_CONF = SHMCB + """
<VirtualHost 127.0.0.1:@PORT@>
    AuthJWTRevocationCache shmcb
</VirtualHost>
"""


class TestRevocationConfig:
    CONF = ""

    @pytest.mark.parametrize("snippet,pattern", [
        (LOC_CONF, r"AuthJWTRevocationCache.*(not allowed|cannot occur)"),
        ("AuthJWTRevocationCache nosuchcache", r"unknown socache provider 'nosuchcache'"),
        ('LoadModule socache_memcache_module "@LIBEXEC@/mod_socache_memcache.so"\n'
         "AuthJWTRevocationCache memcache:127.0.0.1:11211,127.0.0.1:11212",
         r"AuthJWTRevocationCache.*several servers"),
        ('LoadModule socache_redis_module "@LIBEXEC@/mod_socache_redis.so"\n'
         "AuthJWTRevocationCache redis:127.0.0.1:6379,127.0.0.1:6380",
         r"AuthJWTRevocationCache.*several servers"),
        ("<Location /x>\nAuthJWTRevocationCacheFailure maybe\n</Location>",
         r"'maybe' is not open or closed"),
    ], ids=["vhost", "provider", "memcache_list", "redis_list", "failure_mode"])
    def test_ajwt_270_30_refused(self, server_factory, snippet, pattern):
        s = server_factory("270-config")
        rc, out, _ = s.configtest(snippet, name="rv")
        assert rc != 0, out
        assert re.search(pattern, out), out
