# Licensed under the Apache License, Version 2.0.
"""test_ajwt_085_NN: findings of the second adversarial review: token
endpoints enabled from .htaccess, a CSRF refusal inherited by an
ErrorDocument redirect, reuse detection after a spent token's expiry, a
claims-query 'sub' naming another user, a failing claims query spending the
token, an issued token over AuthJWTMaxTokenSize."""
import time

import harness
from harness import assert_oauth_error, parse_env, sha256_hex
from test_020_login import assert_tokens, login, refresh

TABLE = "auth_jwt_refresh_token"

CONF = harness.snippet("server-keys.conf", "endpoints.conf") + r"""
# a directory owner with AllowOverride FileInfo AuthConfig (Debian's userdir
# default) must not be able to open a token endpoint
<Directory "@DOCROOT@/ht">
    AllowOverride FileInfo AuthConfig
</Directory>
# cookie-authenticated locations, one the ErrorDocument of the other
Alias /ckerr "@DOCROOT@/app"
Alias /errck "@DOCROOT@/app"
<Location /ckerr>
    AuthType JWT
    AuthName "ajwt-ckerr"
    AuthJWTCookieName at
    Require valid-user
    ErrorDocument 403 /errck/env.cgi
</Location>
<Location /errck>
    AuthType JWT
    AuthName "ajwt-errck"
    AuthJWTCookieName at
    Require valid-user
</Location>
<Location /auth/login-sub-other>
    SetHandler jwt-login-handler
    AuthJWTProvider file
    AuthUserFile "@HTPASSWD@"
    AuthJWTClaimsQuery "SELECT 'carol' AS sub, role FROM users WHERE username = %s"
</Location>
<Location /auth/login-sub-case>
    SetHandler jwt-login-handler
    AuthJWTProvider file
    AuthUserFile "@HTPASSWD@"
    AuthJWTClaimsQuery "SELECT UPPER(username) AS sub, role FROM users WHERE username = %s"
</Location>
# fails at run time once there is more than one user
<Location /auth/refresh-broken>
    SetHandler jwt-refresh-handler
    AuthJWTClaimsQuery "SELECT (SELECT role FROM users) AS role FROM users WHERE username = %s"
</Location>
<Location /auth/login-big>
    SetHandler jwt-login-handler
    AuthJWTProvider file
    AuthUserFile "@HTPASSWD@"
    AuthJWTClaimsQuery "SELECT REPEAT('x', 9000) AS big FROM users WHERE username = %s"
</Location>
"""

HT_LOGIN = """SetHandler jwt-login-handler
AuthUserFile "{htpasswd}"
"""


class TestReviewTwo:
    CONF = CONF

    def test_ajwt_085_01_htaccess_cannot_enable_endpoints(self, httpd, site):
        for name, text in (
                ("sethandler", HT_LOGIN.format(htpasswd=site.htpasswd)),
                ("addhandler", "AddHandler jwt-login-handler .tok\n"
                               f'AuthUserFile "{site.htpasswd}"\n')):
            site.put(f"ht/{name}/.htaccess", text)
            site.put(f"ht/{name}/x.tok", "x")
            r = httpd.post(f"/ht/{name}/x.tok",
                           data={"username": "alice", "password": "alice-pw"})
            assert r.status_code == 403, (name, r.status_code, r.text[:200])
            assert "access_token" not in r.text
        # logged at error: a configuration a site owner must not get away with
        httpd.expect_log("AJWT02027")

    def test_ajwt_085_02_csrf_refusal_not_inherited_by_errordocument(self, httpd, forge):
        t = forge.token()
        r = httpd.post("/ckerr/env.cgi", data="transfer=1000&to=mallory",
                       headers={"Cookie": f"at={t}", "Origin": "http://evil.test",
                                "Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code == 403, r.status_code
        assert "REMOTE_USER=" not in r.text, r.text
        assert "SCRIPT=cgi" not in r.text, r.text

    def test_ajwt_085_03_spent_token_after_its_expiry_revokes(self, httpd, forge, mariadb):
        body, _ = assert_tokens(login(httpd, "alice", "alice-pw"), forge, "alice")
        old = body["refresh_token"]
        thief, _ = assert_tokens(refresh(httpd, old), forge, "alice")
        # the victim's token expired since the thief rotated it
        mariadb.sql(f"UPDATE {TABLE} SET expires_at = UNIX_TIMESTAMP() - 100 "
                    f"WHERE token_hash = '{sha256_hex(old)}'")
        assert_oauth_error(refresh(httpd, old), 400, "invalid_grant")
        httpd.expect_log("AJWT02007")  # reuse detected: a warning, on purpose
        # the thief's lineage is dead too
        assert_oauth_error(refresh(httpd, thief["refresh_token"]), 400, "invalid_grant")

    def test_ajwt_085_04_claims_sub_naming_another_user_refused(self, httpd, forge):
        r = login(httpd, "alice", "alice-pw", path="/auth/login-sub-other")
        assert_oauth_error(r, 500, "server_error")
        httpd.expect_log("AJWT02025")  # the admin's query is wrong: logged
        # a respelling (letter case) is what a sub column is for
        body, claims = assert_tokens(
            login(httpd, "alice", "alice-pw", path="/auth/login-sub-case"),
            forge, "ALICE")

    def test_ajwt_085_05_failing_claims_query_does_not_spend(self, httpd, forge, mariadb):
        body, _ = assert_tokens(login(httpd, "alice", "alice-pw"), forge, "alice")
        rt = body["refresh_token"]
        r = refresh(httpd, rt, "/auth/refresh-broken")
        assert_oauth_error(r, 503, "temporarily_unavailable")
        httpd.expect_log("AJWT02003", r"\[dbd", "AJWT02013")  # the query's error
        used = mariadb.sql(f"SELECT used_at FROM {TABLE} WHERE token_hash = "
                           f"'{sha256_hex(rt)}'")[0][0]
        assert used == "0", used
        assert_tokens(refresh(httpd, rt), forge, "alice")

    def test_ajwt_085_06_oversized_issued_token_refused(self, httpd, forge):
        r = login(httpd, "alice", "alice-pw", path="/auth/login-big")
        assert_oauth_error(r, 500, "server_error")
        httpd.expect_log("AJWT02026")
