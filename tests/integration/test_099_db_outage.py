# Licensed under the Apache License, Version 2.0.
"""test_ajwt_099_NN: MariaDB goes away and comes back (runs last: it stops
and restarts the session's database)."""
import time

from harness import assert_oauth_error, parse_env
from test_020_login import CONF, assert_tokens, login, logout, refresh


class TestDatabaseOutage:
    CONF = CONF
    LOG_IGNORE = [
        # while MariaDB is down (and for the first use of each pooled
        # connection after it is back) mod_dbd and the store log errors:
        r"\[dbd:error\]",
        r"\[auth_jwt:error\].*AJWT020\d\d",
        r"\[auth_jwt:warn\].*AJWT02016",   # statements prepared again: expected
    ]

    def test_ajwt_099_01_outage_and_recovery(self, httpd, forge, mariadb):
        b = assert_tokens(login(httpd, "alice", "alice-pw"), forge, "alice")[0]
        mariadb.stop()
        try:
            t0 = time.monotonic()
            assert_oauth_error(login(httpd, "alice", "alice-pw"), 503,
                               "temporarily_unavailable")
            assert time.monotonic() - t0 < 2, "the 503 must come at once"
            assert_oauth_error(refresh(httpd, b["refresh_token"]), 503,
                               "temporarily_unavailable")
            assert_oauth_error(logout(httpd, b["refresh_token"]), 503,
                               "temporarily_unavailable")
            # protected locations do not need the database
            r = httpd.get("/app/env.cgi", token=b["access_token"])
            assert r.status_code == 200 and parse_env(r.text)["REMOTE_USER"] == "alice"
        finally:
            mariadb.start()
        # back: the very next request works (the lost pooled connections are
        # replaced, test_220), and the refresh token was never spent by the
        # failed attempts
        assert_tokens(refresh(httpd, b["refresh_token"]), forge, "alice")
        assert_tokens(login(httpd, "bob", "bob-pw"), forge, "bob")
