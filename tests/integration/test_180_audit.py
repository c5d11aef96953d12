# Licensed under the Apache License, Version 2.0.
"""test_ajwt_180_NN: the audit line: every login success and failure and
every revocation, one parseable key=value line, in the error log (info) and
in AJWT_AUDIT for a CustomLog; never a password or a token."""
import time

import harness
from test_020_login import assert_tokens, login, logout, refresh

CONF = harness.snippet("server-keys.conf", "endpoints.conf") + r"""
LogLevel warn auth_jwt:info
CustomLog "@LOGS_DIR@/audit.log" "%{AJWT_AUDIT}e" env=AJWT_AUDIT
"""


def parse(line):
    return dict(kv.split("=", 1) for kv in line.split())


class TestAudit:
    CONF = CONF

    def audit_lines(self, httpd):
        path = httpd.logs / "audit.log"
        return path.read_text().splitlines() if path.exists() else []

    def audit(self, httpd, n, skip=0):
        """The lines after the first skip, once there are n of them (the
        log outlives a run: tests/gen is kept)."""
        for _ in range(50):   # the access log is written after the answer
            lines = self.audit_lines(httpd)[skip:]
            if len(lines) >= n:
                return lines
            time.sleep(0.05)
        return lines

    def test_ajwt_180_01_events(self, httpd, forge, mariadb):
        pw_wrong = "Wrong-Secret-Pw-1"
        before = len(self.audit_lines(httpd))
        login(httpd, "alice", pw_wrong)
        login(httpd, "no body", "x")
        body, _ = assert_tokens(login(httpd, "alice", "alice-pw"), forge, "alice")
        rt = body["refresh_token"]
        rt2 = assert_tokens(refresh(httpd, rt), forge, "alice")[0]["refresh_token"]
        refresh(httpd, rt)            # reuse: the family is revoked
        httpd.expect_log("AJWT02007")  # reuse detected, on purpose
        body, _ = assert_tokens(login(httpd, "alice", "alice-pw"), forge, "alice")
        logout(httpd, body["refresh_token"], all="true")
        lines = self.audit(httpd, 6, before)
        events = [parse(l) for l in lines]
        assert [(e["event"], e["outcome"], e["reason"]) for e in events] == [
            ("login", "failure", "wrong_password"),
            ("login", "failure", "unknown_user"),
            ("login", "success", "-"),
            ("revoke", "done", "reuse"),
            ("login", "success", "-"),
            ("revoke", "done", "logout_all"),
        ], lines
        assert events[1]["user"] == "no%20body"
        assert all(e["client"] == "127.0.0.1" for e in events)
        assert events[2]["family"] != "-" and len(events[2]["family"]) == 8
        text = "\n".join(lines) + httpd.logs.joinpath("error_log").read_text()
        for secret in (pw_wrong, "alice-pw", rt, rt2, body["refresh_token"],
                       body["access_token"]):
            assert secret not in text
        assert "AJWT00300: audit: event=login outcome=failure user=alice" in text
