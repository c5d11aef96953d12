# Licensed under the Apache License, Version 2.0.
"""test_ajwt_110_NN: hostile tokens against a running httpd.

Every case sends one forged or malformed token to a protected location and
expects 401 with an RFC 6750 Bearer challenge carrying error="invalid_token":
never 200, never 400/431/500. After EACH case a valid token for the same
location still gets 200 (the server is up and answering) and the error log
shows no crashed child (AH00052 "exit signal", logged at notice, which the
harness's warn-or-worse check would not see), while the harness checks that
no [warn] or worse line was logged.

Tokens are forged with PyJWT where it obliges, otherwise assembled by hand
(raw JSON text, signed with PyJWT's algorithm objects, which sign whatever
bytes they are given). The few tokens the contract requires to be ACCEPTED
although they look odd (high-S ECDSA, a token of exactly the size limit, a
kid beside a single kid-less key) are in test_ajwt_110_02.
"""
import base64
import json
import re
import time

import pytest

import harness
from harness import ISS, AUD, b64u, b64u_json

# location -> (algorithm, key pair name or None for the HMAC secret)
LOCS = {
    "rs": ("RS256", "rsa"),
    "es": ("ES256", "ec"),
    "es384": ("ES384", "ec384"),
    "es512": ("ES512", "ec521"),
    "ed": ("EdDSA", "ed"),
    "hs": ("HS256", None),
    "kid": ("RS256", "rsa"),        # two keys, kid k1 (rsa) and k2 (rsa2)
}

# orders of the NIST curves (FIPS 186-4 D.1.2)
CURVE_N = {
    "ES256": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    "ES384": int("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF"
                 "581A0DB248B0A77AECEC196ACCC52973", 16),
    "ES512": int("01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFA"
                 "51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409", 16),
}
# half the length of a raw R||S signature
COORD = {"ES256": 32, "ES384": 48, "ES512": 66}
# the order L of Ed25519's base point (RFC 8032)
ED25519_L = 2 ** 252 + 27742317777372353535851937790883648493


def _loc_conf(loc):
    alg, key = LOCS[loc]
    if loc == "kid":
        keyconf = ('AuthJWTSignaturePublicKeyFile "@KEYS@/rsa-pub.pem" k1\n'
                   '    AuthJWTSignaturePublicKeyFile "@KEYS@/rsa2-pub.pem" k2')
    elif key is None:
        keyconf = 'AuthJWTSignatureSharedSecretFile "@KEYS@/hs256.bin"'
    else:
        keyconf = f'AuthJWTSignaturePublicKeyFile "@KEYS@/{key}-pub.pem"'
    return f"""
Alias /h/{loc} "@DOCROOT@/app"
<Location /h/{loc}>
    AuthType JWT
    AuthName "h-{loc}"
    AuthJWTSignatureAlgorithm {alg}
    {keyconf}
    Require valid-user
</Location>
"""


CONF = """
AuthJWTIss "@ISS@"
AuthJWTAud "@AUD@"
""" + "".join(_loc_conf(loc) for loc in LOCS)


def _b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


NUL = b"\x00"


def _int_bytes(v, n):
    return v.to_bytes(n, "big")


class Kit:
    """Forging tools bound to the session's keys."""

    def __init__(self, keys):
        self.keys = keys
        self.now = int(time.time())
        self._prepared = {}

    # -- keys and signatures
    def _algo(self, alg):
        from jwt.algorithms import get_default_algorithms
        return get_default_algorithms()[alg]

    def sign_bytes(self, alg, key, data):
        """Sign data with alg; key: a key pair name, raw HMAC bytes or None
        (the session's HS256 secret)."""
        a = self._algo(alg)
        if alg.startswith("HS"):
            k = self.keys.hs256 if key is None else key
            import hashlib
            import hmac
            digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384,
                      "HS512": hashlib.sha512}[alg]
            return hmac.new(k, data, digest).digest()
        if (alg, key) not in self._prepared:    # loading an RSA key is slow
            self._prepared[(alg, key)] = a.prepare_key(self.keys.pem(key))
        return a.sign(data, self._prepared[(alg, key)])

    def claims(self, **over):
        c = {"iss": ISS, "aud": AUD, "sub": "alice", "iat": self.now - 5,
             "nbf": self.now - 5, "exp": self.now + 600}
        for k, v in over.items():
            if v is None:
                c.pop(k, None)
            else:
                c[k] = v
        return c

    def sign(self, loc, header=None, payload=None, alg=None, key="default"):
        """A compact JWS for loc: header/payload are dicts or raw JSON text
        (str or bytes, used byte for byte); signed with loc's algorithm and
        key unless alg/key say otherwise."""
        loc_alg, loc_key = LOCS[loc]
        alg = alg or loc_alg
        key = loc_key if key == "default" else key
        if header is None:
            header = {"alg": alg, "typ": "JWT"}
        if payload is None:
            payload = self.claims()
        h = b64u(header) if isinstance(header, (str, bytes)) else b64u_json(header)
        p = b64u(payload) if isinstance(payload, (str, bytes)) else b64u_json(payload)
        sig = self.sign_bytes(alg, key, f"{h}.{p}".encode())
        return f"{h}.{p}.{b64u(sig)}"

    def good(self, loc, **over):
        return self.sign(loc, payload=self.claims(**over),
                         header={"alg": LOCS[loc][0], "typ": "JWT",
                                 **({"kid": "k1"} if loc == "kid" else {})})

    def parts(self, loc, **over):
        return self.good(loc, **over).split(".")

    def with_sig(self, loc, sig, header=None, payload=None):
        """header.payload of a valid token for loc, with another signature."""
        h, p, _ = self.sign(loc, header=header, payload=payload).split(".")
        return f"{h}.{p}.{b64u(sig)}"

    def raw_payload(self, loc, text, header=None):
        """Sign raw payload JSON text (bytes or str) validly for loc."""
        return self.sign(loc, header=header, payload=text)

    def payload_json(self, **raw):
        """Payload JSON text with the valid claims, where each raw value is
        JSON text inserted verbatim (None: leave the claim out)."""
        c = self.claims()
        members = []
        for k, v in c.items():
            if k in raw:
                continue
            members.append(f"{json.dumps(k)}:{json.dumps(v)}")
        for k, v in raw.items():
            if v is not None:
                members.append(f"{json.dumps(k)}:{v}")
        return "{" + ",".join(members) + "}"

    # -- ECDSA
    def ec_parts(self, loc):
        alg = LOCS[loc][0]
        h, p, s = self.parts(loc)
        raw = _b64d(s)
        n = COORD[alg]
        return h, p, int.from_bytes(raw[:n], "big"), int.from_bytes(raw[n:], "big"), n

    def ec_sig(self, loc, r, s):
        h, p, _, _, n = self.ec_parts(loc)
        return f"{h}.{p}.{b64u(_int_bytes(r, n) + _int_bytes(s, n))}"

    def ec_der(self, loc):
        from cryptography.hazmat.primitives.asymmetric.utils import \
            encode_dss_signature
        h, p, r, s, _ = self.ec_parts(loc)
        return f"{h}.{p}.{b64u(encode_dss_signature(r, s))}"

    def ec_high_low(self, loc):
        """The same valid token with a low-S and with a high-S signature."""
        alg = LOCS[loc][0]
        h, p, r, s, n = self.ec_parts(loc)
        order = CURVE_N[alg]
        lo, hi = min(s, order - s), max(s, order - s)

        def tok(sv):
            return f"{h}.{p}.{b64u(_int_bytes(r, n) + _int_bytes(sv, n))}"
        return tok(lo), tok(hi)

    # -- sizes
    def sized(self, loc, size):
        """A valid token of exactly size bytes (padded with a claim and, to
        reach every length, a header member)."""
        for extra in range(0, 4):
            header = {"alg": LOCS[loc][0], "typ": "JWT", "x": "y" * extra}
            base = len(self.sign(loc, header=header, payload=self.claims(pad="")))
            lo, hi = 0, size
            while lo <= hi:
                mid = (lo + hi) // 2
                t = self.sign(loc, header=header, payload=self.claims(pad="p" * mid))
                if len(t) == size:
                    return t
                if len(t) < size:
                    lo = mid + 1
                else:
                    hi = mid - 1
            assert base <= size
        raise AssertionError(f"no token of exactly {size} bytes")

    def rsa_sig_with_leading_zero(self, loc="rs"):
        """A valid RS256 token whose signature starts with a zero octet."""
        for i in range(20000):
            h, p, s = self.parts(loc, jti=f"z{i}")
            raw = _b64d(s)
            if raw[0] == 0:
                return h, p, raw
        raise AssertionError("no signature with a leading zero octet")

    def with_b64_chars(self, loc):
        """A valid token whose signature holds both '-' and '_'."""
        for i in range(1000):
            t = self.good(loc, jti=f"c{i}")
            if "-" in t.split(".")[2] and "_" in t.split(".")[2]:
                return t
        raise AssertionError("no signature with - and _")


def _noncanonical_last(seg):
    """Change the unused low bits of the last base64url character: a lenient
    decoder yields the same bytes, a canonical one refuses."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    spare = {2: 4, 3: 2}[len(seg) % 4]   # unused bits in the last character
    idx = alphabet.index(seg[-1])
    assert idx & ((1 << spare) - 1) == 0
    return seg[:-1] + alphabet[idx | 1]


def _pad(seg):
    return seg + ("=" * (-len(seg) % 4) or "====")


def _nested(depth, kind="array"):
    """JSON text of a value nested depth containers deep."""
    if kind == "array":
        return "[" * depth + "1" + "]" * depth
    return '{"":' * depth + "1" + "}" * depth


# --------------------------------------------------------------------------
# the hostile cases: (id, location, builder(kit) -> token)

CASES = []


def case(cid, loc, fn):
    CASES.append(pytest.param(loc, fn, id=cid))


# -- alg none, every spelling, with and without a signature
for _loc in ("rs", "hs", "es", "ed"):
    for _alg in ("none", "None", "NONE", "nOnE"):
        case(f"alg-{_alg}-nosig-{_loc}", _loc,
             lambda k, a=_alg: harness.raw_token({"alg": a, "typ": "JWT"}, k.claims()))
case("alg-none-with-rs-sig", "rs", lambda k: (lambda h, p: f"{h}.{p}." + b64u(
    k.sign_bytes("RS256", "rsa", f"{h}.{p}".encode())))(
        b64u_json({"alg": "none"}), b64u_json(k.claims())))
case("alg-none-with-hmac-sig", "hs", lambda k: (lambda h, p: f"{h}.{p}." + b64u(
    k.sign_bytes("HS256", None, f"{h}.{p}".encode())))(
        b64u_json({"alg": "none"}), b64u_json(k.claims())))
case("alg-none-junk-sig", "rs",
     lambda k: harness.raw_token({"alg": "none"}, k.claims(), b"\x00" * 32))
case("alg-none-valid-sig-of-good-token", "rs",
     lambda k: (lambda g: harness.raw_token({"alg": "none"}, k.claims()).rsplit(".", 1)[0]
                + "." + g.split(".")[2])(k.good("rs")))

# -- the alg member in every wrong shape (validly signed with the location's key)
for _cid, _alg in [("lowercase", "rs256"), ("trailing-space", "RS256 "),
                   ("nul-suffix", "RS256\u0000"), ("empty", ""), ("null", None),
                   ("number", 256), ("array", ["RS256"]), ("object", {"alg": "RS256"}),
                   ("true", True), ("PS256", "PS256"), ("RS384", "RS384")]:
    case(f"alg-{_cid}", "rs", lambda k, a=_alg: k.sign("rs", header={"alg": a, "typ": "JWT"},
                                                      alg="RS256"))
case("alg-missing", "rs", lambda k: k.sign("rs", header={"typ": "JWT"}))
case("alg-escaped-spelling-dup-none", "rs",
     lambda k: k.sign("rs", header='{"alg":"RS256","\\u0061lg":"none"}'))

# -- algorithm confusion: HMAC keyed with the public key
for _loc, _pub in (("rs", "rsa-pub"), ("es", "ec-pub"), ("es384", "ec384-pub"),
                   ("ed", "ed-pub")):
    for _hs in ("HS256", "HS384", "HS512"):
        case(f"confusion-{_hs}-{_pub}-pem-at-{_loc}", _loc,
             lambda k, h=_hs, pub=_pub: harness.raw_token(
                 {"alg": h, "typ": "JWT"}, k.claims(), hmac_key=k.keys.pem(pub)))
    case(f"confusion-HS256-{_pub}-pem-nonl-at-{_loc}", _loc,
         lambda k, pub=_pub: harness.raw_token(
             {"alg": "HS256", "typ": "JWT"}, k.claims(),
             hmac_key=k.keys.pem(pub).rstrip(b"\n")))
    case(f"confusion-HS256-{_pub}-der-at-{_loc}", _loc,
         lambda k, pub=_pub: harness.raw_token(
             {"alg": "HS256", "typ": "JWT"}, k.claims(),
             hmac_key=base64.b64decode(b"".join(
                 k.keys.pem(pub).strip().splitlines()[1:-1]))))
    # and the location's own alg in the header, HMAC'ed with the PEM
    case(f"confusion-own-alg-hmac-{_pub}-at-{_loc}", _loc,
         lambda k, loc=_loc, pub=_pub: (lambda h, p: f"{h}.{p}." + b64u(
             k.sign_bytes("HS256", k.keys.pem(pub), f"{h}.{p}".encode())))(
                 b64u_json({"alg": LOCS[loc][0]}), b64u_json(k.claims())))
# tokens of one asymmetric family at another's location
case("es256-token-at-rs", "rs", lambda k: k.good("es"))
case("rs256-token-at-es", "es", lambda k: k.good("rs"))
case("eddsa-token-at-es", "es", lambda k: k.good("ed"))
case("es256-token-at-ed", "ed", lambda k: k.good("es"))
case("es512-token-at-es", "es", lambda k: k.good("es512"))
case("es256-token-at-es384", "es384", lambda k: k.good("es"))
case("ps256-same-key-at-rs", "rs",
     lambda k: k.sign("rs", header={"alg": "PS256", "typ": "JWT"}, alg="PS256"))
case("rs256-other-key", "rs", lambda k: k.sign("rs", key="rsa2"))
case("eddsa-other-key", "ed", lambda k: k.sign("ed", key="ed2"))
case("es256-other-key", "es", lambda k: k.sign("es", key="ec2"))
# the header brings its own key: never used
case("embedded-jwk-attacker-key", "rs", lambda k: k.sign(
    "rs", key="rsa2", header={"alg": "RS256", "typ": "JWT", "jwk": json.loads(
        __import__("jwt").algorithms.RSAAlgorithm.to_jwk(
            __import__("jwt").algorithms.RSAAlgorithm(
                __import__("hashlib").sha256).prepare_key(k.keys.pem("rsa2-pub"))))}))
case("jku-x5u-attacker", "rs", lambda k: k.sign(
    "rs", key="rsa2", header={"alg": "RS256", "typ": "JWT",
                              "jku": "http://127.0.0.1:1/jwks.json",
                              "x5u": "http://127.0.0.1:1/x.pem"}))

# -- segments: stripped, empty, too few, too many
_SEGS = {
    "stripped-sig": lambda h, p, s: f"{h}.{p}.",
    "two-parts": lambda h, p, s: f"{h}.{p}",
    "one-part": lambda h, p, s: f"{h}{p}{s}",
    "four-parts": lambda h, p, s: f"{h}.{p}.{s}.{s}",
    "four-parts-empty-last": lambda h, p, s: f"{h}.{p}.{s}.",
    "five-parts-jwe-like": lambda h, p, s: f"{h}.{p}.{s}.{p}.{s}",
    "empty-header": lambda h, p, s: f".{p}.{s}",
    "empty-payload": lambda h, p, s: f"{h}..{s}",
    "dots-only-2": lambda h, p, s: "..",
    "dots-only-3": lambda h, p, s: "...",
    "dot-only": lambda h, p, s: ".",
    "leading-dot": lambda h, p, s: f".{h}.{p}.{s}",
    "double-dot": lambda h, p, s: f"{h}..{p}.{s}",
    "swapped-header-payload": lambda h, p, s: f"{p}.{h}.{s}",
    "json-serialization": lambda h, p, s: json.dumps(
        {"protected": h, "payload": p, "signature": s}, separators=(",", ":")),
}
for _cid, _fn in _SEGS.items():
    for _loc in ("rs", "es", "hs"):
        case(f"seg-{_cid}-{_loc}", _loc, lambda k, f=_fn, loc=_loc: f(*k.parts(loc)))

# -- base64url form
for _loc in ("rs", "hs"):
    case(f"b64-pad-header-{_loc}", _loc,
         lambda k, loc=_loc: (lambda h, p, s: f"{_pad(h)}.{p}.{s}")(*k.parts(loc)))
    case(f"b64-pad-payload-{_loc}", _loc,
         lambda k, loc=_loc: (lambda h, p, s: f"{h}.{_pad(p)}.{s}")(*k.parts(loc)))
    case(f"b64-pad-sig-{_loc}", _loc,
         lambda k, loc=_loc: (lambda h, p, s: f"{h}.{p}.{_pad(s)}")(*k.parts(loc)))
    case(f"b64-std-alphabet-{_loc}", _loc,
         lambda k, loc=_loc: k.with_b64_chars(loc).replace("-", "+").replace("_", "/"))
    case(f"b64-plus-only-{_loc}", _loc,
         lambda k, loc=_loc: k.with_b64_chars(loc).replace("-", "+"))
    case(f"b64-slash-only-{_loc}", _loc,
         lambda k, loc=_loc: k.with_b64_chars(loc).replace("_", "/"))
    case(f"b64-space-in-sig-{_loc}", _loc,
         lambda k, loc=_loc: (lambda h, p, s: f"{h}.{p}.{s[:10]} {s[10:]}")(*k.parts(loc)))
    case(f"b64-tab-in-payload-{_loc}", _loc,
         lambda k, loc=_loc: (lambda h, p, s: f"{h}.{p[:10]}\t{p[10:]}.{s}")(*k.parts(loc)))
    case(f"b64-space-after-dot-{_loc}", _loc,
         lambda k, loc=_loc: (lambda h, p, s: f"{h}. {p}.{s}")(*k.parts(loc)))
    case(f"b64-space-before-dot-{_loc}", _loc,
         lambda k, loc=_loc: (lambda h, p, s: f"{h} .{p}.{s}")(*k.parts(loc)))
    case(f"b64-bang-{_loc}", _loc,
         lambda k, loc=_loc: (lambda h, p, s: f"{h}.{p}.{s[:-1]}!")(*k.parts(loc)))
    case(f"b64-percent-encoded-{_loc}", _loc,
         lambda k, loc=_loc: (lambda h, p, s: f"{h}.{p}.{s[:-2]}%41{s[-1]}")(*k.parts(loc)))
    case(f"b64-impossible-length-{_loc}", _loc,
         lambda k, loc=_loc: (lambda h, p, s: f"{h}.{p}{'A' * ((1 - len(p)) % 4)}.{s}")(
             *k.parts(loc)))
case("b64-noncanonical-trailing-bits-sig-rs", "rs",
     lambda k: (lambda h, p, s: f"{h}.{p}.{_noncanonical_last(s)}")(*k.parts("rs")))
case("b64-noncanonical-trailing-bits-sig-hs", "hs",
     lambda k: (lambda h, p, s: f"{h}.{p}.{_noncanonical_last(s)}")(*k.parts("hs")))

# -- ECDSA signature values
for _loc in ("es", "es384", "es512"):
    case(f"ecdsa-zero-{_loc}", _loc, lambda k, loc=_loc: k.ec_sig(loc, 0, 0))
    case(f"ecdsa-r-s-n-{_loc}", _loc,
         lambda k, loc=_loc: k.ec_sig(loc, CURVE_N[LOCS[loc][0]], CURVE_N[LOCS[loc][0]]))
    case(f"ecdsa-r-n-{_loc}", _loc, lambda k, loc=_loc: (lambda h, p, r, s, n: k.ec_sig(
        loc, CURVE_N[LOCS[loc][0]], s))(*k.ec_parts(loc)))
    case(f"ecdsa-s-n-{_loc}", _loc, lambda k, loc=_loc: (lambda h, p, r, s, n: k.ec_sig(
        loc, r, CURVE_N[LOCS[loc][0]]))(*k.ec_parts(loc)))
    case(f"ecdsa-s-plus-n-{_loc}", _loc, lambda k, loc=_loc: (lambda h, p, r, s, n: k.ec_sig(
        loc, r, s + CURVE_N[LOCS[loc][0]]) if s + CURVE_N[LOCS[loc][0]] < 256 ** n
        else k.ec_sig(loc, r, 256 ** n - 1))(*k.ec_parts(loc)))
    case(f"ecdsa-r-0-{_loc}", _loc, lambda k, loc=_loc: (lambda h, p, r, s, n: k.ec_sig(
        loc, 0, s))(*k.ec_parts(loc)))
    case(f"ecdsa-s-0-{_loc}", _loc, lambda k, loc=_loc: (lambda h, p, r, s, n: k.ec_sig(
        loc, r, 0))(*k.ec_parts(loc)))
    case(f"ecdsa-r-s-1-{_loc}", _loc, lambda k, loc=_loc: k.ec_sig(loc, 1, 1))
    case(f"ecdsa-all-ff-{_loc}", _loc,
         lambda k, loc=_loc: k.with_sig(loc, b"\xff" * (2 * COORD[LOCS[loc][0]])))
    case(f"ecdsa-der-{_loc}", _loc, lambda k, loc=_loc: k.ec_der(loc))
    case(f"ecdsa-truncated-{_loc}", _loc,
         lambda k, loc=_loc: (lambda h, p, s: f"{h}.{p}.{b64u(_b64d(s)[:-1])}")(
             *k.parts(loc)))
    case(f"ecdsa-extended-{_loc}", _loc,
         lambda k, loc=_loc: (lambda h, p, s: f"{h}.{p}.{b64u(_b64d(s) + NUL)}")(
             *k.parts(loc)))
    case(f"ecdsa-zero-prefixed-{_loc}", _loc,
         lambda k, loc=_loc: (lambda h, p, s: f"{h}.{p}.{b64u(NUL + _b64d(s))}")(
             *k.parts(loc)))
    case(f"ecdsa-r-s-swapped-{_loc}", _loc, lambda k, loc=_loc: (lambda h, p, r, s, n: k.ec_sig(
        loc, s, r))(*k.ec_parts(loc)))
# ES512: coordinates of 66 octets; a 64-octet (P-256 sized) zero and a 65+65 split
case("ecdsa-es512-64-octet-coords", "es512", lambda k: k.with_sig("es512", b"\x00" * 128))
case("ecdsa-es512-130-octets", "es512",
     lambda k: (lambda h, p, r, s, n: f"{h}.{p}." + b64u(
         _int_bytes(r, 65) + _int_bytes(s, 65)) if r < 256 ** 65 and s < 256 ** 65
         else f"{h}.{p}." + b64u(b"\x01" * 130))(*k.ec_parts("es512")))

# -- EdDSA signature values
case("eddsa-zero-sig", "ed", lambda k: k.with_sig("ed", b"\x00" * 64))
case("eddsa-truncated", "ed",
     lambda k: (lambda h, p, s: f"{h}.{p}.{b64u(_b64d(s)[:-1])}")(*k.parts("ed")))
case("eddsa-extended", "ed",
     lambda k: (lambda h, p, s: f"{h}.{p}.{b64u(_b64d(s) + NUL)}")(*k.parts("ed")))
case("eddsa-s-plus-L-malleated", "ed", lambda k: (lambda h, p, s: (lambda raw: f"{h}.{p}." + b64u(
    raw[:32] + (int.from_bytes(raw[32:], "little") + ED25519_L).to_bytes(32, "little")))(
        _b64d(s)))(*k.parts("ed")))
case("eddsa-flipped-bit", "ed", lambda k: (lambda h, p, s: (lambda raw: f"{h}.{p}." + b64u(
    raw[:10] + bytes([raw[10] ^ 1]) + raw[11:]))(_b64d(s)))(*k.parts("ed")))

# -- RSA signature values
case("rsa-empty-sig", "rs", lambda k: k.with_sig("rs", b""))
case("rsa-zero-sig", "rs", lambda k: k.with_sig("rs", b"\x00" * 256))
case("rsa-one-sig", "rs", lambda k: k.with_sig("rs", b"\x00" * 255 + b"\x01"))
case("rsa-sig-zero-prefixed", "rs",
     lambda k: (lambda h, p, s: f"{h}.{p}.{b64u(NUL + _b64d(s))}")(*k.parts("rs")))
case("rsa-sig-leading-zero-stripped", "rs",
     lambda k: (lambda h, p, raw: f"{h}.{p}.{b64u(raw[1:])}")(*k.rsa_sig_with_leading_zero()))
case("rsa-sig-modulus", "rs", lambda k: k.with_sig("rs", (lambda n: n.to_bytes(256, "big"))(
    __import__("cryptography.hazmat.primitives.serialization", fromlist=["x"])
    .load_pem_public_key(k.keys.pem("rsa-pub")).public_numbers().n)))
case("rsa-truncated", "rs",
     lambda k: (lambda h, p, s: f"{h}.{p}.{b64u(_b64d(s)[:128])}")(*k.parts("rs")))
case("hmac-truncated", "hs",
     lambda k: (lambda h, p, s: f"{h}.{p}.{b64u(_b64d(s)[:16])}")(*k.parts("hs")))
case("hmac-extended", "hs",
     lambda k: (lambda h, p, s: f"{h}.{p}.{b64u(_b64d(s) + NUL)}")(*k.parts("hs")))
case("hmac-empty-key", "hs", lambda k: k.sign("hs", key=b""))

# -- duplicate member names (validly signed: only the duplicate is wrong)
_H = '{"alg":"RS256","typ":"JWT"'
for _cid, _h in [
        ("dup-alg-rs-then-none", '{"alg":"RS256","alg":"none"}'),
        ("dup-alg-none-then-rs", '{"alg":"none","alg":"RS256"}'),
        ("dup-alg-same-value", '{"alg":"RS256","alg":"RS256"}'),
        ("dup-alg-escaped-name", '{"alg":"RS256","\\u0061lg":"RS256"}'),
        ("dup-alg-escaped-first", '{"\\u0061\\u006c\\u0067":"RS256","alg":"RS256"}'),
        ("dup-alg-escaped-upper-hex", '{"alg":"RS256","\\u0061\\u006C\\u0067":"HS256"}'),
        ("dup-alg-escaped-solidus", '{"alg":"RS256","a\\u006cg":"RS256"}'),
        ("dup-typ", _H + ',"typ":"JOSE"}'),
        ("dup-kid", _H + ',"kid":"a","kid":"b"}'),
        ("dup-in-nested-header-object", _H + ',"x":{"a":1,"a":2}}')]:
    case(f"hdr-{_cid}", "rs", lambda k, h=_h: k.sign("rs", header=h))
for _cid, _fmt in [
        ("dup-exp-past-then-future", '"exp":{past},"exp":{future}'),
        ("dup-exp-future-then-past", '"exp":{future},"exp":{past}'),
        ("dup-exp-same", '"exp":{future},"exp":{future}'),
        ("dup-exp-escaped", '"exp":{future},"\\u0065xp":{past}'),
        ("dup-exp-escaped-first", '"\\u0065\\u0078\\u0070":{past},"exp":{future}'),
        ("dup-sub", '"exp":{future},"sub":"mallory","sub":"alice"'),
        ("dup-sub-escaped", '"exp":{future},"sub":"alice","\\u0073ub":"admin"'),
        ("dup-iss", '"exp":{future},"iss":"https://evil.test","iss":"' + ISS + '"'),
        ("dup-aud", '"exp":{future},"aud":"other","aud":"' + AUD + '"'),
        ("dup-nested-claim", '"exp":{future},"role":{{"a":1,"a":2}}'),
        ("dup-in-array-object", '"exp":{future},"x":[{{"a":1,"a":2}}]')]:
    def _dup(k, fmt=_fmt):
        base = {"iss": ISS, "aud": AUD, "sub": "alice", "iat": k.now - 5}
        drop = [m for m in ("sub", "iss", "aud") if f'"{m}"' in fmt or f'{m}"' in fmt]
        for m in drop:
            base.pop(m, None)
        head = json.dumps(base, separators=(",", ":"))[:-1]
        body = fmt.format(past=k.now - 100, future=k.now + 600)
        return k.raw_payload("rs", head + "," + body + "}")
    case(f"pl-{_cid}", "rs", _dup)

# -- header and payload of the wrong JSON type or not JSON at all
for _cid, _h in [("array", '["RS256"]'), ("array-of-object", '[{"alg":"RS256"}]'),
                 ("string", '"RS256"'), ("null", "null"), ("number", "256"),
                 ("true", "true"), ("empty-object", "{}"), ("empty", ""),
                 ("trailing-garbage", _H + "}x"), ("two-objects", _H + "}{}"),
                 ("trailing-comma", _H + ",}"), ("single-quotes", "{'alg':'RS256'}"),
                 ("unquoted-name", '{alg:"RS256"}'), ("comment", "/*c*/" + _H + "}"),
                 ("bom", "\ufeff" + _H + "}"), ("unterminated", _H),
                 ("nul-byte-after", _H + "}\u0000"), ("utf16", (_H + "}").encode("utf-16"))]:
    case(f"hdr-json-{_cid}", "rs", lambda k, h=_h: k.sign("rs", header=h))
for _cid, _p in [("array", lambda k: json.dumps([k.claims()])),
                 ("string", lambda k: '"alice"'), ("null", lambda k: "null"),
                 ("number", lambda k: "42"), ("empty-object", lambda k: "{}"),
                 ("empty-array", lambda k: "[]"), ("empty", lambda k: ""),
                 ("trailing-garbage", lambda k: json.dumps(k.claims()) + "x"),
                 ("two-objects", lambda k: json.dumps(k.claims()) + "{}"),
                 ("trailing-comma", lambda k: json.dumps(k.claims())[:-1] + ",}"),
                 ("single-quotes", lambda k: json.dumps(k.claims()).replace('"', "'")),
                 ("bom", lambda k: "\ufeff" + json.dumps(k.claims())),
                 ("comment", lambda k: json.dumps(k.claims())[:-1] + "/*c*/}"),
                 ("nul-byte-after", lambda k: json.dumps(k.claims()) + "\u0000"),
                 ("raw-nul-in-string", lambda k: json.dumps(k.claims())[:-1]
                  + ',"x":"a\u0000b"}'),
                 ("raw-control-in-string", lambda k: json.dumps(k.claims())[:-1]
                  + ',"x":"a\u0001b"}'),
                 ("utf16", lambda k: json.dumps(k.claims()).encode("utf-16"))]:
    case(f"pl-json-{_cid}", "rs", lambda k, f=_p: k.raw_payload("rs", f(k)))

# -- time claims of every wrong type and out of range (JSON text verbatim)
_BAD_TIMES = {
    "string": lambda k: json.dumps(str(k.now + 600)),
    "string-float": lambda k: json.dumps(f"{k.now + 600}.0"),
    "true": lambda k: "true", "false": lambda k: "false", "null": lambda k: "null",
    "empty-array": lambda k: "[]", "array": lambda k: f"[{k.now + 600}]",
    "object": lambda k: "{}", "object-with-value": lambda k: f'{{"v":{k.now + 600}}}',
    "huge-1e300": lambda k: "1e300", "huge-neg-1e300": lambda k: "-1e300",
    "overflow-1e999": lambda k: "1e999", "neg-overflow": lambda k: "-1e999",
    "int-overflow": lambda k: "99999999999999999999999",
    "int64-max": lambda k: "9223372036854775807",
    "int64-max-plus-1": lambda k: "9223372036854775808",
    "negative": lambda k: "-1", "negative-now": lambda k: f"-{k.now}",
    "NaN": lambda k: "NaN", "Infinity": lambda k: "Infinity",
    "neg-Infinity": lambda k: "-Infinity", "nan-lower": lambda k: "nan",
    "hex": lambda k: "0x7fffffff", "leading-zero": lambda k: f"0{k.now + 600}",
    "leading-plus": lambda k: f"+{k.now + 600}", "trailing-dot": lambda k: f"{k.now + 600}.",
    "leading-dot": lambda k: ".5", "exp-no-digits": lambda k: f"{k.now + 600}e",
}
# values legal for one claim but not another are left out: e.g. nbf 1e300 is
# refused as "not yet valid" anyway, exp 1e300 as out of range
for _claim in ("exp", "nbf", "iat"):
    for _cid, _v in _BAD_TIMES.items():
        case(f"time-{_claim}-{_cid}", "rs",
             lambda k, c=_claim, v=_v: k.raw_payload("rs", k.payload_json(**{c: v(k)})))
case("time-exp-missing", "rs", lambda k: k.good("rs", exp=None))
case("time-exp-past", "rs", lambda k: k.good("rs", exp=k.now - 10))
case("time-exp-now-minus-1", "rs", lambda k: k.good("rs", exp=k.now - 1))
case("time-exp-zero", "rs", lambda k: k.good("rs", exp=0))
case("time-nbf-future", "rs", lambda k: k.good("rs", nbf=k.now + 120))
case("time-nbf-far-future", "rs", lambda k: k.good("rs", nbf=k.now + 10 ** 9))
case("time-iat-future", "rs", lambda k: k.good("rs", iat=k.now + 120))
case("time-all-missing", "rs", lambda k: k.good("rs", exp=None, nbf=None, iat=None))

# -- iss, aud, sub
for _cid, _over in [
        ("iss-wrong", {"iss": "https://evil.test"}), ("iss-missing", {"iss": None}),
        ("iss-case", {"iss": ISS.upper()}), ("iss-trailing-slash", {"iss": ISS + "/"}),
        ("iss-prefix", {"iss": ISS[:-1]}), ("iss-array", {"iss": [ISS]}),
        ("iss-number", {"iss": 1}), ("iss-object", {"iss": {"iss": ISS}}),
        ("iss-empty", {"iss": ""}), ("iss-nul-suffix", {"iss": ISS + "\u0000"}),
        ("aud-wrong", {"aud": "other"}), ("aud-missing", {"aud": None}),
        ("aud-array-without", {"aud": ["a", "b"]}), ("aud-empty-array", {"aud": []}),
        ("aud-number", {"aud": 42}), ("aud-array-of-numbers", {"aud": [1, 2]}),
        ("aud-nested-array", {"aud": [[AUD]]}), ("aud-object", {"aud": {"aud": AUD}}),
        ("aud-true", {"aud": True}), ("aud-prefix", {"aud": AUD[:-1]}),
        ("aud-case", {"aud": AUD.upper()}), ("aud-nul-suffix", {"aud": AUD + "\u0000"}),
        ("aud-comma-joined", {"aud": f"x,{AUD}"}),
        ("sub-missing", {"sub": None}), ("sub-empty", {"sub": ""}),
        ("sub-number", {"sub": 7}), ("sub-array", {"sub": ["alice"]}),
        ("sub-object", {"sub": {"a": "alice"}}), ("sub-true", {"sub": True}),
        ("sub-nul-inside", {"sub": "alice\u0000admin"}), ("sub-nul-only", {"sub": "\u0000"}),
        ("claim-nul-inside", {"role": "a\u0000b"}),
        ("claim-name-nul", {"ro\u0000le": "admin"})]:
    case(f"claim-{_cid}", "rs", lambda k, o=_over: k.good("rs", **o))
# (aud as an array holding a non-string beside our value is left out: the
# contract only says "an array containing the value", so either answer holds)

# -- crit and typ
for _cid, _hdr in [("crit-empty", {"crit": []}), ("crit-exp", {"crit": ["exp"], "exp": 1}),
                   ("crit-string", {"crit": "exp"}), ("crit-null", {"crit": None}),
                   ("crit-b64", {"crit": ["b64"], "b64": True}),
                   ("typ-JOSE", {"typ": "JOSE"}), ("typ-jwt+x", {"typ": "jwt+x"}),
                   ("typ-JOSE+JSON", {"typ": "JOSE+JSON"}), ("typ-empty", {"typ": ""}),
                   ("typ-null", {"typ": None}), ("typ-number", {"typ": 1}),
                   ("typ-array", {"typ": ["JWT"]}), ("typ-space", {"typ": "JWT "}),
                   ("typ-application-jwt", {"typ": "application/jwt"}),
                   ("typ-nul", {"typ": "JWT\u0000"}), ("typ-at+jwt+x", {"typ": "at+jwt+x"})]:
    case(f"hdr-{_cid}", "rs",
         lambda k, h=_hdr: k.sign("rs", header={"alg": "RS256", **h}))

# -- kid: at a location whose keys have kids, hostile kids name no key
for _cid, _kid in [("path-traversal", "../../etc/passwd"), ("abs-path", "/etc/passwd"),
                   ("sql", "x' OR '1'='1"), ("sql-comment", "k1'--"),
                   ("nul-suffix", "k1\u0000"), ("case", "K1"), ("space", "k1 "),
                   ("empty", ""), ("null", None), ("number", 1), ("array", ["k1"]),
                   ("object", {"k1": 1}), ("long", "k" * 4000),
                   ("format-string", "%s%s%n%n"), ("crlf", "k1\r\nX-Evil: 1")]:
    case(f"kid-{_cid}", "kid",
         lambda k, v=_kid: k.sign("kid", header={"alg": "RS256", "typ": "JWT", "kid": v}))
case("kid-missing-two-keys", "kid", lambda k: k.sign("kid"))
case("kid-k2-signed-by-k1-key", "kid",
     lambda k: k.sign("kid", header={"alg": "RS256", "kid": "k2"}))
# a kid beside a single kid-less key is ignored, but the signature still counts
case("kid-traversal-bad-sig-single-key", "rs", lambda k: k.sign(
    "rs", key="rsa2", header={"alg": "RS256", "kid": "../../etc/passwd"}))
case("kid-sql-bad-sig-hmac", "hs", lambda k: k.sign(
    "hs", key=b"x" * 32, header={"alg": "HS256", "kid": "x' OR '1'='1"}))

# -- size
case("size-9000", "rs", lambda k: k.sized("rs", 9000))
case("size-limit-plus-1", "rs", lambda k: k.sized("rs", 8193))
case("size-16000", "rs", lambda k: k.sized("rs", 16000))
case("size-9000-garbage", "rs", lambda k: "A" * 4000 + "." + "B" * 4000 + "." + "C" * 1000)

# -- nesting depth (the top-level object counts as one)
for _d in (17, 18, 100, 1000):
    case(f"depth-{_d}-arrays-in-payload", "rs",
         lambda k, d=_d: k.raw_payload("rs", k.payload_json(x=_nested(d - 1))))
    case(f"depth-{_d}-objects-in-payload", "rs",
         lambda k, d=_d: k.raw_payload("rs", k.payload_json(x=_nested(d - 1, "object"))))
case("depth-2000-arrays-in-payload", "rs",
     lambda k: k.raw_payload("rs", k.payload_json(x=_nested(1999))))
case("depth-1000-in-header", "rs",
     lambda k: k.sign("rs", header=_H + ',"x":' + _nested(999) + "}"))
case("depth-unclosed-3000", "rs",
     lambda k: k.raw_payload("rs", k.payload_json()[:-1] + ',"x":' + "[" * 3000 + "}"))

# -- NUL and invalid UTF-8 in the JSON
for _cid, _raw in [("nul-escape-sub", b'"sub":"alice\\u0000x"'),
                   ("nul-escape-name", b'"s\\u0000ub":"alice"'),
                   ("nul-escape-claim", b'"x":"\\u0000"'),
                   ("raw-nul", b'"x":"a\x00b"'),
                   ("invalid-utf8-ff", b'"x":"\xff"'),
                   ("invalid-utf8-in-sub", b'"sub":"ali\xffce"'),
                   ("invalid-utf8-name", b'"\xc3\x28":"x"'),
                   ("overlong-slash", b'"x":"\xc0\xaf"'),
                   ("overlong-nul", b'"x":"\xc0\x80"'),
                   ("truncated-seq", b'"x":"\xe2\x82"'),
                   ("surrogate-utf8", b'"x":"\xed\xa0\x80"'),
                   ("above-max-cp", b'"x":"\xf4\x90\x80\x80"'),
                   ("lone-high-surrogate-escape", b'"x":"\\ud800"'),
                   ("lone-low-surrogate-escape", b'"x":"\\udc00"'),
                   ("reversed-surrogates", b'"x":"\\udc00\\ud800"'),
                   ("bad-escape", b'"x":"\\x41"'),
                   ("short-u-escape", b'"x":"\\u12"'),
                   ("latin1-sub", b'"sub":"\xe9"')]:
    def _utf(k, raw=_raw):
        base = k.claims()
        if raw.startswith(b'"sub"'):
            base.pop("sub")
        body = json.dumps(base, separators=(",", ":")).encode()[:-1] + b"," + raw + b"}"
        return k.raw_payload("rs", body)
    case(f"json-{_cid}", "rs", _utf)
case("json-invalid-utf8-header", "rs",
     lambda k: k.sign("rs", header=_H.encode() + b',"x":"\xff"}'))
case("json-nul-escape-header", "rs",
     lambda k: k.sign("rs", header=_H + ',"x":"\\u0000"}'))


# --------------------------------------------------------------------------

CRASH = re.compile(r"exit signal|Segmentation fault|AH00052|AH00060|AH02604|"
                   r"seg fault|child process \d+ still did not exit|"
                   r"AddressSanitizer|double free|stack smashing", re.I)


class TestHostile:
    CONF = CONF

    @pytest.fixture(scope="class")
    def kit(self, keys):
        return Kit(keys)

    @pytest.fixture(scope="class")
    def logwatch(self, httpd):
        """Our own read position in the error log (the harness's check only
        looks at warn or worse; a crashed child is logged at notice)."""
        path = httpd.logs / "error_log"
        state = {"pos": path.stat().st_size if path.exists() else 0}

        def crashes():
            with open(path, "rb") as f:
                f.seek(state["pos"])
                data = f.read()
            state["pos"] += len(data)
            return [ln for ln in data.decode("utf-8", "replace").splitlines()
                    if CRASH.search(ln)]
        return crashes

    def _still_up(self, httpd, kit, loc, logwatch):
        r = httpd.get(f"/h/{loc}/static.txt", token=kit.good(loc))
        assert r.status_code == 200, ("a valid token no longer works", r.status_code)
        assert r.text == "STATIC-app\n"
        bad = logwatch()
        assert not bad, "crash in the error log:\n" + "\n".join(bad)

    def _send(self, httpd, loc, token):
        path = f"/h/{loc}/static.txt"
        if re.search(r"[^\x20-\x7e\t]", token):
            status, headers, body = httpd.raw(
                "GET", path, headers=[("Authorization", "Bearer " + token)])
            return status, dict(headers), body.decode("latin-1")
        r = httpd.get(path, token=token)
        return r.status_code, r.headers, r.text

    @pytest.mark.parametrize("loc,build", CASES)
    def test_ajwt_110_01_refused(self, httpd, kit, logwatch, loc, build):
        token = build(kit)
        assert isinstance(token, str) and token
        status, headers, body = self._send(httpd, loc, token)
        assert status == 401, (status, body[:200])
        www = headers.get("WWW-Authenticate") or headers.get("www-authenticate")
        scheme, params = harness.parse_challenge(www or "")
        assert scheme == "bearer", www
        assert params.get("realm") == f"h-{loc}", www
        assert params.get("error") == "invalid_token", www
        assert params.get("error_description"), www
        assert "STATIC-app" not in body
        self._still_up(httpd, kit, loc, logwatch)

    # -- odd but valid: must be accepted
    @pytest.mark.parametrize("loc", ["es", "es384", "es512"])
    def test_ajwt_110_02_high_s_ecdsa_accepted(self, httpd, kit, logwatch, loc):
        """RFC 7515 A.3's signature happens to be high-S; ECDSA as RFC 7518
        specifies it has no low-S rule and the contract demands none. (A.3's
        own token is expired and has no sub, so each valid token here is sent
        with both its low-S and its high-S signature, s and n - s.)"""
        low, high = kit.ec_high_low(loc)
        assert low != high
        for t in (low, high):
            r = httpd.get(f"/h/{loc}/static.txt", token=t)
            assert r.status_code == 200, (r.status_code, r.headers.get("WWW-Authenticate"))
        self._still_up(httpd, kit, loc, logwatch)

    def test_ajwt_110_03_exactly_the_size_limit_accepted(self, httpd, kit, logwatch):
        t = kit.sized("rs", 8192)
        assert len(t) == 8192
        r = httpd.get("/h/rs/static.txt", token=t)
        assert r.status_code == 200, (r.status_code, r.headers.get("WWW-Authenticate"))
        self._still_up(httpd, kit, "rs", logwatch)

    @pytest.mark.parametrize("kid", ["../../etc/passwd", "x' OR '1'='1"])
    def test_ajwt_110_04_kid_ignored_with_single_key(self, httpd, kit, logwatch, kid):
        """Contract: with a single key that has no kid, a token's kid is
        ignored; the signature by that key is what counts."""
        t = kit.sign("rs", header={"alg": "RS256", "typ": "JWT", "kid": kid})
        assert httpd.get("/h/rs/static.txt", token=t).status_code == 200
        self._still_up(httpd, kit, "rs", logwatch)

    def test_ajwt_110_05_depth_16_accepted(self, httpd, kit, logwatch):
        """The parser's documented limit (AJWT_JSON_MAX_DEPTH 16, the top-level
        object counting as one) is reachable; 17 is refused above."""
        t = kit.raw_payload("rs", kit.payload_json(x=_nested(15)))
        assert httpd.get("/h/rs/static.txt", token=t).status_code == 200
        self._still_up(httpd, kit, "rs", logwatch)

    def test_ajwt_110_06_aud_array_with_value_accepted(self, httpd, kit, logwatch):
        t = kit.good("rs", aud=["other", AUD])
        assert httpd.get("/h/rs/static.txt", token=t).status_code == 200
        self._still_up(httpd, kit, "rs", logwatch)

    def test_ajwt_110_07_every_location_accepts_a_valid_token(self, httpd, kit, logwatch):
        """The control: each location opens with a valid token of its own."""
        for loc in LOCS:
            self._still_up(httpd, kit, loc, logwatch)

    def test_ajwt_110_08_many_members_accepted(self, httpd, kit, logwatch):
        """Hundreds of distinct claims (400) and header members within the size
        limit: valid, and nothing breaks (duplicate detection, export)."""
        extra = {f"c{i}": i for i in range(400)}
        header = {"alg": "RS256", "typ": "JWT", **{f"h{i}": 1 for i in range(60)}}
        t = kit.sign("rs", header=header, payload=kit.claims(**extra))
        assert len(t) <= 8192
        r = httpd.get("/h/rs/env.cgi", token=t)
        assert r.status_code == 200, (r.status_code, r.headers.get("WWW-Authenticate"))
        env = harness.parse_env(r.text)
        assert env["REMOTE_USER"] == "alice"
        assert env["JWT_CLAIM_c399"] == "399"
        self._still_up(httpd, kit, "rs", logwatch)
