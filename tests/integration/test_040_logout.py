# Licensed under the Apache License, Version 2.0.
"""test_ajwt_040_NN: logout (RFC 7009 style) and the database going away."""
import harness
from harness import assert_oauth_error
from test_020_login import CONF, assert_tokens, login, logout, refresh


class TestLogout:
    CONF = CONF

    def _login(self, httpd, forge, user="alice", pw="alice-pw"):
        return assert_tokens(login(httpd, user, pw), forge, user)[0]

    def test_ajwt_040_01_logout_revokes_family(self, httpd, forge):
        b = self._login(httpd, forge)
        r2 = assert_tokens(refresh(httpd, b["refresh_token"]), forge,
                           "alice")[0]["refresh_token"]
        # logging out with the current token revokes the whole family
        r = logout(httpd, r2)
        assert r.status_code == 200 and r.json() == {}
        assert_oauth_error(refresh(httpd, r2), 400, "invalid_grant")
        # logging out twice is fine
        assert logout(httpd, r2).status_code == 200

    def test_ajwt_040_02_unknown_token(self, httpd):
        r = logout(httpd, "B" * 43)
        assert r.status_code == 200 and r.json() == {}

    def test_ajwt_040_03_all(self, httpd, forge, mariadb):
        httpd.site.add_user(mariadb, "lou", "lou-pw")
        a = self._login(httpd, forge, "lou", "lou-pw")
        b = self._login(httpd, forge, "lou", "lou-pw")
        other = self._login(httpd, forge, "bob", "bob-pw")
        r = logout(httpd, a["refresh_token"], all="true")
        assert r.status_code == 200 and r.json() == {}
        assert_oauth_error(refresh(httpd, b["refresh_token"]), 400, "invalid_grant")
        assert_oauth_error(refresh(httpd, a["refresh_token"]), 400, "invalid_grant")
        assert_tokens(refresh(httpd, other["refresh_token"]), forge, "bob")

    def test_ajwt_040_04_missing_field(self, httpd):
        assert_oauth_error(httpd.post("/auth/logout", data={"x": "y"}), 400,
                           "invalid_request")
        r = httpd.post("/auth/logout", json={"refresh_token": "B" * 43})
        assert r.status_code == 200 and r.json() == {}


DEAD_CONF = CONF + """
# The default server, and a virtual host whose database is gone: its token
# endpoints answer 503, its protected locations keep working.
<VirtualHost 127.0.0.1:@PORT@>
    ServerName 127.0.0.1
</VirtualHost>
<VirtualHost 127.0.0.1:@PORT@>
    ServerName dead.test
    DBDParams "sock=@DEADSOCK@,user=@DBUSER@,pass=@DBPASS@,dbname=@DBNAME@,reconnect=0"
</VirtualHost>
"""

DEAD = {"Host": "dead.test"}


class TestDatabaseDown:
    CONF = DEAD_CONF
    LOG_IGNORE = [
        # mod_dbd of the dead.test host cannot connect: that is the test
        r"\[dbd:error\].*(AH00629|AH00633|AH00632|AH00630|dead\.sock)",
        r"\[dbd:error\].*Can't connect",
        r"\[dbd:crit\].*AH00636",  # mod_dbd: "child init failed" (dead.test pool)
    ]

    def test_ajwt_040_10_endpoints_503(self, httpd, forge):
        # the live server works
        b = assert_tokens(login(httpd, "alice", "alice-pw"), forge, "alice")[0]
        # the dead one does not
        for path, data in (("/auth/login", {"username": "alice", "password": "alice-pw"}),
                           ("/auth/refresh", {"refresh_token": b["refresh_token"]}),
                           ("/auth/logout", {"refresh_token": b["refresh_token"]})):
            r = httpd.post(path, data=data, headers=DEAD)
            assert_oauth_error(r, 503, "temporarily_unavailable")
        # the module logs each database failure at error level (a tag per site)
        # AJWT020xx: the store layer's "no database connection" (and friends)
        httpd.expect_log(r"\[auth_jwt:error\].*AJWT020\d\d")  # DB unreachable, on purpose
        # the token was not touched: it still refreshes on the live server
        assert_tokens(refresh(httpd, b["refresh_token"]), forge, "alice")

    def test_ajwt_040_11_protected_still_works(self, httpd, forge):
        r = httpd.get("/app/env.cgi", token=forge.token(), headers=DEAD)
        assert r.status_code == 200 and "REMOTE_USER=alice" in r.text
        harness.assert_challenge(httpd.get("/app/env.cgi", headers=DEAD), "ajwt-app")
