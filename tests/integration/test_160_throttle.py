# Licensed under the Apache License, Version 2.0.
"""test_ajwt_160_NN: throttling of password and refresh-token guessing
(contract §6): per user name and per client address, exponential backoff,
429 with Retry-After and slow_down; on by default, AuthJWTThrottle Off."""
import time

import harness
from harness import assert_oauth_error
from test_020_login import assert_tokens, login, refresh

CONF = harness.snippet("server-keys.conf") + r"""
# counters shared by every child process
LoadModule socache_shmcb_module "@LIBEXEC@/mod_socache_shmcb.so"
AuthJWTThrottleCache shmcb
<Location /auth/login>
    SetHandler jwt-login-handler
    AuthJWTProvider file
    AuthUserFile "@HTPASSWD@"
</Location>
<Location /auth/refresh>
    SetHandler jwt-refresh-handler
</Location>
<Location /auth/login-free>
    SetHandler jwt-login-handler
    AuthJWTProvider file
    AuthUserFile "@HTPASSWD@"
    AuthJWTThrottle Off
</Location>
"""


def after_free_failures(httpd, names, final_name, final_pw):
    """Fail once as each of names (the free attempts and one more), then log
    in as final_name with final_pw at once: the answer to that, or None when
    this machine took a full second between the last failure and that
    answer, so that the 1 s backoff had legitimately run out."""
    for name in names:
        sent = time.monotonic()
        assert_oauth_error(login(httpd, name, "wrong"), 400, "invalid_grant")
    r = login(httpd, final_name, final_pw)
    if r.status_code != 429 and time.monotonic() - sent >= 1.0:
        return None
    return r


def throttled(httpd, tries, final_pw):
    """Run the scenario for each (names, final_name) of tries until one ran
    fast enough to judge (retried, never waived)."""
    for names, final_name in tries:
        r = after_free_failures(httpd, names, final_name, final_pw)
        if r is not None:
            return r
    raise AssertionError("every try took longer than the 1 s backoff")


class TestThrottle:
    CONF = CONF

    def test_ajwt_160_01_user_backoff(self, httpd, forge):
        # even the right password waits (a login that got through because
        # the machine was slow clears the counter: the scenario can rerun)
        r = throttled(httpd, [(["bob"] * 11, "bob")] * 3, "bob-pw")
        body = assert_oauth_error(r, 429, "slow_down")
        assert int(r.headers["Retry-After"]) >= 1, r.headers
        assert body.get("error_description")
        # another user is not affected
        assert_tokens(login(httpd, "alice", "alice-pw"), forge, "alice")
        # after the wait the right password works and resets the counter
        time.sleep(int(r.headers["Retry-After"]) + 0.2)
        assert_tokens(login(httpd, "bob", "bob-pw"), forge, "bob")
        assert_oauth_error(login(httpd, "bob", "wrong"), 400, "invalid_grant")

    def test_ajwt_160_02_unknown_user_throttled_alike(self, httpd):
        r = throttled(httpd, [(["nobody-%d" % i] * 11, "nobody-%d" % i)
                              for i in range(3)], "x")
        assert_oauth_error(r, 429, "slow_down")

    def test_ajwt_160_03_off(self, httpd):
        for _ in range(15):
            assert_oauth_error(login(httpd, "carol-x", "wrong", path="/auth/login-free"),
                               400, "invalid_grant")


class TestThrottleAddress:
    CONF = CONF

    def test_ajwt_160_10_refresh_guessing_by_address(self, httpd):
        for i in range(101):
            assert_oauth_error(refresh(httpd, "A" * 43), 400, "invalid_grant")
        r = refresh(httpd, "A" * 43)
        assert_oauth_error(r, 429, "slow_down")
        assert "Retry-After" in r.headers
