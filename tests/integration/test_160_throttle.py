# Licensed under the Apache License, Version 2.0.
"""test_ajwt_160_NN: throttling of password and refresh-token guessing
(contract §6): per user name and per client address, exponential backoff,
429 with Retry-After and slow_down; on by default, AuthJWTThrottle Off."""
import http.client
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
    """Fail once as each of names (the free attempts), then log in as
    final_name with final_pw at once: the answer to that, or None when
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
        r = throttled(httpd, [(["bob"] * 10, "bob")] * 3, "bob-pw")
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
        r = throttled(httpd, [(["nobody-%d" % i] * 10, "nobody-%d" % i)
                              for i in range(3)], "x")
        assert_oauth_error(r, 429, "slow_down")

    def test_ajwt_160_03_off(self, httpd):
        for _ in range(15):
            assert_oauth_error(login(httpd, "carol-x", "wrong", path="/auth/login-free"),
                               400, "invalid_grant")


class TestThrottleAddress:
    CONF = CONF

    def test_ajwt_160_10_refresh_guessing_by_address(self, httpd):
        for i in range(100):
            assert_oauth_error(refresh(httpd, "A" * 43), 400, "invalid_grant")
        r = refresh(httpd, "A" * 43)
        assert_oauth_error(r, 429, "slow_down")
        assert "Retry-After" in r.headers


class TestThrottleBurst:
    CONF = CONF

    def test_ajwt_160_20_parallel_guesses_get_only_the_free_attempts(self, httpd):
        """Guesses sent all at once are counted while they are checked: no
        more than the free attempts reach the password check."""
        import concurrent.futures
        with concurrent.futures.ThreadPoolExecutor(30) as ex:
            rs = list(ex.map(lambda _: login(httpd, "bob", "wrong"), range(30)))
        codes = [r.status_code for r in rs]
        assert set(codes) <= {400, 429}, codes
        assert 1 <= codes.count(400) <= 10, codes


TIMING_CONF = harness.snippet("server-keys.conf") + r"""
LoadModule socache_shmcb_module "@LIBEXEC@/mod_socache_shmcb.so"
AuthJWTThrottleCache shmcb
<Location /auth/login>
    SetHandler jwt-login-handler
    AuthJWTProvider file
    AuthUserFile "@SITE@/timing.htpasswd"
    AuthJWTThrottle Off
</Location>
"""


class TestLoginTiming:
    """Unknown users and wrong passwords answer as slowly as the slowest
    password check known: the costliest bcrypt line of the AuthUserFile
    files (checked and timed at startup), or the slowest known-user check
    seen since (shared by every process, never lowered)."""
    CONF = TIMING_CONF

    def test_ajwt_160_30_failures_take_the_slowest_check(self, httpd, site):
        exe = harness.which("htpasswd", "install apache2-utils")
        slow = harness.run([exe, "-nbBC", "10", "slow", "slow-pw"]).stdout.strip()
        fast = harness.run([exe, "-nbm", "fast", "fast-pw"]).stdout.strip()
        path = site.base / "timing.htpasswd"
        path.write_text(f"{slow}\n{fast}\n")
        path.chmod(0o644)

        def took(user):
            t0 = time.monotonic()
            assert_oauth_error(login(httpd, user, "wrong"), 400, "invalid_grant")
            return time.monotonic() - t0

        for restart in ("start", "graceful"):
            if restart == "start":
                httpd.start()     # the startup reads the file
            else:
                harness.run([httpd.binary, "-f", str(httpd.conf), "-k", "graceful"])
                time.sleep(1.5)
            # from the first request on: nothing learned yet
            unknown = [took(f"nobody-{restart}-{i}") for i in range(3)]
            wrong = [took("fast") for _ in range(3)]
            slowest = min(took("slow") for _ in range(3))
            assert slowest > 0.02, slowest   # bcrypt cost 10 is measurable
            assert min(unknown) >= 0.8 * slowest, (restart, slowest, unknown)
            assert min(wrong) >= 0.8 * slowest, (restart, slowest, wrong)
        # fast wrong passwords cannot lower it
        for _ in range(20):
            took("fast")
        assert min(took(f"late-{i}") for i in range(3)) >= 0.8 * slowest


AUDIT_CONF = CONF + r"""
LogLevel warn auth_jwt:info
"""


class TestThrottleAudited:
    CONF = AUDIT_CONF

    def test_ajwt_160_40_throttled_attempt_is_audited(self, httpd):
        r = throttled(httpd, [(["audited-%d" % i] * 10, "audited-%d" % i)
                              for i in range(3)], "x")
        assert_oauth_error(r, 429, "slow_down")
        log = httpd.errlog.path.read_text(errors="replace")
        assert "event=login outcome=failure user=audited-" in log
        assert "reason=throttled" in log


def login_from(httpd, source_ip, user, pw):
    c = http.client.HTTPConnection("127.0.0.1", httpd.port, timeout=15,
                                   source_address=(source_ip, 0))
    try:
        c.request("POST", "/auth/login", body=f"username={user}&password={pw}",
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
        r = c.getresponse()
        r.read()
        return r.status, r.getheader("Retry-After")
    finally:
        c.close()


class TestThrottleFlood:
    CONF = CONF

    def test_ajwt_160_50_junk_failures_do_not_wipe_a_counter(self, httpd):
        """Every counter's key began "ajwt:", so shmcb kept them all in one
        of its subcaches, where a few hundred failures with made-up names
        from other addresses evicted a throttled user's counter. The keys
        now begin with a byte of a keyed digest, spread over all of them,
        and plain shmcb has 8 MB."""
        a = "127.0.0.2"
        for _ in range(10):
            assert login_from(httpd, a, "bob", "wrong")[0] == 400
        for wait in (1, 2, 4):  # the backoff doubles: 8 s after these
            time.sleep(wait + 0.2)
            assert login_from(httpd, a, "bob", "wrong")[0] == 400
        status, retry = login_from(httpd, a, "bob", "bob-pw")
        assert status == 429 and int(retry) >= 5, (status, retry)
        for ip in ("127.0.0.3", "127.0.0.4", "127.0.0.5"):
            for i in range(95):  # under each address's free attempts
                assert login_from(httpd, ip, f"junk-{ip}-{i}", "x")[0] == 400
        # however long the flood took (valgrind): one more failure, and
        # bob's next attempt waits if his count survived (a wiped count
        # would make that failure a free one, and let the password in)
        assert login_from(httpd, a, "bob", "wrong")[0] in (400, 429)
        status, retry = login_from(httpd, a, "bob", "bob-pw")
        assert status == 429, (status, retry)
