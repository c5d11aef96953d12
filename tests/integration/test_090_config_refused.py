# Licensed under the Apache License, Version 2.0.
"""test_ajwt_090_NN: configurations httpd must refuse (`apache2 -t`), naming
the file and line."""
import re

import pytest

import harness

LOC = """
<Location /app>
    AuthType JWT
    AuthName "ajwt-app"
    {directives}
    Require valid-user
</Location>
"""

CASES = {
    "bad_key_file": ("AuthJWTSignatureAlgorithm RS256\n"
                     'AuthJWTSignaturePublicKeyFile "@KEYS@/garbage.pem"',
                     "AuthJWTSignaturePublicKeyFile", r"garbage\.pem"),
    "missing_key_file": ("AuthJWTSignatureAlgorithm RS256\n"
                         'AuthJWTSignaturePublicKeyFile "@KEYS@/nope.pem"',
                         "AuthJWTSignaturePublicKeyFile", r"nope\.pem"),
    "rsa_key_for_es256": ("AuthJWTSignatureAlgorithm ES256\n"
                          'AuthJWTSignaturePublicKeyFile "@KEYS@/rsa-pub.pem"',
                          "AuthJWTSignaturePublicKeyFile", r"ES256|EC|rsa-pub"),
    "ec_key_for_rs256": ("AuthJWTSignatureAlgorithm RS256\n"
                         'AuthJWTSignaturePublicKeyFile "@KEYS@/ec-pub.pem"',
                         "AuthJWTSignaturePublicKeyFile", r"RS256|RSA|ec-pub"),
    "short_hmac_secret": ("AuthJWTSignatureAlgorithm HS256\n"
                          'AuthJWTSignatureSharedSecret "@HS256_SHORT_B64@"',
                          "AuthJWTSignatureSharedSecret", r"32|short"),
    "hmac_secret_not_base64": ("AuthJWTSignatureAlgorithm HS256\n"
                               'AuthJWTSignatureSharedSecret "%%%not base64%%%"',
                               "AuthJWTSignatureSharedSecret", r"base64"),
    "unknown_alg": ("AuthJWTSignatureAlgorithm XS256\n"
                    'AuthJWTSignaturePublicKeyFile "@KEYS@/rsa-pub.pem"',
                    "AuthJWTSignatureAlgorithm", r"XS256"),
    "alg_none": ("AuthJWTSignatureAlgorithm none\n"
                 'AuthJWTSignaturePublicKeyFile "@KEYS@/rsa-pub.pem"',
                 "AuthJWTSignatureAlgorithm", r"none"),
    "private_key_as_hmac": ("AuthJWTSignatureAlgorithm HS256\n"
                            'AuthJWTSignaturePublicKeyFile "@KEYS@/rsa-pub.pem"',
                            "AuthJWTSignaturePublicKeyFile", r"HS256|HMAC|rsa-pub"),
    "claims_query_without_placeholder": (
        "AuthJWTSignatureAlgorithm RS256\n"
        'AuthJWTSignaturePublicKeyFile "@KEYS@/rsa-pub.pem"\n'
        'AuthJWTClaimsQuery "SELECT role FROM users"',
        "AuthJWTClaimsQuery", r"exactly one %s"),
    "claims_query_two_placeholders": (
        "AuthJWTSignatureAlgorithm RS256\n"
        'AuthJWTSignaturePublicKeyFile "@KEYS@/rsa-pub.pem"\n'
        'AuthJWTClaimsQuery "SELECT role FROM users WHERE username = %s OR email = %s"',
        "AuthJWTClaimsQuery", r"exactly one %s"),
    "claims_query_other_placeholder": (
        "AuthJWTSignatureAlgorithm RS256\n"
        'AuthJWTSignaturePublicKeyFile "@KEYS@/rsa-pub.pem"\n'
        'AuthJWTClaimsQuery "SELECT role FROM users WHERE username = %s AND id = %d"',
        "AuthJWTClaimsQuery", r"other"),
    "cookie_name_with_space": (
        "AuthJWTSignatureAlgorithm RS256\n"
        'AuthJWTSignaturePublicKeyFile "@KEYS@/rsa-pub.pem"\n'
        'AuthJWTCookieName "a b"',
        "AuthJWTCookieName", r"cookie name"),
    "bad_leeway": ("AuthJWTSignatureAlgorithm RS256\n"
                   'AuthJWTSignaturePublicKeyFile "@KEYS@/rsa-pub.pem"\n'
                   "AuthJWTLeeway soon",
                   "AuthJWTLeeway", r"soon|integer|number"),
}


@pytest.fixture(scope="module")
def checker(server_factory):
    return server_factory("090-refused")


@pytest.mark.parametrize("case", sorted(CASES))
def test_ajwt_090_01_refused(checker, case):
    directives, directive, what = CASES[case]
    rc, out, path = checker.configtest(LOC.format(directives=directives), case)
    assert rc != 0, f"{case}: httpd -t accepted it:\n{out}"
    conf = path.read_text().splitlines()
    # the offending directive, or the algorithm it is checked against
    lines = [i + 1 for i, t in enumerate(conf)
             if t.strip().startswith((directive, "AuthJWTSignatureAlgorithm"))]
    assert str(path) in out, out
    # "Syntax error on line N of FILE" (directive time) or "FILE:N" (check time)
    assert any(re.search(rf"line {n}\b|{re.escape(str(path))}:{n}\b", out)
               for n in lines), f"none of lines {lines} named:\n{out}"
    assert re.search(what, out, re.I), out


def test_ajwt_090_02_good_config_passes(checker):
    rc, out, _p = checker.configtest(LOC.format(
        directives="AuthJWTSignatureAlgorithm RS256\n"
                   'AuthJWTSignaturePublicKeyFile "@KEYS@/rsa-pub.pem"'), "good")
    assert rc == 0, out
    assert "Syntax OK" in out


# Mismatches only the whole configuration shows (check_config time).
CROSS = {
    "server_alg_location_key": (
        "AuthJWTSignatureAlgorithm ES256\n" + LOC.format(
            directives='AuthJWTSignaturePublicKeyFile "@KEYS@/rsa-pub.pem"'),
        r"ES256"),
    "server_key_location_alg": (
        'AuthJWTSignaturePublicKeyFile "@KEYS@/rsa-pub.pem"\n' + LOC.format(
            directives="AuthJWTSignatureAlgorithm ES256"),
        r"ES256"),
    "secret_too_short_for_hs512": (
        'AuthJWTSignatureSharedSecret "@HS256_B64@"\n' + LOC.format(
            directives="AuthJWTSignatureAlgorithm HS512"),
        r"HS512|64"),
    "key_before_alg_same_section": (
        LOC.format(directives='AuthJWTSignaturePublicKeyFile "@KEYS@/rsa-pub.pem"\n'
                              "    AuthJWTSignatureAlgorithm ES256"),
        r"ES256"),
    "key_without_alg": (
        LOC.format(directives='AuthJWTSignaturePublicKeyFile "@KEYS@/rsa-pub.pem"'),
        r"AuthJWTSignatureAlgorithm|algorithm"),
}


@pytest.mark.parametrize("case", sorted(CROSS))
def test_ajwt_090_03_refused_cross_check(checker, case):
    snippet, what = CROSS[case]
    rc, out, path = checker.configtest(snippet, case)
    assert rc != 0, f"{case}: httpd -t accepted it:\n{out}"
    conf = path.read_text().splitlines()
    lines = [i + 1 for i, t in enumerate(conf) if t.strip().startswith("AuthJWT")]
    assert any(re.search(rf"line {n}\b|{re.escape(str(path))}:{n}\b", out)
               for n in lines), f"none of lines {lines} named:\n{out}"
    assert re.search(what, out), out


def test_ajwt_090_04_claims_query_with_literal_percent(checker):
    rc, out, _p = checker.configtest(LOC.format(
        directives="AuthJWTSignatureAlgorithm RS256\n"
                   'AuthJWTSignaturePublicKeyFile "@KEYS@/rsa-pub.pem"\n'
                   'AuthJWTClaimsQuery "SELECT role FROM users WHERE username = %s '
                   "AND email NOT LIKE '%%@old.test'\""), "percent")
    assert rc == 0, out


def test_ajwt_090_05_handler_without_mod_dbd_refused(checker):
    """A jwt-* handler needs mod_dbd: starting without it is a configuration
    error reported at startup, not a 503 'outage' at request time."""
    snippet = harness.snippet("server-keys.conf") + """
<Location /auth/login>
    SetHandler jwt-login-handler
</Location>
"""
    rc, out, path = checker.configtest(snippet, "nodbd")
    assert rc == 0, out
    text = "\n".join(line for line in path.read_text().splitlines()
                     if "dbd_module" not in line and not line.startswith("DBD"))
    path.write_text(text)
    log = checker.logs / "error_log"
    before = log.stat().st_size if log.exists() else 0
    p = harness.run([checker.binary, "-f", str(path), "-k", "start"], check=False)
    out = p.stdout + p.stderr
    if log.exists():
        with open(log, encoding="utf-8", errors="replace") as f:
            f.seek(before)
            out += f.read()
    try:
        assert p.returncode != 0, out
        assert "AJWT02022" in out and "mod_dbd" in out, out
    finally:
        harness.run([checker.binary, "-f", str(path), "-k", "stop"], check=False)
