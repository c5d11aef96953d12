# Licensed under the Apache License, Version 2.0.
"""test_ajwt_100_NN: interoperability with three independent JOSE libraries,
both directions, for every algorithm the module supports.

- in:  tokens signed by PyJWT (python3-jwt), jwcrypto (python3-jwcrypto) and
       panva's jose for Node.js (Debian package node-jose, `require('jose')`)
       open a protected CGI that shows REMOTE_USER;
- out: tokens the module's jwt-login-handler issues verify in all three
       libraries (signature, alg, typ JWT, iss/aud/exp/iat/nbf/sub/jti).

One httpd for the whole class: one <Location> per algorithm to verify and one
login handler per algorithm to issue, each with the matching key. Node runs
once per direction with a batch of tokens (interop/jose_batch.js).

Support, checked on the installed versions (Debian 12: PyJWT 2.6.0 with
python3-cryptography 38, jwcrypto 1.1.0, jose 4.11.4 on Node.js 20): every
library does every algorithm here, EdDSA (Ed25519) included, so no pair is
skipped. Should a future library version drop one, add it to UNSUPPORTED with
the reason: the pair then shows as an explicit xfail, never as a silent gap.
"""
import base64
import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

import harness
from harness import ISS, AUD, b64u, parse_env

ALGS = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512",
        "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
LIBS = ["pyjwt", "jwcrypto", "node-jose"]

# the key pair (harness.Keys) or the HMAC secret each algorithm uses
KEY = {"RS256": "rsa", "RS384": "rsa", "RS512": "rsa",
       "PS256": "rsa", "PS384": "rsa", "PS512": "rsa",
       "ES256": "ec", "ES384": "ec384", "ES512": "ec521", "EdDSA": "ed"}

# (library, alg) -> reason: pairs the installed library cannot do. Empty: all
# 39 pairs work in both directions with the Debian 12 packages.
UNSUPPORTED = {}

# raw R||S signature length of the ECDSA algorithms (RFC 7518 3.4)
ECDSA_SIG_LEN = {"ES256": 64, "ES384": 96, "ES512": 132}

NODE_SCRIPT = Path(__file__).resolve().parent / "interop" / "jose_batch.js"


def _location(alg):
    if alg.startswith("HS"):
        verify = sign = f'AuthJWTSignatureSharedSecretFile "@KEYS@/{alg.lower()}.bin"'
    else:
        verify = f'AuthJWTSignaturePublicKeyFile "@KEYS@/{KEY[alg]}-pub.pem"'
        sign = f'AuthJWTSignaturePrivateKeyFile "@KEYS@/{KEY[alg]}.pem"'
    return f"""
Alias /iop/{alg} "@DOCROOT@/app"
<Location /iop/{alg}>
    AuthType JWT
    AuthName "iop-{alg}"
    AuthJWTSignatureAlgorithm {alg}
    {verify}
    Require valid-user
</Location>
<Location /login/{alg}>
    SetHandler jwt-login-handler
    AuthJWTProvider file
    AuthUserFile "@HTPASSWD@"
    AuthJWTSignatureAlgorithm {alg}
    {sign}
</Location>
"""


CONF = """
AuthJWTIss "@ISS@"
AuthJWTAud "@AUD@"
""" + "".join(_location(a) for a in ALGS)


def pairs():
    out = []
    for lib in LIBS:
        for alg in ALGS:
            marks = []
            if (lib, alg) in UNSUPPORTED:
                marks.append(pytest.mark.xfail(reason=UNSUPPORTED[(lib, alg)],
                                               strict=True))
            out.append(pytest.param(lib, alg, id=f"{lib}-{alg}", marks=marks))
    return out


# --------------------------------------------------------------------------
# keys in each library's form

def node_key(keys, alg, private):
    if alg.startswith("HS"):
        return {"secret_b64": base64.b64encode(keys.secret(alg)).decode()}
    name = KEY[alg] if private else KEY[alg] + "-pub"
    return {"pem": keys.pem(name).decode()}


def pyjwt_key(keys, alg, private):
    if alg.startswith("HS"):
        return keys.secret(alg)
    return keys.pem(KEY[alg] if private else KEY[alg] + "-pub")


def jwcrypto_key(keys, alg, private):
    from jwcrypto import jwk
    if alg.startswith("HS"):
        return jwk.JWK(kty="oct", k=b64u(keys.secret(alg)))
    return jwk.JWK.from_pem(keys.pem(KEY[alg] if private else KEY[alg] + "-pub"))


def run_node(request):
    node = shutil.which("node") or shutil.which("nodejs")
    if not node:
        pytest.fail("Node.js not found: apt-get install nodejs node-jose", pytrace=False)
    p = subprocess.run([node, str(NODE_SCRIPT)], input=json.dumps(request),
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        pytest.fail(f"{NODE_SCRIPT.name} failed ({p.returncode}); is the Debian "
                    f"package node-jose installed?\n{p.stderr}", pytrace=False)
    return json.loads(p.stdout)


# --------------------------------------------------------------------------
# signing (direction: library -> module)

def inbound_claims(lib, alg):
    now = int(time.time())
    return {"iss": ISS, "aud": AUD, "sub": f"{lib}-{alg}", "iat": now - 5,
            "nbf": now - 5, "exp": now + 600, "jti": f"jti-{lib}-{alg}",
            "role": "interop"}


def sign_pyjwt(keys, alg, payload):
    import jwt
    return jwt.encode(payload, pyjwt_key(keys, alg, True), algorithm=alg,
                      headers={"typ": "JWT"})


def sign_jwcrypto(keys, alg, payload):
    from jwcrypto import jwt as jjwt
    t = jjwt.JWT(header={"alg": alg, "typ": "JWT"}, claims=payload)
    t.make_signed_token(jwcrypto_key(keys, alg, True))
    return t.serialize()


def sign_node_batch(keys):
    items = [{"id": alg, "alg": alg, "key": node_key(keys, alg, True),
              "header": {"alg": alg, "typ": "JWT"},
              "payload": inbound_claims("node-jose", alg)}
             for alg in ALGS if ("node-jose", alg) not in UNSUPPORTED]
    res = run_node({"mode": "sign", "items": items})["results"]
    return {r["id"]: r.get("token") or r.get("error") for r in res}


# --------------------------------------------------------------------------
# verifying (direction: module -> library)

def verify_pyjwt(keys, alg, token):
    import jwt
    header = jwt.get_unverified_header(token)
    payload = jwt.decode(token, pyjwt_key(keys, alg, False), algorithms=[alg],
                         audience=AUD, issuer=ISS,
                         options={"require": ["exp", "iat", "nbf", "sub",
                                              "iss", "aud", "jti"]})
    return header, payload


def verify_jwcrypto(keys, alg, token):
    from jwcrypto import jwt as jjwt
    t = jjwt.JWT(jwt=token, key=jwcrypto_key(keys, alg, False), algs=[alg],
                 check_claims={"iss": ISS, "aud": AUD, "exp": None, "nbf": None,
                               "iat": None, "sub": None, "jti": None})
    return t.token.jose_header, json.loads(t.claims)


def verify_node_batch(keys, tokens):
    items = [{"id": alg, "alg": alg, "key": node_key(keys, alg, False),
              "token": tok, "iss": ISS, "aud": AUD}
             for alg, tok in tokens.items() if ("node-jose", alg) not in UNSUPPORTED]
    # a tampered copy of each must fail in jose too (the check is real)
    items += [{"id": f"tampered-{alg}", "alg": alg, "key": node_key(keys, alg, False),
               "token": tamper(tok), "iss": ISS, "aud": AUD}
              for alg, tok in tokens.items() if ("node-jose", alg) not in UNSUPPORTED]
    return {r["id"]: r for r in run_node({"mode": "verify", "items": items})["results"]}


def tamper(token):
    """The same signature over a payload whose sub is changed."""
    h, p, s = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
    claims["sub"] = claims["sub"] + "x"
    return f"{h}.{harness.b64u_json(claims)}.{s}"


# --------------------------------------------------------------------------

class TestInterop:
    CONF = CONF

    @pytest.fixture(scope="class")
    def node_signed(self, keys):
        return sign_node_batch(keys)

    @pytest.fixture(scope="class")
    def issued(self, httpd):
        """One access token per algorithm from the module's login handler."""
        out = {}
        for alg in ALGS:
            r = httpd.post(f"/login/{alg}",
                           data={"username": "alice", "password": "alice-pw"})
            assert r.status_code == 200, (alg, r.status_code, r.text[:300])
            out[alg] = r.json()["access_token"]
        return out

    @pytest.fixture(scope="class")
    def node_verified(self, keys, issued):
        return verify_node_batch(keys, issued)

    def test_ajwt_100_00_versions(self, httpd):
        """Record what was tested against (shown with -rA / on failure)."""
        import jwt
        import jwcrypto
        v = run_node({"mode": "versions"})
        print(f"PyJWT {jwt.__version__}, jwcrypto "
              f"{getattr(jwcrypto, '__version__', '?')}, jose {v['jose']} on node {v['node']}")
        assert v["node"]

    # -- library -> module
    @pytest.mark.parametrize("lib,alg", pairs())
    def test_ajwt_100_01_library_token_accepted(self, httpd, keys, node_signed, lib, alg):
        payload = inbound_claims(lib, alg)
        if lib == "pyjwt":
            token = sign_pyjwt(keys, alg, payload)
        elif lib == "jwcrypto":
            token = sign_jwcrypto(keys, alg, payload)
        else:
            token = node_signed[alg]
            assert token.count(".") == 2, f"jose could not sign {alg}: {token}"
        hdr = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
        assert hdr["alg"] == alg, hdr
        if alg in ECDSA_SIG_LEN:
            s = token.split(".")[2]
            assert len(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))) == \
                ECDSA_SIG_LEN[alg], "the library did not sign raw R||S"
        r = httpd.get(f"/iop/{alg}/env.cgi", token=token)
        assert r.status_code == 200, (r.status_code, r.headers.get("WWW-Authenticate"))
        env = parse_env(r.text)
        assert env["REMOTE_USER"] == f"{lib}-{alg}"
        assert env["AUTH_TYPE"] == "JWT"
        assert env["JWT_CLAIM_jti"] == f"jti-{lib}-{alg}"
        assert env["JWT_CLAIM_role"] == "interop"
        # the location really verifies: the same signature over another sub fails
        r = httpd.get(f"/iop/{alg}/env.cgi", token=tamper(token))
        harness.assert_challenge(r, f"iop-{alg}", "invalid_token")

    # -- module -> library
    @pytest.mark.parametrize("lib,alg", pairs())
    def test_ajwt_100_02_module_token_verified(self, httpd, keys, issued, node_verified,
                                               lib, alg):
        token = issued[alg]
        if lib == "pyjwt":
            header, payload = verify_pyjwt(keys, alg, token)
        elif lib == "jwcrypto":
            header, payload = verify_jwcrypto(keys, alg, token)
        else:
            res = node_verified[alg]
            assert res["ok"], f"jose refused the module's {alg} token: {res['error']}"
            header, payload = res["header"], res["payload"]
            bad = node_verified[f"tampered-{alg}"]
            assert not bad["ok"], "jose accepted a tampered token"
        assert header["alg"] == alg, header
        assert header["typ"] == "JWT", header
        assert "kid" not in header, header          # the key has no kid
        now = time.time()
        assert payload["iss"] == ISS and payload["aud"] == AUD, payload
        assert payload["sub"] == "alice", payload
        assert isinstance(payload["jti"], str) and len(payload["jti"]) >= 16, payload
        for c in ("iat", "nbf", "exp"):
            assert isinstance(payload[c], int), payload
        assert abs(payload["iat"] - now) < 120, payload
        assert payload["nbf"] <= payload["iat"] + 1, payload
        assert payload["exp"] - payload["iat"] == 600, payload
        if alg in ECDSA_SIG_LEN:
            s = token.split(".")[2]
            assert len(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))) == \
                ECDSA_SIG_LEN[alg], "the module did not sign raw R||S"
        if lib != "node-jose":
            # the library's check is real: a tampered copy fails
            with pytest.raises(Exception):
                (verify_pyjwt if lib == "pyjwt" else verify_jwcrypto)(
                    keys, alg, tamper(token))

    def test_ajwt_100_03_module_accepts_its_own(self, httpd, issued):
        """Each issued token opens its own algorithm's location and no other."""
        for alg, token in issued.items():
            r = httpd.get(f"/iop/{alg}/env.cgi", token=token)
            assert r.status_code == 200, (alg, r.headers.get("WWW-Authenticate"))
            assert parse_env(r.text)["REMOTE_USER"] == "alice"
            other = ALGS[(ALGS.index(alg) + 1) % len(ALGS)]
            harness.assert_challenge(httpd.get(f"/iop/{other}/static.txt", token=token),
                                     f"iop-{other}", "invalid_token")
