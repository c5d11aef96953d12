# Licensed under the Apache License, Version 2.0.
"""test_ajwt_050_NN: mod_php under the prefork MPM (and mod_cgi there)."""
import harness
from harness import assert_challenge, assert_oauth_error, parse_env
from test_020_login import assert_tokens, login, logout, refresh

CONF = harness.snippet("server-keys.conf", "endpoints.conf") + """
<Location /php>
    AuthType JWT
    AuthName "ajwt-php"
    Require valid-user
</Location>
<Location /idxphp>
    AuthType JWT
    AuthName "ajwt-idxphp"
    DirectoryIndex index.php index.html
    Require valid-user
</Location>
<Location /api>
    AuthType JWT
    AuthName "ajwt-api"
    AuthJWTClaimHeaders On
    Require jwt-claim role admin
</Location>
"""


class TestPHP:
    MPM = "prefork"
    CONF = CONF

    def test_ajwt_050_01_seed_flow_php(self, httpd, forge):
        b = assert_tokens(login(httpd, "alice", "alice-pw"), forge, "alice")[0]
        for path in ("/php/env.php", "/php/env.cgi"):
            r = httpd.get(path, token=b["access_token"])
            assert r.status_code == 200, (path, r.text)
            env = parse_env(r.text)
            assert env["SCRIPT"] == path.rsplit(".", 1)[1]
            assert env["REMOTE_USER"] == "alice" and env["AUTH_TYPE"] == "JWT", env
            assert env["JWT_CLAIM_role"] == "admin" and env["JWT_CLAIM_sub"] == "alice"
            assert env["JWT_CLAIM_email"] == "alice@example.test"
        b2 = assert_tokens(refresh(httpd, b["refresh_token"]), forge, "alice")[0]
        assert httpd.get("/php/env.php", token=b2["access_token"]).status_code == 200
        assert_oauth_error(refresh(httpd, b["refresh_token"]), 400, "invalid_grant")
        assert_oauth_error(refresh(httpd, b2["refresh_token"]), 400, "invalid_grant")
        httpd.expect_log("AJWT02007")  # refresh-token reuse detected, on purpose
        b3 = assert_tokens(login(httpd, "bob", "bob-pw"), forge, "bob")[0]
        assert logout(httpd, b3["refresh_token"]).status_code == 200
        assert_oauth_error(refresh(httpd, b3["refresh_token"]), 400, "invalid_grant")

    def test_ajwt_050_02_php_no_token(self, httpd):
        r = httpd.get("/php/env.php")
        assert_challenge(r, "ajwt-php", None)
        assert "SCRIPT=php" not in r.text

    def test_ajwt_050_03_php_forged_header(self, httpd, forge):
        httpd.expect_log("AH01631")  # mod_authz_core logs every 403 at error level
        t = forge.token(role="user")
        r = httpd.get("/php/env.php", token=t, headers={"X-JWT-Claim-Role": "admin"})
        env = parse_env(r.text)
        assert r.status_code == 200
        assert "HTTP_X_JWT_CLAIM_ROLE" not in env, env
        r = httpd.get("/api/env.php", token=forge.token(role="admin"),
                      headers={"X-JWT-Claim-Role": "forged"})
        env = parse_env(r.text)
        assert env.get("HTTP_X_JWT_CLAIM_ROLE") == "admin", env
        assert httpd.get("/api/env.php", token=t).status_code == 403

    def test_ajwt_050_04_directory_index_php(self, httpd, forge):
        r = httpd.get("/idxphp/", token=forge.token(role="admin"))
        assert r.status_code == 200, r.text
        assert r.text == "INDEX-PHP user=alice role=admin\n"
        assert_challenge(httpd.get("/idxphp/"), "ajwt-idxphp", None)

    def test_ajwt_050_05_bad_token_php(self, httpd, forge):
        r = httpd.get("/php/env.php", token=forge.token(exp=1))
        assert_challenge(r, "ajwt-php", "invalid_token")
