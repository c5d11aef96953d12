# Licensed under the Apache License, Version 2.0.
"""test_ajwt_240_NN: AuthJWTVerifyCache, the per-process cache of verified
signatures. It saves the signature check of a token sent again, and nothing
else: every claim is checked on every request, an entry ends at the token's
exp, and a token verified under one location's keys or algorithm is never
taken for verified under another's."""
import time

import harness

CONF = harness.snippet("server-keys.conf") + r"""
LogLevel warn auth_jwt:trace1
AuthJWTVerifyCache On
<Location /app>
    AuthType JWT
    AuthName "ajwt-app"
    Require valid-user
</Location>
# the same keys, another audience
<Location /api>
    AuthType JWT
    AuthName "ajwt-api"
    AuthJWTAud "other-audience"
    Require valid-user
</Location>
# another key (same algorithm)
<Location /alt>
    AuthType JWT
    AuthName "ajwt-alt"
    AuthJWTSignaturePublicKeyFile "@KEYS@/rsa2-pub.pem"
    Require valid-user
</Location>
# the same key under another algorithm
<Location /es>
    AuthType JWT
    AuthName "ajwt-ps"
    AuthJWTSignatureAlgorithm PS256
    Require valid-user
</Location>
# the cache off
<Location /minimal>
    AuthType JWT
    AuthName "ajwt-min"
    AuthJWTVerifyCache Off
    Require valid-user
</Location>
"""

HIT = "signature known from the verify cache"


class TestVerifyCache:
    CONF = CONF

    def hits(self, httpd):
        return httpd.errlog.path.read_text(errors="replace").count(HIT)

    def test_ajwt_240_01_second_request_is_a_hit(self, httpd, forge):
        t = forge.token()
        before = self.hits(httpd)
        for _ in range(5):
            r = httpd.get("/app/static.txt", token=t)
            assert r.status_code == 200, r.text
        # one event child: the first request verifies, the rest hit
        assert self.hits(httpd) - before >= 3

    def test_ajwt_240_02_claims_still_checked(self, httpd, forge):
        t = forge.token()
        assert httpd.get("/app/static.txt", token=t).status_code == 200
        assert httpd.get("/app/static.txt", token=t).status_code == 200
        # cached under the same keys, but the audience is wrong here
        r = httpd.get("/api/static.txt", token=t)
        assert r.status_code == 401 and "invalid_token" in r.headers["WWW-Authenticate"]

    def test_ajwt_240_03_other_keys_or_alg_never_hit(self, httpd, forge):
        t = forge.token()
        assert httpd.get("/app/static.txt", token=t).status_code == 200
        assert httpd.get("/app/static.txt", token=t).status_code == 200
        assert httpd.get("/alt/static.txt", token=t).status_code == 401
        assert httpd.get("/es/static.txt", token=t).status_code == 401
        # and the cache off still works
        assert httpd.get("/minimal/static.txt", token=t).status_code == 200

    def test_ajwt_240_04_entry_ends_at_exp(self, httpd, forge):
        t = forge.token(lifetime=2)
        assert httpd.get("/app/static.txt", token=t).status_code == 200
        assert httpd.get("/app/static.txt", token=t).status_code == 200
        time.sleep(2.2)
        r = httpd.get("/app/static.txt", token=t)
        assert r.status_code == 401
        assert "expired" in r.headers["WWW-Authenticate"], r.headers

    def test_ajwt_240_05_tampered_token_misses(self, httpd, forge):
        t = forge.token()
        assert httpd.get("/app/static.txt", token=t).status_code == 200
        h, p, s = t.split(".")
        bad = f"{h}.{p}.{s[:-4]}{'AAAA' if s[-4:] != 'AAAA' else 'BBBB'}"
        assert httpd.get("/app/static.txt", token=bad).status_code == 401
        # a different payload with the original signature
        other = forge.token(sub="mallory")
        spliced = ".".join([h, other.split(".")[1], s])
        assert httpd.get("/app/static.txt", token=spliced).status_code == 401


class TestVerifyCachePrefork(TestVerifyCache):
    MPM = "prefork"

    def test_ajwt_240_01_second_request_is_a_hit(self, httpd, forge):
        # several processes, each with its own cache: at least some hits
        t = forge.token()
        before = self.hits(httpd)
        for _ in range(12):
            assert httpd.get("/app/static.txt", token=t).status_code == 200
        assert self.hits(httpd) - before >= 1
