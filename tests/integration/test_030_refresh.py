# Licensed under the Apache License, Version 2.0.
"""test_ajwt_030_NN: refresh-token rotation, reuse detection, lifetimes."""
import concurrent.futures
import time

import harness
from harness import assert_oauth_error
from test_020_login import CONF, assert_tokens, login, refresh


class TestRefresh:
    CONF = CONF

    def _login(self, httpd, forge, user="alice", pw="alice-pw", path="/auth/login"):
        body, _ = assert_tokens(login(httpd, user, pw, path), forge, user)
        return body["refresh_token"]

    def test_ajwt_030_01_rotation_chain(self, httpd, forge):
        rt = self._login(httpd, forge)
        seen = {rt}
        for _ in range(4):
            body, c = assert_tokens(refresh(httpd, rt), forge, "alice")
            assert c["role"] == "admin"      # the claims query runs on refresh too
            rt = body["refresh_token"]
            assert rt not in seen
            seen.add(rt)
            assert body["refresh_expires_in"] == 604800

    def test_ajwt_030_02_json_body(self, httpd, forge):
        rt = self._login(httpd, forge)
        assert_tokens(refresh(httpd, rt, as_json=True, grant_type="refresh_token"),
                      forge, "alice")

    def test_ajwt_030_03_unknown_and_malformed(self, httpd, forge):
        assert_oauth_error(refresh(httpd, "A" * 43), 400, "invalid_grant")
        assert_oauth_error(refresh(httpd, "not a token!"), 400, "invalid_grant")
        at = forge.token()
        assert_oauth_error(refresh(httpd, at), 400, "invalid_grant")
        r = httpd.post("/auth/refresh", data={})
        assert_oauth_error(r, 400, "invalid_request")
        r = httpd.post("/auth/refresh", data="refresh_token=a&refresh_token=b",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert_oauth_error(r, 400, "invalid_request")

    def test_ajwt_030_04_reuse_revokes_family(self, httpd, forge):
        r1 = self._login(httpd, forge)
        r2 = assert_tokens(refresh(httpd, r1), forge, "alice")[0]["refresh_token"]
        # interval 0 at /auth/refresh: the immediate predecessor is refused too
        assert_oauth_error(refresh(httpd, r1), 400, "invalid_grant")
        assert_oauth_error(refresh(httpd, r2), 400, "invalid_grant")
        httpd.expect_log("AJWT02007")  # refresh-token reuse detected, on purpose
        # other families of the same user are untouched
        other = self._login(httpd, forge)
        assert_tokens(refresh(httpd, other), forge, "alice")

    def test_ajwt_030_05_grace_for_immediate_predecessor(self, httpd, forge):
        g = "/auth/refresh-grace"
        r1 = self._login(httpd, forge)
        r2 = assert_tokens(refresh(httpd, r1, g), forge, "alice")[0]["refresh_token"]
        # a second tab presents r1 again within the interval: a working successor
        body, _ = assert_tokens(refresh(httpd, r1, g), forge, "alice")
        r2b = body["refresh_token"]
        assert r2b != r2
        assert_tokens(refresh(httpd, r2b, g), forge, "alice")

    def test_ajwt_030_06_older_ancestor_revokes(self, httpd, forge):
        g = "/auth/refresh-grace"
        r1 = self._login(httpd, forge)
        r2 = assert_tokens(refresh(httpd, r1, g), forge, "alice")[0]["refresh_token"]
        r3 = assert_tokens(refresh(httpd, r2, g), forge, "alice")[0]["refresh_token"]
        assert_oauth_error(refresh(httpd, r1, g), 400, "invalid_grant")
        assert_oauth_error(refresh(httpd, r3, g), 400, "invalid_grant")
        httpd.expect_log("AJWT02007")  # refresh-token reuse detected, on purpose

    def test_ajwt_030_07_token_and_family_lifetime(self, httpd, forge):
        short = self._login(httpd, forge, path="/auth/login-short")
        # AuthJWTAccessTokenLifetime 60 there
        fam = assert_tokens(login(httpd, "alice", "alice-pw", "/auth/login-family"),
                            forge, "alice", expires_in=60)[0]["refresh_token"]
        # the family lifetime does not stop an early refresh; the new token
        # gets the refresh location's per-token lifetime but not a new family
        fam2 = assert_tokens(refresh(httpd, fam), forge, "alice")[0]["refresh_token"]
        time.sleep(2.2)
        assert_oauth_error(refresh(httpd, short), 400, "invalid_grant")
        assert_oauth_error(refresh(httpd, fam2), 400, "invalid_grant")

    def test_ajwt_030_08_concurrent_rotation(self, httpd, forge, mariadb):
        """8 parallel refreshes of one token, with and without the grace
        interval: never a 500, and once the interval has passed at most one
        of the lineages they started can still refresh."""
        for path in ("/auth/refresh", "/auth/refresh-grace"):
            rt = self._login(httpd, forge)
            with concurrent.futures.ThreadPoolExecutor(8) as ex:
                rs = list(ex.map(lambda _: refresh(httpd, rt, path), range(8)))
            for r in rs:
                assert r.status_code in (200, 400), (r.status_code, r.text)
            news = [r.json()["refresh_token"] for r in rs if r.status_code == 200]
            assert news
            # the interval passes for every spent row of the family
            fam = mariadb.sql("SELECT family_id FROM auth_jwt_refresh_token "
                              f"WHERE token_hash = '{harness.sha256_hex(rt)}'")[0][0]
            mariadb.sql("UPDATE auth_jwt_refresh_token SET used_at = used_at - "
                        f"3600 WHERE family_id = '{fam}' AND used_at > 0")
            ok = sum(refresh(httpd, t, path).status_code == 200 for t in news)
            assert ok <= 1, (path, ok, len(news))
        httpd.expect_log("AJWT02007")  # refresh-token reuse detected, on purpose

    def test_ajwt_030_10_interval_zero_after_a_second(self, httpd, forge):
        """Interval 0, replay more than a second later: the family is revoked
        (compare 030_04, the same replay within the same second)."""
        r1 = self._login(httpd, forge)
        r2 = assert_tokens(refresh(httpd, r1), forge, "alice")[0]["refresh_token"]
        time.sleep(1.1)
        assert_oauth_error(refresh(httpd, r1), 400, "invalid_grant")
        assert_oauth_error(refresh(httpd, r2), 400, "invalid_grant")
        httpd.expect_log("AJWT02007")  # refresh-token reuse detected, on purpose

    def test_ajwt_030_09_refresh_row_is_hash(self, httpd, forge, mariadb):
        rt = self._login(httpd, forge)
        rt2 = assert_tokens(refresh(httpd, rt), forge, "alice")[0]["refresh_token"]
        dump = mariadb.dump_table().lower()
        for t in (rt, rt2):
            assert t.lower() not in dump
            assert harness.sha256_hex(t) in dump
