# Licensed under the Apache License, Version 2.0.
"""The harness itself, on a plain httpd without mod_auth_jwt: MariaDB up,
CGI and PHP probes run as the unprivileged user, mod_authn_dbd reaches the
private MariaDB over its socket, the error-log check works."""
import harness


class TestHarnessEvent:
    WITH_MODULE = False
    CONF = """
<Location /app>
    AuthType Basic
    AuthName "harness"
    AuthBasicProvider file
    AuthUserFile "@HTPASSWD@"
    Require valid-user
</Location>
<Location /api>
    AuthType Basic
    AuthName "harness-dbd"
    AuthBasicProvider dbd
    AuthDBDUserPWQuery "SELECT password FROM users WHERE username = %s AND active = 1"
    Require valid-user
</Location>
"""

    def test_ajwt_000_01_static_and_cgi(self, httpd):
        r = httpd.get("/static.txt")
        assert r.status_code == 200 and r.text == "PUBLIC-STATIC\n"
        r = httpd.get("/app/env.cgi", auth=("alice", "alice-pw"))
        assert r.status_code == 200, r.text
        env = harness.parse_env(r.text)
        assert env["REMOTE_USER"] == "alice" and env["AUTH_TYPE"] == "Basic"
        r = httpd.get("/app/env.cgi", auth=("bob", "bob-pw"))   # apr1
        assert r.status_code == 200 and "REMOTE_USER=bob" in r.text

    def test_ajwt_000_02_dbd_provider(self, httpd):
        r = httpd.get("/api/env.cgi", auth=("carol", "carol-pw"))
        assert r.status_code == 200, r.text
        assert "REMOTE_USER=carol" in r.text
        r = httpd.get("/api/env.cgi", auth=("carol", "wrong"))
        assert r.status_code == 401
        httpd.expect_log("AH01617")  # the wrong password above, on purpose

    def test_ajwt_000_03_sql_and_log(self, httpd, mariadb):
        assert mariadb.sql("SELECT role FROM users WHERE username='alice'") == [("admin",)]
        r = httpd.get("/app/env.cgi", auth=("alice", "nope"))
        assert r.status_code == 401
        # mod_authn_file logs a failed password at error level: AH01617
        httpd.expect_log("AH01617")  # wrong password provoked on purpose


class TestHarnessPrefork:
    WITH_MODULE = False
    MPM = "prefork"
    CONF = """
<Location /php>
    AuthType Basic
    AuthName "harness-php"
    AuthBasicProvider file
    AuthUserFile "@HTPASSWD@"
    Require valid-user
</Location>
"""

    def test_ajwt_000_10_php(self, httpd):
        r = httpd.get("/php/env.php", auth=("alice", "alice-pw"))
        assert r.status_code == 200, r.text
        env = harness.parse_env(r.text)
        assert env["SCRIPT"] == "php" and env["REMOTE_USER"] == "alice"
        r = httpd.get("/php/env.cgi", auth=("alice", "alice-pw"))
        assert "SCRIPT=cgi" in r.text
