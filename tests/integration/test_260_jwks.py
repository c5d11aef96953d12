# Licensed under the Apache License, Version 2.0.
"""test_ajwt_260_NN: JWK Sets (contract §6). jwt-jwks-handler publishes the
public verification keys of its context; AuthJWTJWKSFile verifies with the
keys of a JWK Set file. The JWK Sets read here are written by python3-jwcrypto
and the published ones are read back with it: an implementation independent
of the module."""
import json

import jwt
import pytest
from jwcrypto import jwk

import harness
from harness import assert_challenge, parse_env
from test_020_login import login


def _jwk(keys, name, **extra):
    k = jwk.JWK.from_pem(keys.pem(name))
    d = json.loads(k.export_public())
    d.update(extra)
    return d


@pytest.fixture(scope="module", autouse=True)
def jwks_files(keys):
    """JWK Set files, written before the class's httpd starts."""
    enc = jwk.JWK.generate(kty="RSA", size=2048)
    sets = {
        # e1 (ec) verifies, r1 (rsa) verifies RS256; the rest is passed over
        "jwks-mixed.json": [
            _jwk(keys, "ec-pub", kid="e1", use="sig", alg="ES256"),
            _jwk(keys, "rsa-pub", kid="r1"),
            dict(json.loads(enc.export_public()), kid="enc1", use="enc"),
            {"kty": "XYZ", "kid": "future"},
            _jwk(keys, "ed-pub", kid="d1", key_ops=["verify"]),
        ],
        # rotation: the old key (ec, e1) and the new one (ec2, e2)
        "jwks-rotate.json": [
            _jwk(keys, "ec-pub", kid="e1"),
            _jwk(keys, "ec2-pub", kid="e2"),
        ],
        "jwks-rsa-only.json": [_jwk(keys, "rsa-pub", kid="r1")],
        "jwks-enc-only.json": [dict(json.loads(enc.export_public()),
                                    kid="enc1", use="enc")],
        "jwks-private.json": [dict(json.loads(
            jwk.JWK.from_pem(keys.pem("ec")).export_private()), kid="p1")],
    }
    for name, ks in sets.items():
        (keys.dir / name).write_text(json.dumps({"keys": ks}, indent=1))
    (keys.dir / "jwks-broken.json").write_text('{"keys": [')
    (keys.dir / "jwks-dupkid.json").write_text(json.dumps({"keys": [
        _jwk(keys, "ec-pub", kid="x"), _jwk(keys, "ec2-pub", kid="x")]}))
    yield


CONF = r"""
# a login node: ES256, signs with ec (kid e1), also verifies ec2 (kid e2)
AuthJWTIss "@ISS@"
AuthJWTAud "@AUD@"
<Location /auth>
    AuthJWTSignatureAlgorithm ES256
    AuthJWTSignaturePrivateKeyFile "@KEYS@/ec.pem" e1
    AuthJWTSignaturePublicKeyFile "@KEYS@/ec2-pub.pem" e2
</Location>
<Location /auth/login>
    SetHandler jwt-login-handler
    AuthJWTProvider file
    AuthUserFile "@HTPASSWD@"
</Location>
<Location /auth/jwks>
    SetHandler jwt-jwks-handler
</Location>
# kid-less RSA and Ed25519 keys: published under their RFC 7638 thumbprint
<Location /rsa-jwks>
    SetHandler jwt-jwks-handler
    AuthJWTSignatureAlgorithm PS256
    AuthJWTSignaturePublicKeyFile "@KEYS@/rsa-pub.pem"
</Location>
<Location /ed-jwks>
    SetHandler jwt-jwks-handler
    AuthJWTSignatureAlgorithm EdDSA
    AuthJWTSignaturePrivateKeyFile "@KEYS@/ed.pem"
</Location>
<Location /hs-jwks>
    SetHandler jwt-jwks-handler
    AuthJWTSignatureAlgorithm HS256
    AuthJWTSignatureSharedSecret "@HS256_B64@"
</Location>
<Location /none-jwks>
    SetHandler jwt-jwks-handler
</Location>
# verify-only locations reading JWK Set files
Alias /es "@DOCROOT@/app"
<Location /es>
    AuthType JWT
    AuthName "ajwt-es"
    AuthJWTSignatureAlgorithm ES256
    AuthJWTJWKSFile "@KEYS@/jwks-mixed.json"
    Require valid-user
</Location>
Alias /rs "@DOCROOT@/app"
<Location /rs>
    AuthType JWT
    AuthName "ajwt-rs"
    AuthJWTSignatureAlgorithm RS256
    AuthJWTJWKSFile "@KEYS@/jwks-mixed.json"
    Require valid-user
</Location>
Alias /ed "@DOCROOT@/app"
<Location /ed>
    AuthType JWT
    AuthName "ajwt-ed"
    AuthJWTSignatureAlgorithm EdDSA
    AuthJWTJWKSFile "@KEYS@/jwks-mixed.json"
    Require valid-user
</Location>
Alias /rot "@DOCROOT@/app"
<Location /rot>
    AuthType JWT
    AuthName "ajwt-rot"
    AuthJWTSignatureAlgorithm ES256
    AuthJWTJWKSFile "@KEYS@/jwks-rotate.json"
    Require valid-user
</Location>
# the same file twice with a PEM key: the files add up
Alias /both "@DOCROOT@/app"
<Location /both>
    AuthType JWT
    AuthName "ajwt-both"
    AuthJWTSignatureAlgorithm RS256
    AuthJWTSignaturePublicKeyFile "@KEYS@/rsa2-pub.pem" r2
    AuthJWTJWKSFile "@KEYS@/jwks-rsa-only.json"
    Require valid-user
</Location>
# a JWK Set with private members: only the public half is used
Alias /priv "@DOCROOT@/app"
<Location /priv>
    AuthType JWT
    AuthName "ajwt-priv"
    AuthJWTSignatureAlgorithm ES256
    AuthJWTJWKSFile "@KEYS@/jwks-private.json"
    Require valid-user
</Location>
<Location /priv-jwks>
    SetHandler jwt-jwks-handler
    AuthJWTSignatureAlgorithm ES256
    AuthJWTJWKSFile "@KEYS@/jwks-private.json"
</Location>
"""


def _remote_user(r):
    assert r.status_code == 200, (r.status_code, r.headers.get("WWW-Authenticate"))
    return parse_env(r.text)["REMOTE_USER"]


class TestJwks:
    CONF = CONF

    def test_ajwt_260_01_published_set(self, httpd):
        r = httpd.get("/auth/jwks")
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"] == "application/jwk-set+json"
        assert "max-age" in r.headers.get("Cache-Control", "")
        body = r.json()
        assert set(body) == {"keys"}
        by_kid = {k["kid"]: k for k in body["keys"]}
        assert set(by_kid) == {"e1", "e2"}
        for k in body["keys"]:
            assert k["kty"] == "EC" and k["crv"] == "P-256"
            assert k["use"] == "sig" and k["alg"] == "ES256"
            assert set(k) == {"kty", "crv", "x", "y", "kid", "use", "alg"}, k
        # the private key's public half, as an independent library sees it
        mine = jwk.JWK.from_pem(httpd.keys.pem("ec-pub"))
        assert jwk.JWK(**by_kid["e1"]).thumbprint() == mine.thumbprint()

    def test_ajwt_260_02_published_keys_verify_issued_tokens(self, httpd):
        r = login(httpd, "alice", "alice-pw", path="/auth/login")
        assert r.status_code == 200, r.text
        tok = r.json()["access_token"]
        assert jwt.get_unverified_header(tok)["kid"] == "e1"
        client = jwt.PyJWKClient(httpd.url("/auth/jwks"))
        key = client.get_signing_key_from_jwt(tok)
        claims = jwt.decode(tok, key.key, algorithms=["ES256"],
                            audience=harness.AUD, issuer=harness.ISS)
        assert claims["sub"] == "alice"

    def test_ajwt_260_03_kidless_keys_named_by_thumbprint(self, httpd):
        for path, pem, alg, kty in (("/rsa-jwks", "rsa-pub", "PS256", "RSA"),
                                    ("/ed-jwks", "ed-pub", "EdDSA", "OKP")):
            keys = httpd.get(path).json()["keys"]
            assert len(keys) == 1, keys
            k = keys[0]
            assert k["kty"] == kty and k["alg"] == alg and k["use"] == "sig"
            assert k["kid"] == jwk.JWK.from_pem(httpd.keys.pem(pem)).thumbprint()
            assert not {"d", "p", "q", "dp", "dq", "qi", "k"} & set(k), k

    def test_ajwt_260_04_secrets_and_private_members_never_published(self, httpd):
        assert httpd.get("/hs-jwks").json() == {"keys": []}
        assert httpd.get("/none-jwks").json() == {"keys": []}
        k = httpd.get("/priv-jwks").json()["keys"]
        assert len(k) == 1 and "d" not in k[0] and k[0]["kid"] == "p1"
        assert httpd.get("/hs-jwks").text.find(httpd.keys.hs256_b64[:16]) < 0

    def test_ajwt_260_05_methods(self, httpd):
        r = httpd.post("/auth/jwks", data="x")
        assert r.status_code == 405
        assert "GET" in r.headers.get("Allow", "")
        r = httpd.request("HEAD", "/auth/jwks")
        assert r.status_code == 200 and r.text == ""

    def test_ajwt_260_06_jwks_file_verifies(self, httpd, forge):
        t = forge.token(alg="ES256", key="ec", headers={"kid": "e1"})
        assert _remote_user(httpd.get("/es/env.cgi", token=t)) == "alice"
        # the only ES256 key of the set: a token without kid finds it
        assert _remote_user(httpd.get("/es/env.cgi",
                                      token=forge.token(alg="ES256", key="ec"))) == "alice"
        # the RSA key of the same file, at an RS256 location
        t = forge.token(alg="RS256", key="rsa", headers={"kid": "r1"})
        assert _remote_user(httpd.get("/rs/env.cgi", token=t)) == "alice"
        assert _remote_user(httpd.get("/rs/env.cgi",
                                      token=forge.token(alg="RS256"))) == "alice"
        # Ed25519 with key_ops ["verify"]
        t = forge.token(alg="EdDSA", key="ed", headers={"kid": "d1"})
        assert _remote_user(httpd.get("/ed/env.cgi", token=t)) == "alice"

    def test_ajwt_260_07_jwks_file_refuses(self, httpd, forge):
        # another key under the set's kid
        t = forge.token(alg="ES256", key="ec2", headers={"kid": "e1"})
        assert_challenge(httpd.get("/es/env.cgi", token=t), "ajwt-es", "invalid_token")
        # a kid the set lacks, and the kid of a key for encryption
        for kid in ("e9", "enc1", "future"):
            t = forge.token(alg="ES256", key="ec", headers={"kid": kid})
            assert_challenge(httpd.get("/es/env.cgi", token=t), "ajwt-es",
                             "invalid_token")
        # the kid of the set's RSA key, at the ES256 location
        t = forge.token(alg="ES256", key="ec", headers={"kid": "r1"})
        assert_challenge(httpd.get("/es/env.cgi", token=t), "ajwt-es", "invalid_token")
        # the algorithm is the location's, never the token's
        t = forge.token(alg="RS256", key="rsa", headers={"kid": "r1"})
        assert_challenge(httpd.get("/es/env.cgi", token=t), "ajwt-es", "invalid_token")

    def test_ajwt_260_08_rotation_keeps_old_tokens(self, httpd, forge):
        old = forge.token(alg="ES256", key="ec", headers={"kid": "e1"})
        new = forge.token(alg="ES256", key="ec2", headers={"kid": "e2"})
        assert _remote_user(httpd.get("/rot/env.cgi", token=old)) == "alice"
        assert _remote_user(httpd.get("/rot/env.cgi", token=new)) == "alice"
        # two keys: a token must say which
        assert_challenge(httpd.get("/rot/env.cgi",
                                   token=forge.token(alg="ES256", key="ec")),
                         "ajwt-rot", "invalid_token")
        # the login node (two keys, e1 signs) is verified by the rotated set
        r = login(httpd, "alice", "alice-pw", path="/auth/login")
        t = r.json()["access_token"]
        assert _remote_user(httpd.get("/rot/env.cgi", token=t)) == "alice"

    def test_ajwt_260_09_files_and_pem_keys_add_up(self, httpd, forge):
        t1 = forge.token(alg="RS256", key="rsa", headers={"kid": "r1"})
        t2 = forge.token(alg="RS256", key="rsa2", headers={"kid": "r2"})
        assert _remote_user(httpd.get("/both/env.cgi", token=t1)) == "alice"
        assert _remote_user(httpd.get("/both/env.cgi", token=t2)) == "alice"

    def test_ajwt_260_10_private_set_verifies(self, httpd, forge):
        t = forge.token(alg="ES256", key="ec", headers={"kid": "p1"})
        assert _remote_user(httpd.get("/priv/env.cgi", token=t)) == "alice"


LOC = """
<Location /app>
    AuthType JWT
    AuthName "ajwt-app"
    AuthJWTSignatureAlgorithm {alg}
    AuthJWTJWKSFile "@KEYS@/{file}"
    Require valid-user
</Location>
"""

REFUSED = {
    "broken": ("ES256", "jwks-broken.json", r"AuthJWTJWKSFile.*jwks-broken\.json"),
    "missing": ("ES256", "jwks-nope.json", r"AuthJWTJWKSFile.*jwks-nope\.json"),
    "duplicate_kid": ("ES256", "jwks-dupkid.json", r"'x' is used twice"),
    "nothing_for_sig": ("ES256", "jwks-enc-only.json", r"no signature verification key"),
    "none_fits_alg": ("ES256", "jwks-rsa-only.json", r"AJWT00106.*ES256"),
    "not_a_set": ("ES256", "ec.pem", r"AuthJWTJWKSFile.*ec\.pem"),
}


class TestJwksRefused:
    CONF = ""

    @pytest.mark.parametrize("case", sorted(REFUSED))
    def test_ajwt_260_20_configtest_refuses(self, server_factory, case):
        alg, name, pattern = REFUSED[case]
        s = server_factory("260-refused")
        rc, out, path = s.configtest(LOC.format(alg=alg, file=name), name=case)
        assert rc != 0, out
        import re
        assert re.search(pattern, out), out
