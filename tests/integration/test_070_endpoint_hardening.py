# Licensed under the Apache License, Version 2.0.
"""test_ajwt_070_NN: hardening of the token endpoints and the store: the
reuse grace, statements of virtual hosts, refresh tokens bound to their
issuer/audience, timing of unknown users, canonical user names, the revoke
handler failing closed, logout all=true, exact field names."""
import json
import os
import statistics
import time

import harness
from harness import assert_oauth_error, sha256_hex
from test_020_login import assert_tokens, login, logout, refresh

TABLE = "auth_jwt_refresh_token"

CONF = harness.snippet("server-keys.conf", "endpoints.conf") + """
# another audience: its refresh endpoint must not take tokens of /auth/login
<Location /auth/login-admin>
    SetHandler jwt-login-handler
    AuthJWTProvider file
    AuthUserFile "@HTPASSWD@"
    AuthJWTAud admin-portal
</Location>
<Location /auth/refresh-admin>
    SetHandler jwt-refresh-handler
    AuthJWTAud admin-portal
</Location>
<Location /auth/refresh-grace2>
    SetHandler jwt-refresh-handler
    AuthJWTRefreshReuseInterval 2
</Location>
# logout without a reuse grace: every spent token is dead here
<Location /auth/logout-nograce>
    SetHandler jwt-logout-handler
    AuthJWTRefreshReuseInterval 0
</Location>
# misconfigured on purpose: a revoke location without authentication
<Location /auth/revoke-open>
    SetHandler jwt-revoke-handler
</Location>
# a user with a bcrypt cost-10 hash (the file is written by the test)
<Location /auth/login-timing>
    SetHandler jwt-login-handler
    AuthJWTProvider file
    AuthUserFile "@SITE@/htpasswd-cost10"
</Location>
<Location /nomallory>
    AuthType JWT
    AuthName "ajwt-nomallory"
    <RequireAll>
        Require valid-user
        Require not user mallory
    </RequireAll>
</Location>
"""


def live_rows(db, user):
    return int(db.sql(f"SELECT COUNT(*) FROM {TABLE} WHERE username = "
                      f"{harness.sql_quote(user)} AND used_at = 0 "
                      "AND revoked_at = 0")[0][0])


class TestHardening:
    CONF = CONF

    # -- 1: interval 0 disables the grace; the grace is "< interval" ------

    def test_ajwt_070_01_interval_whole_seconds(self, httpd, forge, mariadb):
        g = "/auth/refresh-grace2"
        r1 = assert_tokens(login(httpd, "alice", "alice-pw"), forge,
                           "alice")[0]["refresh_token"]
        assert_tokens(refresh(httpd, r1, g), forge, "alice")
        # at once: the immediate predecessor gets a working successor
        assert_tokens(refresh(httpd, r1, g), forge, "alice")
        used = int(mariadb.sql(f"SELECT used_at FROM {TABLE} WHERE token_hash"
                               f" = '{sha256_hex(r1)}'")[0][0])
        # exactly interval (2) whole seconds after its rotation: too late
        time.sleep(max(0.0, used + 2 + 0.2 - time.time()))
        assert_oauth_error(refresh(httpd, r1, g), 400, "invalid_grant")
        httpd.expect_log("AJWT02007")  # refresh-token reuse detected, on purpose

    def test_ajwt_070_02_interval_zero_no_grace(self, httpd, forge):
        r1 = assert_tokens(login(httpd, "alice", "alice-pw"), forge,
                           "alice")[0]["refresh_token"]
        r2 = assert_tokens(refresh(httpd, r1), forge, "alice")[0]["refresh_token"]
        assert_oauth_error(refresh(httpd, r1), 400, "invalid_grant")
        assert_oauth_error(refresh(httpd, r2), 400, "invalid_grant")
        httpd.expect_log("AJWT02007")  # refresh-token reuse detected, on purpose

    # -- 3: refresh tokens are bound to the issuing context ----------------

    def test_ajwt_070_10_refresh_bound_to_audience(self, httpd, forge, mariadb):
        rt = assert_tokens(login(httpd, "alice", "alice-pw"), forge,
                           "alice")[0]["refresh_token"]
        # another audience's refresh endpoint, and its login endpoint's
        # refresh grant, refuse it ...
        assert_oauth_error(refresh(httpd, rt, "/auth/refresh-admin"), 400,
                           "invalid_grant")
        row = mariadb.sql(f"SELECT context FROM {TABLE} WHERE token_hash = "
                          f"'{sha256_hex(rt)}'")
        assert row[0][0] == sha256_hex(f"{harness.ISS}\n{harness.AUD}"), row
        r = httpd.post("/auth/login-admin", data={"grant_type": "refresh_token",
                                                  "refresh_token": rt})
        assert_oauth_error(r, 400, "invalid_grant")
        # ... without revoking anything: it still works where it belongs
        body, c = assert_tokens(refresh(httpd, rt), forge, "alice")
        assert c["aud"] == harness.AUD
        # a spent token sent to the wrong place does not revoke its family
        rt2 = body["refresh_token"]
        assert_oauth_error(refresh(httpd, rt, "/auth/refresh-admin"), 400,
                           "invalid_grant")
        assert_tokens(refresh(httpd, rt2), forge, "alice")

    def test_ajwt_070_11_admin_context_tokens(self, httpd, forge):
        rt = assert_tokens(login(httpd, "alice", "alice-pw", "/auth/login-admin"),
                           forge_admin(forge), "alice")[0]["refresh_token"]
        assert_oauth_error(refresh(httpd, rt), 400, "invalid_grant")
        body = assert_tokens(refresh(httpd, rt, "/auth/refresh-admin"),
                             forge_admin(forge), "alice")[0]
        assert_oauth_error(refresh(httpd, body["refresh_token"], "/auth/login",
                                   grant_type="refresh_token"),
                           400, "invalid_grant")

    # -- 4: unknown users take as long as known ones -----------------------

    def test_ajwt_070_20_timing_unknown_user(self, httpd):
        path = httpd.site.base / "htpasswd-cost10"
        exe = harness.which("htpasswd", "install apache2-utils")
        harness.run([exe, "-cbB", "-C", "10", str(path), "tim", "tim-pw"])
        os.chmod(path, 0o644)

        def timed(user):
            t = time.perf_counter()
            r = login(httpd, user, "wrong-pw", "/auth/login-timing")
            dt = time.perf_counter() - t
            assert_oauth_error(r, 400, "invalid_grant")
            return dt

        for _ in range(5):          # warm-up: the process learns the cost
            timed("tim")
            timed("nobody-at-all")
        known, unknown = [], []
        for i in range(20):
            known.append(timed("tim"))
            unknown.append(timed(f"nobody-{i}"))
        mk, mu = statistics.median(known), statistics.median(unknown)
        assert abs(mu - mk) < 0.3 * mk, (mk, mu)

    # -- 5: canonical user names; sub from the claims query ---------------

    def test_ajwt_070_30_non_canonical_names(self, httpd, forge, mariadb):
        httpd.site.add_user(mariadb, "mallory", "mallory-pw", in_file=False)
        wrong = login(httpd, "mallory", "not-it", "/auth/login-dbd")
        assert_oauth_error(wrong, 400, "invalid_grant")
        for name in ("mallory ", " mallory", "mallory\t", "mal\tlory",
                     "mallory\x7f", "mallory\x1b", "mallory\u00a0",
                     "\u3000mallory"):
            r = login(httpd, name, "mallory-pw", "/auth/login-dbd")
            assert (r.status_code, r.content) == (wrong.status_code,
                                                  wrong.content), repr(name)
            r = login(httpd, name, "mallory-pw", "/auth/login-dbd", as_json=True)
            assert (r.status_code, r.content) == (wrong.status_code,
                                                  wrong.content), repr(name)
        # the real name logs in, and the location keeps mallory out
        at = assert_tokens(login(httpd, "mallory", "mallory-pw", "/auth/login-dbd"),
                           forge, "mallory")[0]["access_token"]
        assert httpd.get("/nomallory/env.cgi", token=at).status_code == 403
        httpd.expect_log("AH01631")  # mod_authz_core logs the 403 at error level
        # names with inner spaces are fine
        httpd.site.add_user(mariadb, "zoe van d", "z-pw")
        assert_tokens(login(httpd, "zoe van d", "z-pw"), forge, "zoe van d")

    def test_ajwt_070_31_invalid_utf8_name(self, httpd):
        r = httpd.post("/auth/login", data=b"username=al%FFice&password=alice-pw",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code == 400, r.text
        assert "access_token" not in r.text

    # -- 6: the revoke handler fails closed --------------------------------

    def test_ajwt_070_40_revoke_needs_authentication(self, httpd, forge, mariadb):
        httpd.site.add_user(mariadb, "rudi", "rudi-pw")
        rt = assert_tokens(login(httpd, "rudi", "rudi-pw"), forge,
                           "rudi")[0]["refresh_token"]
        r = httpd.post("/auth/revoke-open", data={"username": "rudi"})
        assert_oauth_error(r, 403, "access_denied")
        httpd.expect_log(r"\[auth_jwt:error\].*AJWT02211")  # misconfigured on purpose
        assert_tokens(refresh(httpd, rt), forge, "rudi")

    # -- 7: logout all=true needs a live token -----------------------------

    def test_ajwt_070_50_logout_all_needs_live_token(self, httpd, forge, mariadb):
        httpd.site.add_user(mariadb, "lena", "lena-pw")
        a = assert_tokens(login(httpd, "lena", "lena-pw"), forge, "lena")[0]
        b = assert_tokens(login(httpd, "lena", "lena-pw"), forge, "lena")[0]
        a2 = assert_tokens(refresh(httpd, a["refresh_token"]), forge,
                           "lena")[0]["refresh_token"]
        # a is spent (and out of any grace at an interval of 0): all=true
        # revokes its own family only
        r = logout(httpd, a["refresh_token"], all="true",
                   path="/auth/logout-nograce")
        assert r.status_code == 200 and r.json() == {}, r.text
        assert_oauth_error(refresh(httpd, a2), 400, "invalid_grant")
        assert_tokens(refresh(httpd, b["refresh_token"]), forge, "lena")
        assert live_rows(mariadb, "lena") == 1

    def test_ajwt_070_51_logout_all_dead_tokens(self, httpd, forge, mariadb):
        httpd.site.add_user(mariadb, "lars", "lars-pw")
        keep = assert_tokens(login(httpd, "lars", "lars-pw"), forge,
                             "lars")[0]["refresh_token"]
        # revoked
        x = assert_tokens(login(httpd, "lars", "lars-pw"), forge,
                          "lars")[0]["refresh_token"]
        assert logout(httpd, x).status_code == 200
        assert logout(httpd, x, all="true").json() == {}
        # expired
        short = assert_tokens(login(httpd, "lars", "lars-pw", "/auth/login-short"),
                              forge, "lars")[0]["refresh_token"]
        time.sleep(1.2)
        assert logout(httpd, short, all="true").json() == {}
        # another audience
        adm = assert_tokens(login(httpd, "lars", "lars-pw", "/auth/login-admin"),
                            forge_admin(forge), "lars")[0]["refresh_token"]
        assert logout(httpd, adm, all="true").json() == {}
        assert_oauth_error(refresh(httpd, adm, "/auth/refresh-admin"), 400,
                           "invalid_grant")
        # none of them logged out the other family
        keep2 = assert_tokens(refresh(httpd, keep), forge, "lars")[0]["refresh_token"]
        # a live token does
        r = logout(httpd, keep2, all="true")
        assert r.status_code == 200 and r.json() == {}
        assert live_rows(mariadb, "lars") == 0

    def test_ajwt_070_52_logout_all_within_grace(self, httpd, forge, mariadb):
        httpd.site.add_user(mariadb, "lupe", "lupe-pw")
        a = assert_tokens(login(httpd, "lupe", "lupe-pw"), forge,
                          "lupe")[0]["refresh_token"]
        b = assert_tokens(login(httpd, "lupe", "lupe-pw"), forge,
                          "lupe")[0]["refresh_token"]
        assert_tokens(refresh(httpd, a), forge, "lupe")
        # the immediate predecessor within the default 10 s grace is live
        r = logout(httpd, a, all="true")
        assert r.status_code == 200 and r.json() == {}
        assert_oauth_error(refresh(httpd, b), 400, "invalid_grant")
        assert live_rows(mariadb, "lupe") == 0

    # -- 8: field names compare exactly ------------------------------------

    def test_ajwt_070_60_field_names_exact(self, httpd, forge):
        r = httpd.post("/auth/login", data=json.dumps(
            {"username": "zzz", "USERNAME": "alice", "password": "alice-pw"}),
            headers={"Content-Type": "application/json"})
        assert_oauth_error(r, 400, "invalid_grant")
        r = httpd.post("/auth/login", data=json.dumps(
            {"USERNAME": "alice", "username": "zzz", "password": "alice-pw"}),
            headers={"Content-Type": "application/json"})
        assert_oauth_error(r, 400, "invalid_grant")
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        r = httpd.post("/auth/login", data="Username=alice&password=alice-pw",
                       headers=form)
        assert_oauth_error(r, 400, "invalid_request")
        r = httpd.post("/auth/login", data="Username=alice&username=zzz&"
                       "password=alice-pw", headers=form)
        assert_oauth_error(r, 400, "invalid_grant")
        # a look-alike does not replace the real field
        r = httpd.post("/auth/login", json={"username": "alice",
                                            "password": "alice-pw",
                                            "Password": "x"})
        assert_tokens(r, forge, "alice")
        r = httpd.post("/auth/login", data="username=alice&password=alice-pw&"
                       "PASSWORD=x", headers=form)
        assert_tokens(r, forge, "alice")
        # exact duplicates stay invalid_request
        r = httpd.post("/auth/login", data="username=alice&password=alice-pw&"
                       "password=alice-pw", headers=form)
        assert_oauth_error(r, 400, "invalid_request")


class _AdminForge:
    """forge.verify for the admin-portal audience."""

    def __init__(self, forge):
        self.forge = forge

    def verify(self, token, **kw):
        kw.setdefault("audience", "admin-portal")
        return self.forge.verify(token, **kw)


def forge_admin(forge):
    return _AdminForge(forge)


# --------------------------------------------------------------------------
# 5 (second half): a claims query returning sub canonicalizes the subject

CANON_CONF = harness.snippet("server-keys.conf") + """
AuthJWTClaimsQuery "SELECT username AS sub, role FROM users WHERE LOWER(username) = LOWER(%s) AND active = 1"
<Location /auth/login>
    SetHandler jwt-login-handler
    AuthJWTProvider dbd
    AuthDBDUserPWQuery "SELECT password FROM users WHERE LOWER(username) = LOWER(%s) AND active = 1"
</Location>
<Location /auth/refresh>
    SetHandler jwt-refresh-handler
</Location>
<Location /auth/logout>
    SetHandler jwt-logout-handler
</Location>
"""


class TestCanonicalSub:
    CONF = CANON_CONF

    def test_ajwt_070_32_claims_query_sub(self, httpd, forge, mariadb):
        body, c = assert_tokens(login(httpd, "CaRoL", "carol-pw"), forge, "carol")
        assert c["role"] == "editor"
        rt = body["refresh_token"]
        row = mariadb.sql(f"SELECT username FROM {TABLE} WHERE token_hash = "
                          f"'{sha256_hex(rt)}'")
        assert row == [("carol",)], row
        body, c = assert_tokens(refresh(httpd, rt), forge, "carol")
        assert c["role"] == "editor"
        # logout all=true finds the family under the canonical name
        b2 = assert_tokens(login(httpd, "CAROL", "carol-pw"), forge, "carol")[0]
        assert logout(httpd, body["refresh_token"], all="true").json() == {}
        assert_oauth_error(refresh(httpd, b2["refresh_token"]), 400, "invalid_grant")


# --------------------------------------------------------------------------
# 2: statements of virtual hosts: no AH02653, other tables, own DBD settings

VHOST_CONF = harness.snippet("server-keys.conf", "endpoints.conf") + """
<VirtualHost 127.0.0.1:@PORT@>
    ServerName 127.0.0.1
</VirtualHost>
<VirtualHost 127.0.0.1:@PORT@>
    ServerName other-table.test
    AuthJWTRefreshTable ajwt_rt_other
</VirtualHost>
<VirtualHost 127.0.0.1:@PORT@>
    ServerName own-dbd.test
    DBDriver mysql
    DBDParams "dbname=@DBNAME@,sock=@DBSOCK@,user=@DBUSER@,pass=@DBPASS@,reconnect=0"
</VirtualHost>
"""


class TestVhostStatements:
    CONF = VHOST_CONF

    def _cycle(self, httpd, forge, host):
        h = {"Host": host}
        r = httpd.post("/auth/login", headers=h,
                       data={"username": "alice", "password": "alice-pw"})
        rt = assert_tokens(r, forge, "alice")[0]["refresh_token"]
        r = httpd.post("/auth/refresh", headers=h, data={"refresh_token": rt})
        rt2 = assert_tokens(r, forge, "alice")[0]["refresh_token"]
        return rt, rt2

    def test_ajwt_070_70_vhost_tables(self, httpd, forge, mariadb):
        mariadb.sql(f"CREATE TABLE IF NOT EXISTS ajwt_rt_other LIKE {TABLE}")
        main = self._cycle(httpd, forge, "127.0.0.1")
        other = self._cycle(httpd, forge, "other-table.test")
        own = self._cycle(httpd, forge, "own-dbd.test")
        for table, toks in ((TABLE, main + own), ("ajwt_rt_other", other)):
            hashes = {r[0] for r in mariadb.sql(f"SELECT token_hash FROM {table}")}
            for t in toks:
                assert sha256_hex(t) in hashes, (table, t)
        other_hashes = {r[0] for r in mariadb.sql(
            f"SELECT token_hash FROM {TABLE}")}
        assert not {sha256_hex(t) for t in other} & other_hashes
        # a token of the other table is unknown to the main server's table
        r = httpd.post("/auth/refresh", headers={"Host": "127.0.0.1"},
                       data={"refresh_token": other[1]})
        assert_oauth_error(r, 400, "invalid_grant")
        # many requests: every connection of each pool prepares lazily
        for host in ("other-table.test", "own-dbd.test", "127.0.0.1") * 3:
            self._cycle(httpd, forge, host)
        # the error-log check after this test fails on any AH02653
