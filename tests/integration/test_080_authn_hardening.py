# Licensed under the Apache License, Version 2.0.
"""test_ajwt_080_NN: classes of attack on protected locations found in
review: forged claim headers in every spelling a back end may fold together,
claim names that collide after mapping, control characters beyond ASCII,
a private key and its public half configured together, PEM text given as an
HMAC secret, and the cookie token source with its CSRF rule."""
import time

import harness
from harness import assert_challenge, claims, parse_env

CONF = harness.snippet("server-keys.conf") + r"""
Alias /hk "@DOCROOT@/app"
<Location /hk>
    AuthType JWT
    AuthName "ajwt-hk"
    AuthJWTClaimHeaders On
    Require valid-user
    # what a proxied back end would receive, read after the module's fixups
    Header always set X-Seen-Dash "expr=%{req:X-JWT-Claim-role}"
    Header always set X-Seen-Underscore "expr=%{req:X_JWT_Claim_role}"
    Header always set X-Seen-Mixed "expr=%{req:x-jwt_claim-ROLE}"
</Location>
Alias /both "@DOCROOT@/app"
<Location /both>
    AuthType JWT
    AuthName "ajwt-both"
    # the private key (server level) and its own public half, neither with a
    # kid: one key, so tokens without a kid verify
    AuthJWTSignaturePrivateKeyFile "@KEYS@/rsa.pem"
    AuthJWTSignaturePublicKeyFile "@KEYS@/rsa-pub.pem"
    Require valid-user
</Location>
Alias /ck "@DOCROOT@/app"
<Location /ck>
    AuthType JWT
    AuthName "ajwt-ck"
    AuthJWTCookieName at
    Require valid-user
</Location>
"""


class TestHardening:
    CONF = CONF

    def test_ajwt_080_01_claim_headers_all_spellings_stripped(self, httpd, forge):
        t = forge.token(role="user")
        r = httpd.get("/hk/static.txt", token=t, headers={
            "X_JWT_Claim_role": "admin", "x-jwt_claim-ROLE": "admin",
            "X-JWT-CLAIM-ROLE": "admin"})
        assert r.status_code == 200, r.text
        # only the module's own header is left, whatever the spelling asked
        assert r.headers["X-Seen-Dash"] == "user"
        assert "admin" not in r.headers.get("X-Seen-Underscore", ""), r.headers
        assert "admin" not in r.headers.get("X-Seen-Mixed", ""), r.headers

    def test_ajwt_080_02_colliding_claim_names_not_exported(self, httpd, forge):
        t = forge.token(role="user", ROLE="admin", **{"ro-le": "x", "ro_le": "y"},
                        dept="it")
        r = httpd.get("/hk/env.cgi", token=t)
        assert r.status_code == 200, r.text
        env = parse_env(r.text)
        for name in ("JWT_CLAIM_role", "JWT_CLAIM_ROLE", "JWT_CLAIM_ro_le",
                     "HTTP_X_JWT_CLAIM_ROLE", "HTTP_X_JWT_CLAIM_RO_LE"):
            assert name not in env, (name, r.text)
        assert env["JWT_CLAIM_dept"] == "it"

    def test_ajwt_080_03_unicode_controls_not_exported(self, httpd, forge):
        t = forge.token(nel="a\u0085b", ls="a\u2028b", ok="caf\u00e9")
        env = parse_env(httpd.get("/hk/env.cgi", token=t).content.decode("utf-8"))
        assert "JWT_CLAIM_nel" not in env and "JWT_CLAIM_ls" not in env, env
        assert env["JWT_CLAIM_ok"] == "caf\u00e9"

    def test_ajwt_080_04_user_claim_with_unicode_control_refused(self, httpd, forge):
        for sub in ("ali\u0085ce", "alice\u2028"):
            r = httpd.get("/hk/static.txt", token=forge.token(sub=sub))
            assert_challenge(r, "ajwt-hk", "invalid_token")

    def test_ajwt_080_05_missing_exp_is_malformed(self, httpd, forge):
        r = httpd.get("/hk/static.txt", token=forge.token(exp=None))
        params = assert_challenge(r, "ajwt-hk", "invalid_token")
        assert params["error_description"] == "malformed token", params

    def test_ajwt_080_06_private_and_public_half_are_one_key(self, httpd, forge):
        r = httpd.get("/both/env.cgi", token=forge.token())
        assert r.status_code == 200, r.headers.get("WWW-Authenticate")

    # -- the cookie token source
    def test_ajwt_080_10_cookie_token(self, httpd, forge):
        t = forge.token(sub="cookie-user")
        r = httpd.get("/ck/env.cgi", headers={"Cookie": f"x=1; at={t}; y=2"})
        assert r.status_code == 200, r.headers.get("WWW-Authenticate")
        assert parse_env(r.text)["REMOTE_USER"] == "cookie-user"
        # no cookie, no header: a plain challenge
        assert_challenge(httpd.get("/ck/env.cgi"), "ajwt-ck", None)
        # a cookie on a location without AuthJWTCookieName is not read
        assert_challenge(httpd.get("/hk/env.cgi", headers={"Cookie": f"at={t}"}),
                         "ajwt-hk", None)

    def test_ajwt_080_11_header_wins_over_cookie(self, httpd, forge):
        good, bad = forge.token(sub="from-header"), forge.token(key="rsa2")
        r = httpd.get("/ck/env.cgi", token=good, headers={"Cookie": f"at={bad}"})
        assert parse_env(r.text)["REMOTE_USER"] == "from-header"
        r = httpd.get("/ck/env.cgi", token=bad, headers={"Cookie": f"at={good}"})
        assert_challenge(r, "ajwt-ck", "invalid_token")

    def test_ajwt_080_12_csrf_rule_for_cookie_auth(self, httpd, forge):
        t = forge.token()
        own = f"http://127.0.0.1:{httpd.port}"
        cookie = {"Cookie": f"at={t}"}
        refused = [{}, {"Origin": "http://evil.test"}, {"Origin": "null"},
                   {"Sec-Fetch-Site": "same-site"},
                   {"Sec-Fetch-Site": "cross-site"},
                   {"Origin": own + ".evil.test"}]
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            for extra in refused:
                r = httpd.request(method, "/ck/env.cgi", headers={**cookie, **extra})
                assert r.status_code == 403, (method, extra, r.status_code)
        for extra in ({"Origin": own}, {"Sec-Fetch-Site": "same-origin"},
                      {"Sec-Fetch-Site": "none"}):
            r = httpd.post("/ck/env.cgi", headers={**cookie, **extra})
            assert r.status_code == 200, (extra, r.status_code)
        # safe methods need nothing; bearer-authenticated requests are exempt
        assert httpd.get("/ck/env.cgi", headers=cookie).status_code == 200
        r = httpd.post("/ck/env.cgi", token=t, headers={"Origin": "http://evil.test"})
        assert r.status_code == 200


def test_ajwt_080_20_pem_as_hmac_secret_refused(server_factory):
    checker = server_factory("080-pem-secret")
    for directive in ('AuthJWTSignatureSharedSecretFile "@KEYS@/rsa-pub.pem"',):
        rc, out, _ = checker.configtest(
            "<Location /x>\nAuthType JWT\nAuthName x\n"
            "AuthJWTSignatureAlgorithm HS256\n" + directive +
            "\nRequire valid-user\n</Location>\n", "pem-secret")
        assert rc != 0, out
        assert "PEM" in out and "rsa-pub.pem" in out, out
