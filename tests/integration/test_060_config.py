# Licensed under the Apache License, Version 2.0.
"""test_ajwt_060_NN: configuration inheritance, .htaccess, the minimal config."""
import harness
from harness import assert_challenge, parse_env

INHERIT_CONF = harness.snippet("server-keys.conf") + """
<Location /app>
    AuthType JWT
    AuthName "ajwt-app"
    Require valid-user
</Location>
<Location /app/nested>
    AuthJWTAud other-app
</Location>
<Location /api>
    AuthType JWT
    AuthName "ajwt-api"
    Require valid-user
</Location>
# .htaccess may carry AuthType, AuthName and Require, never keys or SQL
<Directory "@DOCROOT@/ht">
    AllowOverride AuthConfig
</Directory>
"""

HT_OK = 'AuthType JWT\nAuthName "ajwt-ht"\nRequire valid-user\n'


class TestInheritance:
    CONF = INHERIT_CONF

    def test_ajwt_060_01_server_keys_everywhere(self, httpd, forge):
        t = forge.token()
        for p in ("/app/env.cgi", "/api/env.cgi"):
            assert httpd.get(p, token=t).status_code == 200, p
        assert_challenge(httpd.get("/api/env.cgi", token=forge.token(iss="x")),
                         "ajwt-api", "invalid_token")
        assert_challenge(httpd.get("/api/env.cgi", token=forge.token("ES256")),
                         "ajwt-api", "invalid_token")

    def test_ajwt_060_02_nested_overrides_audience(self, httpd, forge):
        t = forge.token()
        assert_challenge(httpd.get("/app/nested/env.cgi", token=t), "ajwt-app",
                         "invalid_token")
        t2 = forge.token(aud="other-app")
        r = httpd.get("/app/nested/env.cgi", token=t2)
        assert r.status_code == 200, r.text
        assert parse_env(r.text)["REMOTE_USER"] == "alice"
        assert_challenge(httpd.get("/app/env.cgi", token=t2), "ajwt-app", "invalid_token")

    def test_ajwt_060_03_htaccess_authconfig(self, httpd, forge):
        httpd.site.put("ht/ok/.htaccess", HT_OK)
        r = httpd.get("/ht/ok/env.cgi", token=forge.token(role="r"))
        assert r.status_code == 200, r.text
        env = parse_env(r.text)
        assert env["REMOTE_USER"] == "alice" and env["JWT_CLAIM_role"] == "r"
        assert_challenge(httpd.get("/ht/ok/env.cgi"), "ajwt-ht", None)
        assert_challenge(httpd.get("/ht/ok/env.cgi", token=forge.token(aud="no")),
                         "ajwt-ht", "invalid_token")

    def test_ajwt_060_04_htaccess_key_refused(self, httpd, forge):
        httpd.site.put("ht/key/.htaccess", HT_OK + 'AuthJWTSignaturePublicKeyFile '
                       f'"{httpd.keys.path("rsa2-pub.pem")}"\n')
        r = httpd.get("/ht/key/env.cgi", token=forge.token(key="rsa2"))
        assert r.status_code == 500, r.status_code
        r = httpd.get("/ht/key/env.cgi", token=forge.token())
        assert r.status_code == 500, r.status_code
        # httpd refuses the .htaccess: "... not allowed here" at alert level
        httpd.expect_log(r"\[core:alert\].*ht/key/\.htaccess: "
                         r"AuthJWTSignaturePublicKeyFile not allowed here")

    def test_ajwt_060_05_htaccess_sql_refused(self, httpd, forge):
        httpd.site.put("ht/query/.htaccess", HT_OK + 'AuthJWTClaimsQuery '
                       '"SELECT password AS role FROM users WHERE username = %s"\n')
        r = httpd.get("/ht/query/env.cgi", token=forge.token())
        assert r.status_code == 500, r.status_code
        httpd.expect_log(r"\[core:alert\].*ht/query/\.htaccess: "
                         r"AuthJWTClaimsQuery not allowed here")

    def test_ajwt_060_06_htaccess_alg_refused(self, httpd, forge):
        httpd.site.put("ht/none/.htaccess", HT_OK + "AuthJWTSignatureAlgorithm HS256\n"
                       f'AuthJWTSignatureSharedSecret "{httpd.keys.hs256_b64}"\n')
        r = httpd.get("/ht/none/env.cgi", token=forge.token("HS256"))
        assert r.status_code == 500, r.status_code
        httpd.expect_log(r"\[core:alert\].*ht/none/\.htaccess: "
                         r"AuthJWTSignature\w+ not allowed here")


class TestMinimal:
    # Only what the contract calls the minimum: no issuer, no audience.
    CONF = """
<Location /minimal>
    AuthType JWT
    AuthName "ajwt-min"
    AuthJWTSignatureAlgorithm ES256
    AuthJWTSignaturePublicKeyFile "@KEYS@/ec-pub.pem"
    Require valid-user
</Location>
"""

    def test_ajwt_060_10_minimal(self, httpd, forge):
        now = harness.time.time()
        t = forge.token("ES256", payload={"sub": "min", "exp": int(now) + 60})
        r = httpd.get("/minimal/env.cgi", token=t)
        assert r.status_code == 200, r.text
        env = parse_env(r.text)
        assert env["REMOTE_USER"] == "min" and env["AUTH_TYPE"] == "JWT"
        assert env["JWT_CLAIM_sub"] == "min"
        # iss and aud are not checked when not configured
        t = forge.token("ES256", iss="anyone", aud="anything")
        assert httpd.get("/minimal/env.cgi", token=t).status_code == 200
        # exp is still required
        t = forge.token("ES256", payload={"sub": "min"})
        assert_challenge(httpd.get("/minimal/env.cgi", token=t), "ajwt-min",
                         "invalid_token")
        assert_challenge(httpd.get("/minimal/env.cgi"), "ajwt-min", None)


class TestPublicAndPrivateKey:
    # The natural configuration: the signing key and its public half, no kid.
    CONF = harness.snippet("endpoints.conf") + """
AuthJWTSignatureAlgorithm ES256
AuthJWTSignaturePrivateKeyFile "@KEYS@/ec.pem"
AuthJWTSignaturePublicKeyFile "@KEYS@/ec-pub.pem"
AuthJWTIss "@ISS@"
AuthJWTAud "@AUD@"
"""

    def test_ajwt_060_20_own_tokens_accepted(self, httpd, forge):
        r = httpd.post("/auth/login", data={"username": "alice", "password": "alice-pw"})
        assert r.status_code == 200, r.text
        at = r.json()["access_token"]
        forge.verify(at, alg="ES256", key="ec-pub")
        r = httpd.get("/app/env.cgi", token=at)
        assert r.status_code == 200, (r.status_code, r.headers.get("WWW-Authenticate"))
        assert httpd.get("/app/env.cgi", token=forge.token("ES256")).status_code == 200


class TestVirtualHosts:
    # Two ordinary name-based virtual hosts sharing the main server's
    # database: nothing about them deserves a warning at startup.
    CONF = harness.snippet("server-keys.conf", "endpoints.conf") + """
<VirtualHost 127.0.0.1:@PORT@>
    ServerName 127.0.0.1
</VirtualHost>
<VirtualHost 127.0.0.1:@PORT@>
    ServerName other.test
</VirtualHost>
"""

    def test_ajwt_060_30_vhosts_clean_startup(self, httpd, forge):
        for host in ("127.0.0.1", "other.test"):
            r = httpd.post("/auth/login", headers={"Host": host},
                           data={"username": "alice", "password": "alice-pw"})
            assert r.status_code == 200, (host, r.text)
            rt = r.json()["refresh_token"]
            r = httpd.post("/auth/refresh", headers={"Host": host},
                           data={"refresh_token": rt})
            assert r.status_code == 200, (host, r.text)
            r = httpd.get("/app/env.cgi", headers={"Host": host},
                          token=r.json()["access_token"])
            assert r.status_code == 200, (host, r.text)
        # the error-log check after this test fails on mod_dbd's AH02653
