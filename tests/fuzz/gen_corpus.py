#!/usr/bin/python3
# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License. You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
"""Write the seed corpus tests/fuzz/corpus/{verify,json}/ (see README.md).

Tokens are signed with PyJWT (an independent implementation) using the keys
embedded in fuzz_keys.h, so that they verify in the fuzz target. Each verify
seed is one selector byte (mode << 6 | keyset << 4 | algorithm) then the body,
as fuzz_verify.c describes. Deterministic except for ECDSA signatures.
"""
import base64
import json
import os
import re
import shutil
import sys

import jwt
from cryptography.hazmat.primitives import serialization

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "..", "unit", "vectors", "rfc", "jws-vectors.json")
ALGS = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256",
        "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
KIND = {"HS": "oct", "RS": "rsa", "PS": "rsa", "ES256": "p256",
        "ES384": "p384", "ES512": "p521", "EdDSA": "ed25519"}
NONE = 13  # selector nibble: AJWT_ALG_UNKNOWN configured
OWN, RFC, KID, MULTI = 0, 1, 2, 3
NOW = 1700000000
CLAIMS = {"iss": "https://issuer.example", "aud": "api", "sub": "alice",
          "email": "alice@example.org", "exp": 4102444800, "nbf": NOW - 10,
          "iat": NOW - 10, "jti": "j1", "role": "admin",
          "groups": ["a", "b", 3, True],
          "realm_access": {"roles": ["x", "y"]}}


def c_unescape(s):
    return s.encode().decode("unicode_escape").encode("latin-1")


def load_keys():
    """Parse fuzz_keys.h back: {(set, kind): (secret|priv_pem, pub_pem)}."""
    text = open(os.path.join(HERE, "fuzz_keys.h")).read()
    keys = {}
    for m in re.finditer(r'\{(\d), "(\w+)", (?:NULL|"[^"]*"),\n(.*?)\},\n',
                         text, re.S):
        kset, kind, body = int(m.group(1)), m.group(2), m.group(3)
        if kind == "oct":
            sec = re.match(r'\s*"((?:\\x[0-9a-f]{2})*)"', body).group(1)
            keys[(kset, kind)] = (c_unescape(sec), None)
        else:
            parts = body.split("     NULL, 0,\n", 1)[1]
            pems = [c_unescape("".join(re.findall(r'"(.*?)"\s*$', blk, re.M)))
                    for blk in parts.split(",\n") if blk.strip()]
            keys[(kset, kind)] = (pems[0], pems[1])
    return keys


def kind_of(alg):
    return KIND.get(alg, KIND.get(alg[:2]))


def b64u(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sel(mode, keyset, alg):
    nib = ALGS.index(alg) if isinstance(alg, str) else alg
    return bytes([(mode << 6) | (keyset << 4) | nib])


class Out:
    def __init__(self, root):
        self.root = root
        self.n = 0
        if os.path.isdir(root):
            shutil.rmtree(root)
        for d in ("verify", "json"):
            os.makedirs(os.path.join(root, d))

    def put(self, target, name, data):
        if isinstance(data, str):
            data = data.encode()
        self.n += 1
        with open(os.path.join(self.root, target, name), "wb") as f:
            f.write(data)


def main():
    keys = load_keys()
    out = Out(os.path.join(HERE, "corpus"))

    def sign(alg, claims=CLAIMS, kid=None, kset=0, headers=None):
        secret = keys[(kset, kind_of(alg))][0]
        h = dict(headers or {})
        if kid:
            h["kid"] = kid
        return jwt.encode(claims, secret, algorithm=alg, headers=h or None)

    # Valid tokens for every algorithm, own keys, both token modes.
    for alg in ALGS:
        out.put("verify", "tok-%s" % alg, sel(0, OWN, alg) + sign(alg).encode())
    out.put("verify", "tok-HS256-mode1-email",
            sel(1, OWN, "HS256") + sign("HS256", kid="anything").encode())
    for alg, kid in (("ES256", "k1"), ("RS256", "k3"), ("HS512", "k2"),
                     ("EdDSA", "nope")):
        out.put("verify", "tok-%s-multi-%s" % (alg, kid),
                sel(0, MULTI, alg) + sign(alg, kid=kid).encode())
    out.put("verify", "tok-HS256-multi-nokid",
            sel(0, MULTI, "HS256") + sign("HS256").encode())

    # The RFC vectors, configured so that their signatures verify.
    with open(VECTORS) as f:
        for v in json.load(f)["vectors"]:
            alg = v["alg"]
            kset = KID if (v.get("jwk") or {}).get("kid") else RFC
            nib = ALGS.index(alg) if alg in ALGS else NONE
            out.put("verify", "rfc-%s-%s" % (v["id"], alg or "none"),
                    sel(0, kset, nib) + v["token"].encode())

    # Hostile tokens.
    hs = sign("HS256")
    h, p, s = hs.split(".")
    hostile = {
        "alg-none": (0, OWN, "HS256",
                     b64u('{"alg":"none","typ":"JWT"}') + "." + p + "."),
        "alg-none-configured": (0, OWN, NONE, hs),
        "alg-lowercase": (0, OWN, "HS256",
                          b64u('{"alg":"hs256"}') + "." + p + "." + s),
        "hdr-crit": (0, OWN, "HS256",
                     b64u('{"alg":"HS256","crit":["exp"]}') + "." + p + "." + s),
        "hdr-typ-jose": (0, OWN, "HS256",
                         b64u('{"alg":"HS256","typ":"JOSE"}') + "." + p + "." + s),
        "hdr-dup-alg": (0, OWN, "HS256",
                        b64u('{"alg":"HS256","alg":"none"}') + "." + p + "." + s),
        "hdr-jwk-x5u": (0, OWN, "HS256",
                        b64u('{"alg":"HS256","jwk":{"kty":"oct","k":"AA"},'
                             '"x5u":"http://x","kid":"k"}') + "." + p + "." + s),
        "two-dots-empty": (0, OWN, "HS256", h + ".."),
        "four-segments": (0, OWN, "HS256", hs + "." + s),
        "padding": (0, OWN, "HS256", h + "=." + p + "." + s),
        "std-alphabet": (0, OWN, "HS256", h + "." + p + ".+" + s[1:]),
        "too-large": (0, OWN, "HS256", h + "." + "A" * 8200 + "." + s),
        "deep-payload": (1, OWN, "HS256",
                         h + "." + b64u('{"a":' * 20 + "1" + "}" * 20) + "." + s),
        "payload-array": (0, OWN, "HS256", h + "." + b64u("[1,2]") + "." + s),
    }
    # ECDSA signature as DER instead of raw R||S.
    es = sign("ES256")
    eh, ep, esig = es.split(".")
    raw = base64.urlsafe_b64decode(esig + "==")
    r, sv = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")

    def der_int(i):
        b = i.to_bytes((i.bit_length() + 8) // 8, "big")
        return b"\x02" + bytes([len(b)]) + b
    body = der_int(r) + der_int(sv)
    hostile["es256-der-sig"] = (0, OWN, "ES256", eh + "." + ep + "." +
                                b64u(b"\x30" + bytes([len(body)]) + body))
    # Algorithm confusion: HS256 keyed with the RSA public key's PEM bytes,
    # configured RS256.
    pub = keys[(0, "rsa")][1]
    import hmac
    import hashlib
    hin = b64u('{"alg":"HS256","typ":"JWT"}') + "." + p
    mac = hmac.new(pub, hin.encode(), hashlib.sha256).digest()
    hostile["confusion-hs256-rsapem"] = (0, OWN, "RS256", hin + "." + b64u(mac))
    for name, (mode, kset, alg, tok) in hostile.items():
        out.put("verify", "hostile-" + name, sel(mode, kset, alg) + tok.encode())

    # Payload mode (2) and header+payload mode (3): raw JSON, signed by the
    # target with HMAC.
    payloads = {
        "valid": json.dumps(CLAIMS),
        "valid-mode1": json.dumps(CLAIMS),
        "exp-string": '{"exp":"4102444800","sub":"a"}',
        "exp-huge": '{"exp":1e400,"sub":"a"}',
        "exp-neg-frac": '{"exp":-0.5,"nbf":1.7e9,"sub":"a"}',
        "exp-max": '{"exp":253402300799,"iat":253402300800,"sub":"a"}',
        "aud-mixed": '{"exp":4102444800,"iss":"https://issuer.example",'
                     '"aud":[1,null,{"a":"api"},"api"],"sub":"a"}',
        "sub-ctl": '{"exp":4102444800,"iss":"https://issuer.example",'
                   '"aud":"api","sub":"a\\u2028b","x":"\\u0085"}',
        "dup-member": '{"exp":4102444800,"sub":"a","sub":"b"}',
        "dup-escaped": '{"exp":1,"s\\u0075b":"a","sub":"b"}',
        "deep-17": '{"exp":1,"a":' + "[" * 16 + "]" * 16 + "}",
        "surrogates": '{"exp":4102444800,"sub":"\\ud83d\\ude00\\u00e9","lone":"\\udc00"}',
        "numbers": '{"exp":4102444800,"n":[-0,1E+2,0.1e-7,12345678901234567890,'
                   '-9223372036854775809],"sub":"a"}',
        "collisions": '{"exp":4102444800,"sub":"a","role":"x","ROLE":"y",'
                      '"a-b":1,"a_b":2,"":3,"\\u00e9":4}',
        "many-members": "{" + ",".join('"m%d":%d' % (i, i) for i in range(40))
                        + ',"exp":4102444800,"sub":"a"}',
        "nul-escape": '{"exp":4102444800,"sub":"a\\u0000b"}',
        "invalid-utf8": b'{"exp":4102444800,"sub":"\xc0\xaf"}',
    }
    for i, (name, pl) in enumerate(payloads.items()):
        if isinstance(pl, str):
            pl = pl.encode()
        mode1 = 1 if name.endswith("mode1") else 0
        out.put("verify", "payload-" + name,
                sel(2, mode1, i % 3) + pl)
    headers = {
        "kid": '{"alg":"HS256","typ":"at+jwt","kid":"x"}',
        "none": '{"alg":"none"}',
        "crit": '{"alg":"HS256","crit":[]}',
        "typ-num": '{"alg":"HS256","typ":1}',
        "alg-array": '{"alg":["HS256"]}',
    }
    for name, hdr in headers.items():
        out.put("verify", "hdrpl-" + name,
                sel(3, 0, "HS256") + hdr.encode() + b"\0" +
                json.dumps(CLAIMS).encode())

    # fuzz_json: mode 0 JSON, 1 base64url, 2 secrets, 3 lookup paths.
    for name in ("valid", "dup-escaped", "deep-17", "surrogates", "numbers",
                 "collisions", "aud-mixed"):
        pl = payloads[name]
        out.put("json", "json-" + name, b"\0" + pl.encode())
    for name, text in (("ws", ' \t\r\n{ "a" : [ ] , "b":{}}\n '),
                       ("trailing", '{"a":1} x'), ("two", '{}{}'),
                       ("literals", '{"t":true,"f":false,"n":null,"x":tru}'),
                       ("escapes", '{"e":"\\"\\\\\\/\\b\\f\\n\\r\\t\\u00fF"}')):
        out.put("json", "json-" + name, b"\4" + text.encode())
    for name, text in (("empty", ""), ("one", "QQ"), ("two", "QUI"),
                       ("noncanon", "QR"), ("three", "QUJD"), ("len1", "Q"),
                       ("pad", "QQ=="), ("std", "+/+/")):
        out.put("json", "b64url-" + name, b"\1" + text.encode())
    for name, text in (("std-pad", "c2VjcmV0LXNlY3JldC1zZWNyZXQ+Pz8/Pw=="),
                       ("url", "c2VjcmV0-_"), ("mixed", "ab+_"),
                       ("bad-pad", "QQ=")):
        out.put("json", "secret-" + name, b"\2" + text.encode())
    for name, text in (("nested", b"realm_access.roles\0x"),
                       ("deep", b"realm_access.a.b.c\0deep"),
                       ("dot-name", b"a.b\0dotted"), ("num", b"groups\x002.50"),
                       ("empty-seg", b"realm_access..roles"),
                       ("bool", b"groups\0true")):
        out.put("json", "lookup-" + name, b"\3" + text)

    print("wrote %d seed files" % out.n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
