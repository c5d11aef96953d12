# Licensed under the Apache License, Version 2.0.
"""test_ajwt_120_NN: key forms and key rotation: issued tokens carry the
signing key's kid, tokens of the previous key keep working until they
expire, HMAC secrets as base64url and as a raw file."""
import jwt

import harness
from harness import assert_challenge, claims, parse_env
from test_020_login import login

CONF = r"""
# rotation: k2 signs now, k1 (the previous key) still verifies
AuthJWTSignatureAlgorithm RS256
AuthJWTSignaturePrivateKeyFile "@KEYS@/rsa.pem" k2
AuthJWTSignaturePublicKeyFile "@KEYS@/rsa2-pub.pem" k1
AuthJWTIss "@ISS@"
AuthJWTAud "@AUD@"
<Location /auth/login>
    SetHandler jwt-login-handler
    AuthJWTProvider file
    AuthUserFile "@HTPASSWD@"
</Location>
<Location /app>
    AuthType JWT
    AuthName "ajwt-rot"
    Require valid-user
</Location>
Alias /hsurl "@DOCROOT@/hs"
<Location /hsurl>
    AuthType JWT
    AuthName "ajwt-hsurl"
    AuthJWTSignatureAlgorithm HS256
    AuthJWTSignatureSharedSecret "@HSURL_B64URL@"
    Require valid-user
</Location>
Alias /hsfile "@DOCROOT@/hs"
<Location /hsfile>
    AuthType JWT
    AuthName "ajwt-hsfile"
    AuthJWTSignatureAlgorithm HS256
    AuthJWTSignatureSharedSecretFile "@KEYS@/hs256.bin"
    Require valid-user
</Location>
"""


class TestKeys:
    CONF = CONF

    def test_ajwt_120_01_issued_token_carries_kid(self, httpd, keys):
        r = login(httpd, "alice", "alice-pw")
        assert r.status_code == 200, r.text
        t = r.json()["access_token"]
        assert jwt.get_unverified_header(t)["kid"] == "k2"
        jwt.decode(t, keys.pem("rsa-pub"), algorithms=["RS256"],
                   audience=harness.AUD, issuer=harness.ISS)
        assert parse_env(httpd.get("/app/env.cgi", token=t).text)["REMOTE_USER"] == "alice"

    def test_ajwt_120_02_previous_key_still_verifies(self, httpd, forge):
        old = forge.token(key="rsa2", headers={"kid": "k1"})
        assert httpd.get("/app/env.cgi", token=old).status_code == 200
        # each kid names exactly one key: k2 with the old key's signature fails
        assert_challenge(httpd.get("/app/env.cgi",
                                   token=forge.token(key="rsa2", headers={"kid": "k2"})),
                         "ajwt-rot", "invalid_token")
        # with two keys a token must say which
        assert_challenge(httpd.get("/app/env.cgi", token=forge.token()),
                         "ajwt-rot", "invalid_token")

    def test_ajwt_120_03_hmac_secret_forms(self, httpd, keys):
        assert "-" in keys.hsurl_b64url and "_" in keys.hsurl_b64url
        t = jwt.encode(claims(), keys.HSURL, algorithm="HS256")
        r = httpd.get("/hsurl/env.cgi", token=t)
        assert r.status_code == 200, r.headers.get("WWW-Authenticate")
        # the raw file form
        t = jwt.encode(claims(), keys.hs256, algorithm="HS256")
        r = httpd.get("/hsfile/env.cgi", token=t)
        assert r.status_code == 200, r.headers.get("WWW-Authenticate")
