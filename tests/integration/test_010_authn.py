# Licensed under the Apache License, Version 2.0.
"""test_ajwt_010_NN: bearer verification on protected locations, claims
export, authorization providers, internal redirects. Tokens are forged with
PyJWT (or by hand where PyJWT refuses), never by the module."""
import time

import pytest

import harness
from harness import assert_challenge, claims, parse_env, raw_token

CONF = harness.snippet("server-keys.conf") + r"""
<Location /hs>
    AuthType JWT
    AuthName "ajwt-hs"
    AuthJWTSignatureAlgorithm HS256
    AuthJWTSignatureSharedSecret "@HS256_B64@"
    Require valid-user
</Location>
<Location /es>
    AuthType JWT
    AuthName "ajwt-es"
    AuthJWTSignatureAlgorithm ES256
    AuthJWTSignaturePublicKeyFile "@KEYS@/ec-pub.pem"
    Require valid-user
</Location>
<Location /app>
    AuthType JWT
    AuthName "ajwt-app"
    Require valid-user
</Location>
# an ErrorDocument that is a CGI: an internal redirect after authentication
<Location /app/e404>
    ErrorDocument 404 /app/env.cgi
</Location>
# two keys told apart by kid
<Location /kid>
    AuthType JWT
    AuthName "ajwt-kid"
    AuthJWTSignaturePublicKeyFile "@KEYS@/rsa-pub.pem" k1
    AuthJWTSignaturePublicKeyFile "@KEYS@/rsa2-pub.pem" k2
    Require valid-user
</Location>
<Location /ps>
    AuthType JWT
    AuthName "ajwt-ps"
    AuthJWTSignatureAlgorithm PS256
    AuthJWTSignaturePublicKeyFile "@KEYS@/rsa-pub.pem"
    Require valid-user
</Location>
<Location /ed>
    AuthType JWT
    AuthName "ajwt-ed"
    AuthJWTSignatureAlgorithm EdDSA
    AuthJWTSignaturePublicKeyFile "@KEYS@/ed-pub.pem"
    Require valid-user
</Location>
<Location /api>
    AuthType JWT
    AuthName "ajwt-api"
    AuthJWTLeeway 30
    AuthJWTMaxTokenSize 600
    AuthJWTClaimHeaders On
    Require valid-user
</Location>
<Location /alt>
    AuthType JWT
    AuthName "ajwt-alt"
    AuthJWTUserClaim email
    AuthJWTExportClaims role email
    Require valid-user
</Location>
<Location /minimal>
    AuthType JWT
    AuthName "ajwt-none"
    AuthJWTExportClaims None
    Require valid-user
</Location>
<Location /admin>
    AuthType JWT
    AuthName "ajwt-admin"
    Require jwt-claim role admin
</Location>
<Location /admin/user>
    Require user alice
</Location>
<Location /admin/groups>
    Require jwt-claim groups staff ops
</Location>
<Location /admin/nested>
    Require jwt-claim org.unit sales
</Location>
<Location /admin/all>
    <RequireAll>
        Require jwt-claim role admin
        Require jwt-claim dept it
    </RequireAll>
</Location>
<Location /admin/any>
    <RequireAny>
        Require user bob
        Require jwt-claim role admin
    </RequireAny>
</Location>
<Location /admin/errdoc>
    ErrorDocument 401 /errors/401.html
    ErrorDocument 403 /errors/403.html
</Location>
<Location /idxhtml>
    AuthType JWT
    AuthName "ajwt-idx"
    Require valid-user
</Location>
<Location /ssi>
    AuthType JWT
    AuthName "ajwt-ssi"
    Require valid-user
</Location>
# mod_rewrite: per-directory rule (an internal redirect after authentication)
<Directory "@DOCROOT@/rw">
    AuthType JWT
    AuthName "ajwt-rw"
    Require valid-user
    RewriteEngine On
    RewriteRule "^go$" "env.cgi" [L]
</Directory>
# mod_rewrite: server-level rule passed through to a protected URL
RewriteEngine On
RewriteRule "^/pt/(.*)$" "/rw/$1" [PT]
"""

REALM = "ajwt-app"


class TestBearer:
    CONF = CONF

    # -- accepted algorithms and the environment of a CGI
    def test_ajwt_010_01_rs256_cgi_env(self, httpd, forge):
        t = forge.token("RS256", sub="alice", role="admin", email="alice@example.test")
        r = httpd.get("/app/env.cgi", token=t)
        assert r.status_code == 200, r.text
        env = parse_env(r.text)
        assert env["REMOTE_USER"] == "alice"
        assert env["AUTH_TYPE"] == "JWT"
        assert env["JWT_CLAIM_sub"] == "alice"
        assert env["JWT_CLAIM_role"] == "admin"
        assert env["JWT_CLAIM_email"] == "alice@example.test"
        assert env["JWT_CLAIM_iss"] == harness.ISS
        assert env["JWT_CLAIM_aud"] == harness.AUD
        assert "HTTP_AUTHORIZATION" not in env

    def test_ajwt_010_02_hs256(self, httpd, forge):
        r = httpd.get("/hs/env.cgi", token=forge.token("HS256", sub="hs-user"))
        assert r.status_code == 200, r.text
        assert parse_env(r.text)["REMOTE_USER"] == "hs-user"

    def test_ajwt_010_03_es256(self, httpd, forge):
        r = httpd.get("/es/env.cgi", token=forge.token("ES256", sub="es-user"))
        assert r.status_code == 200, r.text
        assert parse_env(r.text)["REMOTE_USER"] == "es-user"
        # the RS256 token does not open the ES256 location
        r = httpd.get("/es/env.cgi", token=forge.token("RS256"))
        assert_challenge(r, "ajwt-es", "invalid_token")

    def test_ajwt_010_40_ps256_eddsa(self, httpd, forge):
        assert httpd.get("/ps/x", token=forge.token("PS256")).status_code == 404
        assert httpd.get("/ed/x", token=forge.token("EdDSA")).status_code == 404
        assert_challenge(httpd.get("/ps/x", token=forge.token("RS256")), "ajwt-ps",
                         "invalid_token")
        assert_challenge(httpd.get("/ed/x", token=forge.token("ES256")), "ajwt-ed",
                         "invalid_token")

    def test_ajwt_010_41_kid(self, httpd, forge):
        k = "/kid/x"
        assert httpd.get(k, token=forge.token(headers={"kid": "k1"})).status_code == 404
        assert httpd.get(k, token=forge.token(key="rsa2", headers={"kid": "k2"})
                         ).status_code == 404
        for t in (forge.token(headers={"kid": "k2"}),          # wrong key for k2
                  forge.token(headers={"kid": "k3"}),          # unknown kid
                  forge.token()):                              # no kid, two keys
            assert_challenge(httpd.get(k, token=t), "ajwt-kid", "invalid_token")
        # one key without kid: a token's kid is ignored
        r = httpd.get("/app/env.cgi", token=forge.token(headers={"kid": "whatever"}))
        assert r.status_code == 200, r.headers

    def test_ajwt_010_42_typ_and_fractional_times(self, httpd, forge):
        for typ in ("at+jwt", "AT+JWT", "jwt"):
            r = httpd.get("/app/env.cgi", token=forge.token(headers={"typ": typ}))
            assert r.status_code == 200, (typ, r.headers.get("WWW-Authenticate"))
        now = time.time()
        t = forge.token(payload=dict(claims(), exp=now + 300.5, iat=now - 1.5,
                                     nbf=now - 1.25))
        assert httpd.get("/app/env.cgi", token=t).status_code == 200

    def test_ajwt_010_45_fractional_iat_just_past(self, httpd, forge):
        """iat/nbf a few milliseconds in the past, with leeway 0: valid. (A
        clock truncated to whole seconds calls them 'in the future' for up to
        a second.) Sent early in a second so truncation would show."""
        while not 0.05 < time.time() % 1 < 0.3:
            time.sleep(0.02)
        now = time.time()
        for name in ("iat", "nbf"):
            t = forge.token(payload=dict(claims(), **{name: now - 0.02}))
            r = httpd.get("/app/env.cgi", token=t)
            assert r.status_code == 200, (name, r.headers.get("WWW-Authenticate"))

    def test_ajwt_010_43_errordocument_redirect_env(self, httpd, forge):
        r = httpd.get("/app/e404/missing", token=forge.token(role="admin"))
        assert r.status_code == 404, r.status_code
        env = parse_env(r.text)
        assert env.get("REMOTE_USER") == "alice", r.text
        assert env.get("JWT_CLAIM_role") == "admin", r.text
        assert env.get("AUTH_TYPE") == "JWT", r.text

    def test_ajwt_010_44_head(self, httpd, forge):
        r = httpd.request("HEAD", "/app/env.cgi")
        assert_challenge(r, REALM, None)
        assert httpd.request("HEAD", "/app/static.txt", token=forge.token()).status_code == 200

    def test_ajwt_010_04_scheme_case_insensitive(self, httpd, forge):
        t = forge.token()
        r = httpd.get("/app/env.cgi", headers={"Authorization": f"bearer {t}"})
        assert r.status_code == 200, r.text

    # -- refused tokens: 401 invalid_token, never anonymous, never 500
    @pytest.mark.parametrize("case", [
        "expired", "nbf_future", "iat_future", "wrong_iss", "wrong_aud",
        "aud_array_without_ours", "missing_iss", "missing_aud", "bad_signature",
        "other_key", "alg_none", "alg_mismatch_hs_with_pubkey", "alg_lowercase",
        "missing_exp", "exp_string", "nbf_string", "sub_missing", "sub_number",
        "sub_empty", "two_parts", "four_parts", "padding", "garbage",
        "typ_bad", "crit", "header_not_object", "payload_not_json",
        "duplicate_member",
    ])
    def test_ajwt_010_05_refused(self, httpd, forge, keys, case):
        now = int(time.time())
        good = forge.token()
        h, p, s = good.split(".")
        rs = keys.pem("rsa")
        tokens = {
            "expired": lambda: forge.token(now=now - 100, lifetime=50),
            "nbf_future": lambda: forge.token(nbf=now + 120),
            "iat_future": lambda: forge.token(iat=now + 120),
            "wrong_iss": lambda: forge.token(iss="https://evil.test"),
            "wrong_aud": lambda: forge.token(aud="other-app"),
            "aud_array_without_ours": lambda: forge.token(aud=["a", "b"]),
            "missing_iss": lambda: forge.token(iss=None),
            "missing_aud": lambda: forge.token(aud=None),
            "bad_signature": lambda: f"{h}.{p}.{s[:-6]}AAAAAA",
            "other_key": lambda: forge.token(key="rsa2"),
            "alg_none": lambda: raw_token({"alg": "none", "typ": "JWT"}, claims()),
            "alg_mismatch_hs_with_pubkey": lambda: raw_token(
                {"alg": "HS256", "typ": "JWT"}, claims(),
                hmac_key=keys.pem("rsa-pub")),
            "alg_lowercase": lambda: _resign(forge, {"alg": "rs256"}, claims(), rs),
            "missing_exp": lambda: forge.token(exp=None),
            "exp_string": lambda: forge.token(exp=str(now + 300)),
            "nbf_string": lambda: forge.token(nbf=str(now)),
            "sub_missing": lambda: forge.token(sub=None),
            "sub_number": lambda: forge.token(payload=dict(claims(), sub=42)),
            "sub_empty": lambda: forge.token(sub=""),
            "two_parts": lambda: f"{h}.{p}",
            "four_parts": lambda: f"{h}.{p}.{s}.{s}",
            "padding": lambda: f"{h}.{p}.{s}==",
            "garbage": lambda: "not-a-token",
            "typ_bad": lambda: forge.token(headers={"typ": "JOSE+JSON"}),
            "crit": lambda: forge.token(headers={"crit": ["exp"], "exp": 1}),
            "header_not_object": lambda: _resign(forge, '["RS256"]', claims(), rs),
            "payload_not_json": lambda: _resign(forge, {"alg": "RS256"}, "{nope", rs),
            "duplicate_member": lambda: _resign(
                forge, {"alg": "RS256"},
                '{"iss":"%s","aud":"%s","sub":"mallory","sub":"alice","exp":%d}'
                % (harness.ISS, harness.AUD, now + 300), rs),
        }
        r = httpd.get("/app/env.cgi", token=tokens[case]())
        assert_challenge(r, REALM, "invalid_token")
        assert "REMOTE_USER" not in r.text

    def test_ajwt_010_06_aud_array_with_ours(self, httpd, forge):
        r = httpd.get("/app/env.cgi", token=forge.token(aud=["x", harness.AUD]))
        assert r.status_code == 200, r.text
        assert "JWT_CLAIM_aud=x," + harness.AUD in r.text

    def test_ajwt_010_07_no_token(self, httpd):
        r = httpd.get("/app/env.cgi")
        assert_challenge(r, REALM, None)

    @pytest.mark.parametrize("value", [
        "Bearer", "Bearer ", "Bearer  ", "Bearer a b", "Basic YWxpY2U6YWxpY2UtcHc=",
        "Bearer\t", "Token abc", "",
    ])
    def test_ajwt_010_08_bad_authorization(self, httpd, value):
        r = httpd.get("/app/env.cgi", headers={"Authorization": value})
        assert r.status_code == 401, (r.status_code, r.text[:200])
        scheme, params = harness.parse_challenge(r.headers["WWW-Authenticate"])
        assert scheme == "bearer" and params["realm"] == REALM
        assert params.get("error") in (None, "invalid_token", "invalid_request")

    def test_ajwt_010_09_two_valid_tokens(self, httpd, forge):
        t = forge.token()
        r = httpd.get("/app/env.cgi", headers={"Authorization": f"Bearer {t} {t}"})
        assert r.status_code == 401
        status, _h, _b = httpd.raw("GET", "/app/env.cgi", headers=[
            ("Authorization", f"Bearer {t}"), ("Authorization", f"Bearer {t}")])
        assert status in (400, 401), status

    def test_ajwt_010_10_query_token_ignored(self, httpd, forge):
        r = httpd.get("/app/env.cgi?access_token=" + forge.token())
        assert_challenge(r, REALM, None)

    def test_ajwt_010_11_leeway(self, httpd, forge):
        now = int(time.time())
        # 10 s expired: /api has 30 s leeway, /app none
        t = forge.token(now=now - 100, lifetime=90)
        assert httpd.get("/api/env.cgi", token=t).status_code == 200
        assert_challenge(httpd.get("/app/env.cgi", token=t), REALM, "invalid_token")
        t = forge.token(nbf=now + 10, iat=now + 10)
        assert httpd.get("/api/env.cgi", token=t).status_code == 200
        assert_challenge(httpd.get("/app/env.cgi", token=t), REALM, "invalid_token")
        # beyond the leeway
        t = forge.token(now=now - 200, lifetime=100)
        assert_challenge(httpd.get("/api/env.cgi", token=t), "ajwt-api", "invalid_token")

    def test_ajwt_010_12_max_token_size(self, httpd, forge):
        small = forge.token(sub="u")
        assert len(small) < 600
        assert httpd.get("/api/env.cgi", token=small).status_code == 200
        big = forge.token(sub="u", pad="x" * 400)
        assert len(big) > 600
        assert_challenge(httpd.get("/api/env.cgi", token=big), "ajwt-api", "invalid_token")
        # the default limit, 8192
        huge = forge.token(pad="x" * 9000)
        assert_challenge(httpd.get("/app/env.cgi", token=huge), REALM, "invalid_token")

    # -- claims in the environment and in headers
    def test_ajwt_010_13_forged_claim_headers_stripped(self, httpd, forge):
        t = forge.token(role="user")
        forged = {"X-JWT-Claim-Role": "admin", "X-JWT-Claim-sub": "root"}
        r = httpd.get("/app/env.cgi", token=t, headers=forged)
        env = parse_env(r.text)
        assert r.status_code == 200
        assert not any(k.startswith("HTTP_X_JWT_CLAIM_") for k in env), env
        # without a token the 401 comes first; with ClaimHeaders the real values win
        r = httpd.get("/api/env.cgi", token=t, headers=forged)
        env = parse_env(r.text)
        assert env.get("HTTP_X_JWT_CLAIM_ROLE") == "user", env
        assert env.get("HTTP_X_JWT_CLAIM_SUB") == "alice", env

    def test_ajwt_010_14_claim_values(self, httpd, forge):
        t = forge.token(payload=dict(
            claims(), **{"my-claim.x": "v", "groups": ["a", "b", "c"],
                         "org": {"unit": "sales", "n": 1}, "n": 42, "f": 1.5,
                         "ok": True, "ctl": "line1\nline2", "tab": "a\tb",
                         "del": "a\u007fb", "utf": "caf\u00e9"}))
        r = httpd.get("/app/env.cgi", token=t)
        r.encoding = "utf-8"        # the probe prints raw bytes, no charset
        assert r.status_code == 200, r.text
        env = parse_env(r.text)
        assert env.get("JWT_CLAIM_my_claim_x") == "v", env
        assert env.get("JWT_CLAIM_groups") == "a,b,c"
        assert env.get("JWT_CLAIM_org") in ('{"unit":"sales","n":1}',
                                             '{"n":1,"unit":"sales"}'), env
        assert env.get("JWT_CLAIM_n") == "42"
        assert env.get("JWT_CLAIM_f") in ("1.5", "1.50")
        assert env.get("JWT_CLAIM_ok") == "true"
        for k in ("JWT_CLAIM_ctl", "JWT_CLAIM_tab", "JWT_CLAIM_del"):
            assert k not in env, env
        assert "line2" not in r.text
        assert env.get("JWT_CLAIM_utf") == "caf\u00e9"

    def test_ajwt_010_17_nul_in_claim(self, httpd, forge):
        # a NUL cannot reach a C environment: the value must not be exported;
        # refusing the whole token (the module's JSON layer does) is also sound
        t = forge.token(payload=dict(claims(), nul="a\u0000b"))
        r = httpd.get("/app/env.cgi", token=t)
        if r.status_code == 200:
            assert "JWT_CLAIM_nul" not in parse_env(r.text)
        else:
            assert_challenge(r, REALM, "invalid_token")

    def test_ajwt_010_15_export_list_and_user_claim(self, httpd, forge):
        t = forge.token(sub="alice", role="admin", email="a@example.test", dept="it")
        r = httpd.get("/alt/env.cgi", token=t)
        assert r.status_code == 200, r.text
        env = parse_env(r.text)
        assert env["REMOTE_USER"] == "a@example.test"
        assert env["JWT_CLAIM_role"] == "admin"
        assert env["JWT_CLAIM_email"] == "a@example.test"
        assert "JWT_CLAIM_dept" not in env and "JWT_CLAIM_sub" not in env
        # without an email claim the user claim is missing: invalid_token
        assert_challenge(httpd.get("/alt/env.cgi", token=forge.token()),
                         "ajwt-alt", "invalid_token")

    def test_ajwt_010_16_export_none(self, httpd, forge):
        r = httpd.get("/minimal/env.cgi", token=forge.token(role="admin"))
        assert r.status_code == 200, r.text
        env = parse_env(r.text)
        assert env["REMOTE_USER"] == "alice" and env["AUTH_TYPE"] == "JWT"
        assert not any(k.startswith("JWT_CLAIM_") for k in env), env

    # -- authorization
    def test_ajwt_010_20_require_claim(self, httpd, forge):
        httpd.expect_log("AH01631")  # mod_authz_core logs every 403 at error level
        ok = forge.token(role="admin")
        r = httpd.get("/admin/env.cgi", token=ok)
        assert r.status_code == 200, r.text
        r = httpd.get("/admin/env.cgi", token=forge.token(role="user"))
        assert r.status_code == 403, r.status_code
        r = httpd.get("/admin/env.cgi", token=forge.token(role=["user", "admin"]))
        assert r.status_code == 200
        r = httpd.get("/admin/env.cgi")
        assert_challenge(r, "ajwt-admin", None)

    def test_ajwt_010_21_require_user(self, httpd, forge):
        httpd.expect_log("AH01631")  # mod_authz_core logs every 403 at error level
        assert httpd.get("/admin/user/x", token=forge.token(sub="alice")).status_code == 404
        assert httpd.get("/admin/user/x", token=forge.token(sub="bob")).status_code == 403

    def test_ajwt_010_22_require_claim_array_and_nested(self, httpd, forge):
        httpd.expect_log("AH01631")  # mod_authz_core logs every 403 at error level
        g = "/admin/groups/x"
        assert httpd.get(g, token=forge.token(groups=["dev", "ops"])).status_code == 404
        assert httpd.get(g, token=forge.token(groups="staff")).status_code == 404
        assert httpd.get(g, token=forge.token(groups=["dev"])).status_code == 403
        assert httpd.get(g, token=forge.token()).status_code == 403
        n = "/admin/nested/x"
        assert httpd.get(n, token=forge.token(org={"unit": "sales"})).status_code == 404
        assert httpd.get(n, token=forge.token(org={"unit": "hr"})).status_code == 403
        assert httpd.get(n, token=forge.token(**{"org.unit": "sales"})).status_code == 403

    def test_ajwt_010_23_require_all_any(self, httpd, forge):
        httpd.expect_log("AH01631")  # mod_authz_core logs every 403 at error level
        a = "/admin/all/x"
        assert httpd.get(a, token=forge.token(role="admin", dept="it")).status_code == 404
        assert httpd.get(a, token=forge.token(role="admin", dept="hr")).status_code == 403
        n = "/admin/any/x"
        assert httpd.get(n, token=forge.token(sub="bob", role="user")).status_code == 404
        assert httpd.get(n, token=forge.token(sub="eve", role="admin")).status_code == 404
        assert httpd.get(n, token=forge.token(sub="eve", role="user")).status_code == 403

    def test_ajwt_010_24_error_documents(self, httpd, forge):
        httpd.expect_log("AH01631")  # mod_authz_core logs every 403 at error level
        r = httpd.get("/admin/errdoc/x", token=forge.token(role="user"))
        assert r.status_code == 403 and "CUSTOM-403" in r.text
        r = httpd.get("/admin/errdoc/x")
        assert r.status_code == 401 and "CUSTOM-401" in r.text
        assert_challenge(r, "ajwt-admin", None)
        r = httpd.get("/admin/errdoc/x", token=forge.token(exp=1))
        assert r.status_code == 401 and "CUSTOM-401" in r.text
        assert_challenge(r, "ajwt-admin", "invalid_token")

    # -- sub-requests and internal redirects
    def test_ajwt_010_30_directory_index(self, httpd, forge):
        r = httpd.get("/idxhtml/", token=forge.token())
        assert r.status_code == 200 and r.text == "INDEX-HTML\n"
        assert_challenge(httpd.get("/idxhtml/"), "ajwt-idx", None)

    def test_ajwt_010_31_rewrite_directory(self, httpd, forge):
        r = httpd.get("/rw/go", token=forge.token(role="admin"))
        assert r.status_code == 200, r.text
        env = parse_env(r.text)
        assert env.get("REMOTE_USER") == "alice", env
        assert env.get("JWT_CLAIM_role") == "admin", env
        assert_challenge(httpd.get("/rw/go"), "ajwt-rw", None)

    def test_ajwt_010_32_rewrite_passthrough(self, httpd, forge):
        r = httpd.get("/pt/env.cgi", token=forge.token(role="admin"))
        assert r.status_code == 200, r.text
        env = parse_env(r.text)
        assert env.get("REMOTE_USER") == "alice" and env.get("JWT_CLAIM_role") == "admin"
        assert_challenge(httpd.get("/pt/env.cgi"), "ajwt-rw", None)

    def test_ajwt_010_33_ssi(self, httpd, forge):
        r = httpd.get("/ssi/page.shtml", token=forge.token(role="admin"))
        assert r.status_code == 200, r.text
        assert "SSI user=alice role=admin" in r.text

    def test_ajwt_010_34_static_and_public(self, httpd, forge):
        assert httpd.get("/static.txt").status_code == 200
        r = httpd.get("/app/static.txt", token=forge.token())
        assert r.status_code == 200 and r.text == "STATIC-app\n"


def _resign(forge, header, payload, pem):
    """RS256-sign an arbitrary header/payload text (PyJWT insists on a dict)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    import json
    hj = header if isinstance(header, str) else json.dumps(header)
    pj = payload if isinstance(payload, str) else json.dumps(payload)
    si = f"{harness.b64u(hj)}.{harness.b64u(pj)}".encode()
    key = serialization.load_pem_private_key(pem, None)
    sig = key.sign(si, padding.PKCS1v15(), hashes.SHA256())
    return f"{si.decode()}.{harness.b64u(sig)}"
