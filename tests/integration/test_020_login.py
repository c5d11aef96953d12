# Licensed under the Apache License, Version 2.0.
"""test_ajwt_020_NN: the login endpoint (jwt-login-handler) end to end with
mod_authn_file, mod_authn_dbd and the claims query in MariaDB."""
import json
import time

import pytest

import harness
from harness import (assert_challenge, assert_no_store, assert_oauth_error,
                     parse_env, sha256_hex)

CONF = harness.snippet("server-keys.conf", "endpoints.conf")


def login(httpd, user, pw, path="/auth/login", as_json=False, **extra):
    body = {"username": user, "password": pw, **extra}
    if as_json:
        return httpd.post(path, json=body)
    return httpd.post(path, data=body)


def refresh(httpd, rt, path="/auth/refresh", as_json=False, **extra):
    body = {"refresh_token": rt, **extra}
    return httpd.post(path, json=body) if as_json else httpd.post(path, data=body)


def logout(httpd, rt, path="/auth/logout", **extra):
    return httpd.post(path, data={"refresh_token": rt, **extra})


def assert_tokens(r, forge, sub, expires_in=600):
    assert r.status_code == 200, (r.status_code, r.text[:300])
    assert r.headers["Content-Type"].startswith("application/json"), r.headers
    assert_no_store(r)
    body = r.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == expires_in
    assert isinstance(body["refresh_token"], str) and len(body["refresh_token"]) >= 43
    c = forge.verify(body["access_token"])
    assert c["sub"] == sub
    return body, c


class TestLogin:
    CONF = CONF

    def test_ajwt_020_01_seed_flow(self, httpd, forge, mariadb):
        """login -> CGI -> refresh -> old refresh token refused, family revoked
        -> logout -> refresh refused."""
        r = login(httpd, "alice", "alice-pw")
        body, c = assert_tokens(r, forge, "alice")
        assert body["refresh_expires_in"] == 604800
        at, rt = body["access_token"], body["refresh_token"]
        r = httpd.get("/app/env.cgi", token=at)
        assert r.status_code == 200, r.text
        env = parse_env(r.text)
        assert env["REMOTE_USER"] == "alice" and env["AUTH_TYPE"] == "JWT"
        assert env["JWT_CLAIM_role"] == "admin"
        assert env["JWT_CLAIM_email"] == "alice@example.test"
        assert env["JWT_CLAIM_jti"] == c["jti"]
        # refresh: new pair, the presented token is spent
        r = refresh(httpd, rt)
        body2, c2 = assert_tokens(r, forge, "alice")
        rt2 = body2["refresh_token"]
        assert rt2 != rt and c2["jti"] != c["jti"]
        assert httpd.get("/app/env.cgi", token=body2["access_token"]).status_code == 200
        # replay of the spent token: refused, and the family is revoked
        assert_oauth_error(refresh(httpd, rt), 400, "invalid_grant")
        assert_oauth_error(refresh(httpd, rt2), 400, "invalid_grant")
        httpd.expect_log("AJWT02007")  # refresh-token reuse detected, on purpose
        # a fresh login, then logout: refresh refused afterwards
        body3, _ = assert_tokens(login(httpd, "alice", "alice-pw"), forge, "alice")
        r = logout(httpd, body3["refresh_token"])
        assert r.status_code == 200 and r.json() == {}
        assert_oauth_error(refresh(httpd, body3["refresh_token"]), 400, "invalid_grant")
        # the access token still works until it expires (stateless)
        assert httpd.get("/app/env.cgi", token=body3["access_token"]).status_code == 200

    def test_ajwt_020_02_issued_token_shape(self, httpd, forge):
        import jwt
        body, c = assert_tokens(login(httpd, "alice", "alice-pw"), forge, "alice")
        hdr = jwt.get_unverified_header(body["access_token"])
        assert hdr["alg"] == "RS256" and hdr["typ"] == "JWT"
        for k in ("iss", "aud", "sub", "iat", "nbf", "exp", "jti"):
            assert k in c, c
        assert c["iss"] == harness.ISS and c["aud"] == harness.AUD
        assert c["exp"] - c["iat"] == 600
        assert abs(c["iat"] - time.time()) < 5
        assert c["role"] == "admin" and c["email"] == "alice@example.test"
        jtis = {c["jti"]}
        for _ in range(3):
            _b, c2 = assert_tokens(login(httpd, "alice", "alice-pw"), forge, "alice")
            jtis.add(c2["jti"])
        assert len(jtis) == 4

    def test_ajwt_020_03_pyjwt_token_accepted(self, httpd, forge):
        r = httpd.get("/app/env.cgi", token=forge.token(sub="zed", role="x"))
        assert r.status_code == 200 and "REMOTE_USER=zed" in r.text

    def test_ajwt_020_04_wrong_password_unknown_user_identical(self, httpd):
        a = login(httpd, "alice", "wrong-pw")
        b = login(httpd, "nobody-here", "wrong-pw")
        c = login(httpd, "bob", "")
        body = assert_oauth_error(a, 400, "invalid_grant")
        assert (a.status_code, a.content) == (b.status_code, b.content)
        assert (a.status_code, a.content) == (c.status_code, c.content)
        assert a.headers["Content-Type"] == b.headers["Content-Type"]
        assert "access_token" not in body
        # mod_authn_file does not log a failed password itself (mod_auth_basic
        # does); the module logs it at info: nothing to ignore here.

    def test_ajwt_020_05_htpasswd_bcrypt_and_apr1(self, httpd, forge):
        assert_tokens(login(httpd, "alice", "alice-pw"), forge, "alice")   # bcrypt
        _b, c = assert_tokens(login(httpd, "bob", "bob-pw"), forge, "bob")  # apr1
        assert c["role"] == "user"

    def test_ajwt_020_06_provider_dbd(self, httpd, forge):
        _b, c = assert_tokens(login(httpd, "carol", "carol-pw", "/auth/login-dbd"),
                              forge, "carol")
        assert c["role"] == "editor"
        assert_oauth_error(login(httpd, "carol", "nope", "/auth/login-dbd"),
                           400, "invalid_grant")
        # carol is not in the htpasswd file
        assert_oauth_error(login(httpd, "carol", "carol-pw"), 400, "invalid_grant")
        # both providers, in order
        assert_tokens(login(httpd, "carol", "carol-pw", "/auth/login-both"), forge, "carol")
        assert_tokens(login(httpd, "bob", "bob-pw", "/auth/login-both"), forge, "bob")

    def test_ajwt_020_07_json_and_form(self, httpd, forge, mariadb):
        assert_tokens(login(httpd, "alice", "alice-pw", as_json=True), forge, "alice")
        r = httpd.post("/auth/login", data="username=alice&password=alice-pw",
                       headers={"Content-Type":
                                "application/x-www-form-urlencoded; charset=UTF-8"})
        assert_tokens(r, forge, "alice")
        r = httpd.post("/auth/login", data=json.dumps({"username": "alice",
                                                       "password": "alice-pw"}),
                       headers={"Content-Type": "application/json; charset=utf-8"})
        assert_tokens(r, forge, "alice")
        assert_tokens(login(httpd, "alice", "alice-pw", grant_type="password"),
                      forge, "alice")
        # a password with characters that need encoding
        u = httpd.site.add_user(mariadb, "percy", "p&ss=w rd+%")
        assert_tokens(login(httpd, u, "p&ss=w rd+%"), forge, "percy")

    def test_ajwt_020_08_methods(self, httpd):
        for path in ("/auth/login", "/auth/refresh", "/auth/logout"):
            for m in ("GET", "PUT", "DELETE"):
                r = httpd.request(m, path)
                assert r.status_code == 405, (path, m, r.status_code)
                assert "POST" in r.headers.get("Allow", ""), r.headers

    def test_ajwt_020_09_body_too_large(self, httpd):
        big = "username=alice&password=alice-pw&pad=" + "x" * 9000
        r = httpd.post("/auth/login", data=big, headers={
            "Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code == 413, r.status_code
        status, _h, _b = httpd.raw(
            "POST", "/auth/login",
            headers=[("Content-Type", "application/x-www-form-urlencoded")],
            chunks=[b"username=alice&password=alice-pw&pad="] + [b"x" * 1000] * 9)
        assert status == 413, status
        # a chunked body within the limit works
        status, _h, body = httpd.raw(
            "POST", "/auth/login",
            headers=[("Content-Type", "application/x-www-form-urlencoded")],
            chunks=[b"username=alice&", b"password=alice-pw"])
        assert status == 200, (status, body)

    def test_ajwt_020_20_body_limit_boundary(self, httpd, forge):
        head = "username=alice&password=alice-pw&pad="
        ct = {"Content-Type": "application/x-www-form-urlencoded"}
        r = httpd.post("/auth/login", data=head + "x" * (8192 - len(head)), headers=ct)
        assert_tokens(r, forge, "alice")
        r = httpd.post("/auth/login", data=head + "x" * (8193 - len(head)), headers=ct)
        assert r.status_code == 413, r.status_code

    def test_ajwt_020_21_sql_metacharacters(self, httpd):
        for path in ("/auth/login", "/auth/login-dbd"):
            for user in ("alice' OR '1'='1", "carol'-- ", 'x" OR 1=1 #', "%s", "al\\ice"):
                r = login(httpd, user, "alice-pw", path)
                assert_oauth_error(r, 400, "invalid_grant")

    def test_ajwt_020_22_options(self, httpd):
        for path in ("/auth/login", "/auth/refresh", "/auth/logout"):
            r = httpd.request("OPTIONS", path)
            assert r.status_code in (200, 204, 405), (path, r.status_code)
            assert "POST" in r.headers.get("Allow", ""), (path, r.headers)

    def test_ajwt_020_23_revoke_handler(self, httpd, forge, mariadb):
        httpd.site.add_user(mariadb, "rita", "rita-pw")
        a = assert_tokens(login(httpd, "rita", "rita-pw"), forge, "rita")[0]
        b = assert_tokens(login(httpd, "rita", "rita-pw"), forge, "rita")[0]
        # no token, a non-admin token: refused
        harness.assert_challenge(httpd.post("/auth/revoke", data={"username": "rita"}),
                                 "ajwt-revoke")
        r = httpd.post("/auth/revoke", data={"username": "rita"},
                       token=forge.token(role="user"))
        assert r.status_code == 403
        httpd.expect_log("AH01631")  # mod_authz_core logs the 403 at error level
        r = httpd.post("/auth/revoke", data={"username": "rita"},
                       token=forge.token(role="admin"))
        assert r.status_code == 200 and r.json() == {}, r.text
        for x in (a, b):
            assert_oauth_error(refresh(httpd, x["refresh_token"]), 400, "invalid_grant")
        assert_tokens(login(httpd, "rita", "rita-pw"), forge, "rita")

    @pytest.mark.parametrize("body,ctype", [
        ("password=alice-pw", "application/x-www-form-urlencoded"),
        ("username=alice", "application/x-www-form-urlencoded"),
        ("username=alice&username=bob&password=alice-pw",
         "application/x-www-form-urlencoded"),
        ("username=alice&password=alice-pw&password=x",
         "application/x-www-form-urlencoded"),
        ('{"username":"alice","username":"bob","password":"alice-pw"}',
         "application/json"),
        ('{"username":"alice","password":42}', "application/json"),
        ('["alice","alice-pw"]', "application/json"),
        ("{not json", "application/json"),
        ("", "application/x-www-form-urlencoded"),
        ("username=alice&password=alice-pw", "text/plain"),
        ("username=alice&password=alice-pw", None),
    ])
    def test_ajwt_020_10_invalid_request(self, httpd, body, ctype):
        headers = {"Content-Type": ctype} if ctype else {}
        r = httpd.post("/auth/login", data=body.encode(), headers=headers)
        assert_oauth_error(r, 400, "invalid_request")

    def test_ajwt_020_11_unsupported_grant_type(self, httpd):
        for gt in ("client_credentials", "authorization_code", "PASSWORD", ""):
            r = login(httpd, "alice", "alice-pw", grant_type=gt)
            if gt == "":
                assert r.status_code == 400, r.text
                continue
            assert_oauth_error(r, 400, "unsupported_grant_type")
        r = refresh(httpd, "x" * 43, grant_type="password")
        assert r.status_code == 400
        assert r.json()["error"] in ("unsupported_grant_type", "invalid_request")

    def test_ajwt_020_12_login_endpoint_refresh_grant(self, httpd, forge):
        body, _ = assert_tokens(login(httpd, "alice", "alice-pw"), forge, "alice")
        r = httpd.post("/auth/login", data={"grant_type": "refresh_token",
                                            "refresh_token": body["refresh_token"]})
        body2, _ = assert_tokens(r, forge, "alice")
        assert body2["refresh_token"] != body["refresh_token"]

    def test_ajwt_020_13_no_plaintext_in_table(self, httpd, forge, mariadb):
        body, _ = assert_tokens(login(httpd, "alice", "alice-pw"), forge, "alice")
        rt = body["refresh_token"]
        dump = mariadb.dump_table()
        assert rt not in dump
        assert body["access_token"] not in dump
        assert "alice-pw" not in dump
        assert sha256_hex(rt) in dump.lower(), "the SHA-256 hex of the token is stored"

    def test_ajwt_020_14_deactivated_user(self, httpd, forge, mariadb):
        site = httpd.site
        site.add_user(mariadb, "dora", "dora-pw", role="user")
        body, _ = assert_tokens(login(httpd, "dora", "dora-pw"), forge, "dora")
        mariadb.sql("UPDATE users SET active = 0 WHERE username = 'dora'")
        deact = login(httpd, "dora", "dora-pw")
        wrong = login(httpd, "dora", "not-it")
        assert_oauth_error(deact, 400, "invalid_grant")
        assert (deact.status_code, deact.content) == (wrong.status_code, wrong.content)
        assert_oauth_error(refresh(httpd, body["refresh_token"]), 400, "invalid_grant")
        # revocation is final: re-activation does not bring the family back
        mariadb.sql("UPDATE users SET active = 1 WHERE username = 'dora'")
        assert_oauth_error(refresh(httpd, body["refresh_token"]), 400, "invalid_grant")
        assert_tokens(login(httpd, "dora", "dora-pw"), forge, "dora")

    def test_ajwt_020_15_deactivated_before_refresh(self, httpd, forge, mariadb):
        httpd.site.add_user(mariadb, "dino", "dino-pw")
        body, _ = assert_tokens(login(httpd, "dino", "dino-pw"), forge, "dino")
        mariadb.sql("DELETE FROM users WHERE username = 'dino'")
        assert_oauth_error(refresh(httpd, body["refresh_token"]), 400, "invalid_grant")
        assert_oauth_error(login(httpd, "dino", "dino-pw"), 400, "invalid_grant")

    def test_ajwt_020_16_error_bodies_no_store(self, httpd):
        r = login(httpd, "alice", "bad")
        assert r.headers.get("Content-Type", "").startswith("application/json")
        assert "error_description" in r.json() or r.json().keys() == {"error"}

    def test_ajwt_020_17_protected_needs_token(self, httpd):
        assert_challenge(httpd.get("/app/env.cgi"), "ajwt-app", None)
