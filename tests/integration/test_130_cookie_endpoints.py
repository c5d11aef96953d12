# Licensed under the Apache License, Version 2.0.
"""test_ajwt_130_NN: browser mode of the login, refresh and logout handlers
(contract §5, AuthJWTDeliveryType Cookie): cookie attributes, 303 targets,
return_to checks, the CSRF rule, the GET refresh flow, HEAD, the cookie size
limit, two tabs refreshing at once, and JSON mode left as it was.

requests never sends a Secure cookie back over http, so every request here
carries its Cookie header by hand."""
import concurrent.futures
import time
import urllib.parse

import pytest

import harness
from harness import assert_no_store, assert_oauth_error, parse_env

BAD_SQL = "SELECT REPEAT('x', 4100) AS pad FROM users WHERE username = %s"

CONF = harness.snippet("server-keys.conf", "endpoints.conf") + f"""
# -- browser mode: login, refresh, logout under /ck, the app under /capp
<Location /ck>
    AuthJWTDeliveryType Cookie
    AuthJWTCookieName at
    AuthJWTRefreshLocation /ck/refresh
    AuthJWTLoginRequiredLocation /login.html
    AuthJWTRefreshReuseInterval 10
</Location>
<Location /ck/login>
    SetHandler jwt-login-handler
    AuthJWTProvider file
    AuthUserFile "@HTPASSWD@"
</Location>
<Location /ck/refresh>
    SetHandler jwt-refresh-handler
</Location>
<Location /ck/logout>
    SetHandler jwt-logout-handler
</Location>
<Location /capp>
    AuthType JWT
    AuthName "ajwt-capp"
    AuthJWTCookieName at
    Require valid-user
</Location>
Alias /capp "@DOCROOT@/app"

# -- no login location, not Secure, own paths and lifetime, no reuse grace
<Location /nl>
    AuthJWTDeliveryType Cookie
    AuthJWTCookieSecure Off
    AuthJWTCookiePath /nlapp/
    AuthJWTRefreshCookiePath /nl/
    AuthJWTAccessTokenLifetime 120
    AuthJWTRefreshReuseInterval 0
</Location>
<Location /nl/login>
    SetHandler jwt-login-handler
    AuthJWTProvider file
    AuthUserFile "@HTPASSWD@"
</Location>
<Location /nl/refresh>
    SetHandler jwt-refresh-handler
</Location>

# -- __Host- and __Secure- names stay Secure with AuthJWTCookieSecure Off
<Location /hx>
    AuthJWTDeliveryType Cookie
    AuthJWTCookieSecure Off
    AuthJWTCookieName __Host-at
    AuthJWTRefreshCookieName __Host-rt
    AuthJWTCookiePath /app/
    AuthJWTRefreshLocation /hx/refresh
</Location>
<Location /hx/login>
    SetHandler jwt-login-handler
    AuthJWTProvider file
    AuthUserFile "@HTPASSWD@"
</Location>
<Location /hx/refresh>
    SetHandler jwt-refresh-handler
</Location>
<Location /sx/login>
    SetHandler jwt-login-handler
    AuthJWTProvider file
    AuthUserFile "@HTPASSWD@"
    AuthJWTDeliveryType Cookie
    AuthJWTCookieSecure Off
    AuthJWTCookieName __Secure-at
    AuthJWTRefreshCookieName __Secure-rt
</Location>

# -- an access token too large for a cookie (fine as JSON: under 8192)
<Location /big>
    AuthJWTClaimsQuery "{BAD_SQL}"
</Location>
<Location /big/login>
    SetHandler jwt-login-handler
    AuthJWTProvider file
    AuthUserFile "@HTPASSWD@"
    AuthJWTDeliveryType Cookie
</Location>
<Location /big/refresh>
    SetHandler jwt-refresh-handler
    AuthJWTDeliveryType Cookie
</Location>
<Location /big/json-login>
    SetHandler jwt-login-handler
    AuthJWTProvider file
    AuthUserFile "@HTPASSWD@"
</Location>
"""

RT = "jwt_refresh"          # the default refresh cookie name


def cookies_of(r):
    """Set-Cookie headers as {name: (value, {attribute: value})}; attribute
    names lower case, flags map to ''."""
    out = {}
    for line in r.raw.headers.getlist("Set-Cookie"):
        parts = [p.strip() for p in line.split(";")]
        name, _, value = parts[0].partition("=")
        attrs = {}
        for a in parts[1:]:
            k, _, v = a.partition("=")
            attrs[k.lower()] = v
        assert name not in out, f"cookie {name} set twice: {r.raw.headers}"
        out[name] = (value, attrs)
    return out


def same_origin(httpd):
    return {"Origin": f"http://127.0.0.1:{httpd.port}"}


def login(httpd, user="alice", pw="alice-pw", path="/ck/login", headers=None,
          as_json=False, **extra):
    body = {"username": user, "password": pw, **extra}
    h = same_origin(httpd) if headers is None else headers
    if as_json:
        return httpd.post(path, json=body, headers=h)
    return httpd.post(path, data=body, headers=h)


def cookie_header(**pairs):
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in pairs.items())}


def assert_set(r, name, path, max_age, same_site, secure=True):
    """name is set (not cleared) with exactly the browser-mode attributes."""
    c = cookies_of(r)
    assert name in c, (name, r.status_code, r.raw.headers)
    value, attrs = c[name]
    assert value, (name, attrs)
    assert attrs.get("path") == path, (name, attrs)
    assert abs(int(attrs["max-age"]) - max_age) <= 2, (name, attrs)
    assert "httponly" in attrs, (name, attrs)
    assert ("secure" in attrs) == secure, (name, attrs)
    assert attrs.get("samesite") == same_site, (name, attrs)
    assert "expires" not in attrs and "domain" not in attrs, (name, attrs)
    return value


def assert_cleared(r, name, path):
    c = cookies_of(r)
    assert name in c, (name, r.status_code, r.raw.headers)
    value, attrs = c[name]
    assert value == "", (name, value)
    assert attrs.get("max-age") == "0", attrs
    assert "1970" in attrs.get("expires", ""), attrs
    assert attrs.get("path") == path, attrs
    assert "httponly" in attrs, attrs


def assert_see_other(r, location):
    assert r.status_code == 303, (r.status_code, r.text[:300])
    assert r.headers["Location"] == location, r.headers
    assert_no_store(r)
    assert r.content == b"", r.content[:200]


def browser_login(httpd, forge, user="alice", pw="alice-pw", return_to="/"):
    """Log in at /ck: (access cookie, refresh cookie)."""
    r = login(httpd, user, pw, return_to=return_to)
    assert_see_other(r, return_to)
    at = assert_set(r, "at", "/", 600, "Lax")
    rt = assert_set(r, RT, "/ck/", 604800, "Strict")
    assert forge.verify(at)["sub"] == user
    return at, rt


def get_refresh(httpd, rt, return_to=None, path="/ck/refresh", **kw):
    q = "" if return_to is None else "?return_to=" + urllib.parse.quote(return_to, safe="")
    return httpd.get(path + q, headers=cookie_header(**{RT: rt}) if rt else {}, **kw)


def post_refresh(httpd, rt, path="/ck/refresh", **kw):
    h = {**same_origin(httpd), **(cookie_header(**{RT: rt}) if rt else {})}
    return httpd.post(path, headers=h, **kw)


class TestCookieEndpoints:
    CONF = CONF

    # -- login
    def test_ajwt_130_01_login_sets_cookies(self, httpd, forge):
        r = login(httpd, return_to="/capp/env.cgi?x=1")
        assert_see_other(r, "/capp/env.cgi?x=1")
        at = assert_set(r, "at", "/", 600, "Lax")
        rt = assert_set(r, RT, "/ck/", 604800, "Strict")
        c = forge.verify(at)
        assert c["sub"] == "alice" and c["role"] == "admin"
        assert len(rt) >= 43 and rt != at
        # neither token anywhere but in the cookies
        assert at not in r.text and rt not in r.text
        # the access cookie opens the protected app
        r = httpd.get("/capp/env.cgi", headers=cookie_header(at=at))
        assert r.status_code == 200, r.text
        assert parse_env(r.text)["REMOTE_USER"] == "alice"
        # a JSON body works as well; no return_to means "/"
        r = login(httpd, as_json=True)
        assert_see_other(r, "/")
        assert_set(r, "at", "/", 600, "Lax")

    def test_ajwt_130_02_return_to_query_and_body(self, httpd):
        # return_to from the query string of the form's action ...
        r = httpd.post("/ck/login?return_to=%2Fcapp%2Fa%3Fb%3D1",
                       data={"username": "alice", "password": "alice-pw"},
                       headers=same_origin(httpd))
        assert_see_other(r, "/capp/a?b=1")
        # ... and the body field wins over it
        r = httpd.post("/ck/login?return_to=/from-query",
                       data={"username": "alice", "password": "alice-pw",
                             "return_to": "/from-body"},
                       headers=same_origin(httpd))
        assert_see_other(r, "/from-body")

    @pytest.mark.parametrize("payload", [
        "//evil.test", "///evil.test", "https://evil.test/", "http:/evil.test",
        "/\\evil.test", "\\\\evil.test", "%2F%2Fevil.test", "/%2F%2Fevil.test",
        "/%5Cevil.test", "/ok\r\nSet-Cookie: x=1", "/ok%0d%0aSet-Cookie:%20x=1",
        "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x",
        "/\tevil", " /evil", "/é", "evil.test", "",
    ])
    def test_ajwt_130_03_return_to_open_redirect(self, httpd, payload):
        r = login(httpd, return_to=payload)
        assert_see_other(r, "/")
        assert "evil" not in r.headers["Location"]
        assert "x" not in cookies_of(r)

    def test_ajwt_130_04_failed_login_redirects(self, httpd, mariadb):
        httpd.site.add_user(mariadb, "dora", "dora-pw", active=0)
        want = "/login.html?return_to=/capp/p%3Fq%3D1&error=invalid_grant"
        answers = [login(httpd, u, p, return_to="/capp/p?q=1")
                   for u, p in (("alice", "wrong"), ("nobody-here", "x"),
                                ("dora", "dora-pw"), ("alice", ""))]
        for r in answers:
            assert_see_other(r, want)
            assert cookies_of(r) == {}, r.raw.headers
        # byte-identical answers
        assert len({(a.status_code, a.headers["Location"], a.content)
                    for a in answers}) == 1
        # an unsafe return_to is not echoed
        r = login(httpd, "alice", "wrong", return_to="//evil.test")
        assert_see_other(r, "/login.html?return_to=/&error=invalid_grant")
        # no login location: the JSON answer of contract §3
        r = login(httpd, "alice", "wrong", "/nl/login")
        assert_oauth_error(r, 400, "invalid_grant")
        assert cookies_of(r) == {}
        assert_no_store(r)
        # a malformed request stays a JSON 400
        r = httpd.post("/ck/login", data={"username": "alice"},
                       headers=same_origin(httpd))
        assert_oauth_error(r, 400, "invalid_request")

    # -- CSRF
    def test_ajwt_130_05_csrf_login(self, httpd):
        port = httpd.port
        refused = [
            {},                                              # neither header
            {"Origin": "http://evil.test"},
            {"Origin": "null"},
            {"Origin": f"https://127.0.0.1:{port}"},         # other scheme
            {"Origin": f"http://127.0.0.1:{port + 1}"},      # other port
            {"Origin": "http://127.0.0.1"},
            {"Origin": f"http://127.0.0.1:{port}.evil.test"},
            {"Sec-Fetch-Site": "same-site"},
            {"Sec-Fetch-Site": "cross-site"},
            {"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.test"},
            {"Referer": f"http://127.0.0.1:{port}/"},        # Referer is not enough
        ]
        for h in refused:
            r = login(httpd, headers=h, return_to="/x")
            assert_oauth_error(r, 403, "access_denied")
            assert cookies_of(r) == {}, (h, r.raw.headers)
            assert_no_store(r)
        accepted = [
            {"Origin": f"http://127.0.0.1:{port}"},
            {"Origin": f"HTTP://127.0.0.1:{port}"},
            {"Sec-Fetch-Site": "same-origin"},
            {"Sec-Fetch-Site": "none"},
            {"Sec-Fetch-Site": "same-origin", "Origin": f"http://127.0.0.1:{port}"},
        ]
        for h in accepted:
            r = login(httpd, headers=h, return_to="/x")
            assert_see_other(r, "/x")

    def test_ajwt_130_06_csrf_refresh_and_logout(self, httpd, forge):
        _at, rt = browser_login(httpd, forge)
        evil = {"Origin": "http://evil.test", **cookie_header(**{RT: rt})}
        for path in ("/ck/refresh", "/ck/logout"):
            for h in (evil, cookie_header(**{RT: rt}),
                      {"Sec-Fetch-Site": "same-site", **cookie_header(**{RT: rt})}):
                r = httpd.post(path, headers=h)
                assert_oauth_error(r, 403, "access_denied")
                assert cookies_of(r) == {}, r.raw.headers
        # nothing was spent or revoked: the cookie still refreshes
        r = post_refresh(httpd, rt)
        assert r.status_code == 200, r.text
        # Sec-Fetch-Site alone is enough
        rt2 = cookies_of(r)[RT][0]
        r = httpd.post("/ck/refresh", headers={"Sec-Fetch-Site": "same-origin",
                                               **cookie_header(**{RT: rt2})})
        assert r.status_code == 200, r.text

    # -- refresh by POST (XHR / fetch)
    def test_ajwt_130_07_refresh_post(self, httpd, forge):
        _at, rt = browser_login(httpd, forge)
        r = post_refresh(httpd, rt)
        assert r.status_code == 200, r.text
        assert r.json() == {"expires_in": 600}
        assert_no_store(r)
        at2 = assert_set(r, "at", "/", 600, "Lax")
        rt2 = assert_set(r, RT, "/ck/", 604800, "Strict")
        assert rt2 != rt and forge.verify(at2)["sub"] == "alice"
        # an empty form, a JSON {} or an empty JSON body do as well
        r = post_refresh(httpd, rt2, data={})
        assert r.status_code == 200, r.text
        rt3 = cookies_of(r)[RT][0]
        r = post_refresh(httpd, rt3, json={})
        assert r.status_code == 200, r.text
        rt4 = cookies_of(r)[RT][0]
        r = httpd.post("/ck/refresh", data="", headers={
            "Content-Type": "application/json", **same_origin(httpd),
            **cookie_header(**{RT: rt4})})
        assert r.status_code == 200, r.text
        rt5 = cookies_of(r)[RT][0]
        # a refresh_token body field wins over the cookie
        r = post_refresh(httpd, "A" * 43, data={"refresh_token": rt5})
        assert r.status_code == 200, r.text
        rt6 = cookies_of(r)[RT][0]
        r = post_refresh(httpd, rt6, data={"refresh_token": "B" * 43})
        assert_oauth_error(r, 400, "invalid_grant")

    def test_ajwt_130_08_refresh_post_failures_clear(self, httpd, forge):
        for rt in ("A" * 43, "not a token!"):
            r = post_refresh(httpd, rt)
            assert_oauth_error(r, 400, "invalid_grant")
            assert_no_store(r)
            assert_cleared(r, "at", "/")
            assert_cleared(r, RT, "/ck/")
            assert "secure" in cookies_of(r)[RT][1]
        # no refresh cookie at all says nothing about the session: nothing
        # is cleared (else any site could log users out)
        r = post_refresh(httpd, None)
        assert_oauth_error(r, 400, "invalid_grant")
        assert cookies_of(r) == {}, r.headers
        # without a login location the same
        r = post_refresh(httpd, "A" * 43, path="/nl/refresh")
        assert_oauth_error(r, 400, "invalid_grant")
        assert_cleared(r, "jwt_access", "/nlapp/")
        assert_cleared(r, RT, "/nl/")

    def test_ajwt_130_18_refresh_cookie_parsing(self, httpd, forge):
        _at, rt = browser_login(httpd, forge)
        # among other cookies, in a second Cookie header, spaced out
        status, headers, body = httpd.raw("POST", "/ck/refresh", headers=[
            ("Origin", f"http://127.0.0.1:{httpd.port}"),
            ("Cookie", "a=1; jwt_refresh2=x; xjwt_refresh=y"),
            ("Cookie", f"b=2;  {RT}={rt} ; c=3")])
        assert status == 200, body
        rt2 = [v for k, v in headers if k.lower() == "set-cookie"
               and v.startswith(RT + "=")][0].split(";")[0].split("=", 1)[1]
        # sent twice (an old cookie under another Path): none is used, the
        # token is not spent, and httpd logs nothing at error level
        r = httpd.post("/ck/refresh", headers={
            **same_origin(httpd), "Cookie": f"{RT}={rt2}; {RT}=stale"})
        assert_oauth_error(r, 400, "invalid_grant")
        assert RT not in cookies_of(r)  # no cookie was usable: nothing cleared
        r = post_refresh(httpd, rt2)
        assert r.status_code == 200, r.text
        # only a name prefix: no cookie
        r = httpd.post("/ck/refresh", headers={**same_origin(httpd),
                                               "Cookie": f"{RT}x={rt2}"})
        assert_oauth_error(r, 400, "invalid_grant")

    # -- refresh by GET (the redirect flow of a navigation)
    def test_ajwt_130_09_get_refresh_flow(self, httpd, forge):
        _at, rt = browser_login(httpd, forge)
        r = get_refresh(httpd, rt, "/capp/env.cgi?a=1&b=%20c")
        assert_see_other(r, "/capp/env.cgi?a=1&b=%20c")
        at2 = assert_set(r, "at", "/", 600, "Lax")
        rt2 = assert_set(r, RT, "/ck/", 604800, "Strict")
        assert rt2 != rt
        r = httpd.get("/capp/env.cgi", headers=cookie_header(at=at2))
        assert r.status_code == 200 and "REMOTE_USER=alice" in r.text
        # no return_to, or an unsafe one: "/"
        r = get_refresh(httpd, rt2)
        assert_see_other(r, "/")
        rt3 = cookies_of(r)[RT][0]
        r = get_refresh(httpd, rt3, "//evil.test")
        assert_see_other(r, "/")
        rt4 = cookies_of(r)[RT][0]
        # a raw query: %2F%2Fevil decodes to //evil
        r = httpd.get("/ck/refresh?return_to=%2F%2Fevil.test",
                      headers=cookie_header(**{RT: rt4}))
        assert_see_other(r, "/")
        # no Origin check on a GET: a navigation from anywhere
        rt5 = cookies_of(r)[RT][0]
        r = httpd.get("/ck/refresh?return_to=/x",
                      headers={"Origin": "http://evil.test",
                               "Sec-Fetch-Site": "cross-site",
                               **cookie_header(**{RT: rt5})})
        assert_see_other(r, "/x")

    def test_ajwt_130_10_get_refresh_failures(self, httpd, forge, mariadb):
        login_to = "/login.html?return_to=/capp/p%3Fq%3D1"
        # no cookie: a same-origin bounce first (a navigation another site
        # started carries no SameSite=Strict cookie), then the login page;
        # nothing is cleared
        r = get_refresh(httpd, None, "/capp/p?q=1")
        assert r.status_code == 200 and "ajwt_bounce=1" in r.text, r.text
        assert cookies_of(r) == {}
        r = httpd.get("/ck/refresh?return_to=/capp/p%3Fq%3D1&ajwt_bounce=1")
        assert_see_other(r, login_to)
        assert cookies_of(r) == {}
        # an unknown one: login, cookies cleared
        r = get_refresh(httpd, "A" * 43, "/capp/p?q=1")
        assert_see_other(r, login_to)
        assert_cleared(r, "at", "/")
        assert_cleared(r, RT, "/ck/")
        # an older ancestor: the family is revoked, the newest token too
        _at, r1 = browser_login(httpd, forge)
        r2 = cookies_of(get_refresh(httpd, r1))[RT][0]
        r3 = cookies_of(get_refresh(httpd, r2))[RT][0]
        r = get_refresh(httpd, r1, "/capp/p?q=1")
        assert_see_other(r, login_to)
        assert_cleared(r, RT, "/ck/")
        assert_see_other(get_refresh(httpd, r3, "/capp/p?q=1"), login_to)
        httpd.expect_log("AJWT02007")  # refresh-token reuse detected, on purpose
        # a deactivated user
        httpd.site.add_user(mariadb, "eve", "eve-pw")
        _at, rt = browser_login(httpd, forge, "eve", "eve-pw")
        mariadb.sql("UPDATE users SET active = 0 WHERE username = 'eve'")
        r = get_refresh(httpd, rt, "/capp/p?q=1")
        assert_see_other(r, login_to)
        assert_cleared(r, "at", "/")
        # no login location: JSON 400, cookies cleared
        r = get_refresh(httpd, "A" * 43, "/x", path="/nl/refresh")
        assert_oauth_error(r, 400, "invalid_grant")
        assert_cleared(r, RT, "/nl/")

    def test_ajwt_130_11_head_and_methods(self, httpd, forge):
        # /nl has no reuse grace: had HEAD rotated, the GET below would be a
        # reuse and fail
        r = login(httpd, path="/nl/login")
        assert r.status_code == 303, r.text
        rt = cookies_of(r)[RT][0]
        r = httpd.request("HEAD", "/nl/refresh?return_to=/y",
                          headers=cookie_header(**{RT: rt}))
        assert r.status_code == 405, r.status_code
        assert cookies_of(r) == {}
        assert r.headers.get("Allow") == "GET, POST", r.headers
        r = get_refresh(httpd, rt, "/y", path="/nl/refresh")
        assert_see_other(r, "/y")
        for m in ("PUT", "DELETE", "PATCH", "OPTIONS"):
            r = httpd.request(m, "/ck/refresh", headers=same_origin(httpd))
            assert r.status_code == 405, (m, r.status_code)
            assert r.headers.get("Allow") == "GET, POST", r.headers
        for path in ("/ck/login", "/ck/logout"):
            for m in ("GET", "HEAD", "PUT"):
                r = httpd.request(m, path, headers=cookie_header(**{RT: rt}))
                assert r.status_code == 405, (path, m, r.status_code)
                assert r.headers.get("Allow") == "POST", r.headers
                assert cookies_of(r) == {}

    # -- logout
    def test_ajwt_130_12_logout(self, httpd, forge):
        _at, rt = browser_login(httpd, forge)
        h = {**same_origin(httpd), **cookie_header(**{RT: rt})}
        r = httpd.post("/ck/logout", headers=h)
        assert_see_other(r, "/")
        assert_cleared(r, "at", "/")
        assert_cleared(r, RT, "/ck/")
        assert_see_other(get_refresh(httpd, rt, "/z"), "/login.html?return_to=/z")
        # return_to, checked
        _at, rt = browser_login(httpd, forge)
        r = httpd.post("/ck/logout", data={"return_to": "/bye"},
                       headers={**same_origin(httpd), **cookie_header(**{RT: rt})})
        assert_see_other(r, "/bye")
        r = httpd.post("/ck/logout?return_to=https://evil.test",
                       headers=same_origin(httpd))
        assert_see_other(r, "/")
        # no cookie at all: nothing to revoke, cookies cleared anyway
        assert_cleared(r, RT, "/ck/")
        # all=true revokes every family of the user
        _at, a = browser_login(httpd, forge, "bob", "bob-pw")
        _at, b = browser_login(httpd, forge, "bob", "bob-pw")
        r = httpd.post("/ck/logout", data={"all": "true"},
                       headers={**same_origin(httpd), **cookie_header(**{RT: a})})
        assert_see_other(r, "/")
        assert_see_other(get_refresh(httpd, b, "/z"), "/login.html?return_to=/z")

    # -- attributes in other configurations
    def test_ajwt_130_13_cookie_secure_off_and_paths(self, httpd, forge):
        r = login(httpd, path="/nl/login", return_to="/nlapp/")
        assert_see_other(r, "/nlapp/")
        at = assert_set(r, "jwt_access", "/nlapp/", 120, "Lax", secure=False)
        assert_set(r, RT, "/nl/", 604800, "Strict", secure=False)
        assert forge.verify(at)["exp"] - forge.verify(at)["iat"] == 120
        r = post_refresh(httpd, cookies_of(r)[RT][0], path="/nl/refresh")
        assert r.json() == {"expires_in": 120}
        assert_set(r, "jwt_access", "/nlapp/", 120, "Lax", secure=False)

    def test_ajwt_130_14_host_and_secure_prefixes(self, httpd, forge):
        r = login(httpd, path="/hx/login")
        assert_see_other(r, "/")
        # __Host-: Secure and Path=/ whatever the configuration says
        assert_set(r, "__Host-at", "/", 600, "Lax", secure=True)
        rt = assert_set(r, "__Host-rt", "/", 604800, "Strict", secure=True)
        r = httpd.post("/hx/refresh", headers={**same_origin(httpd),
                                               **cookie_header(**{"__Host-rt": rt})})
        assert r.status_code == 200, r.text
        assert_set(r, "__Host-rt", "/", 604800, "Strict", secure=True)
        r = httpd.post("/hx/refresh", headers={**same_origin(httpd),
                                               **cookie_header(**{"__Host-rt": "A" * 43})})
        assert_oauth_error(r, 400, "invalid_grant")
        assert_cleared(r, "__Host-rt", "/")
        assert "secure" in cookies_of(r)["__Host-rt"][1]
        # __Secure-: Secure, the configured paths kept
        r = login(httpd, path="/sx/login")
        assert_see_other(r, "/")
        assert_set(r, "__Secure-at", "/", 600, "Lax", secure=True)
        assert_set(r, "__Secure-rt", "/sx/", 604800, "Strict", secure=True)

    # -- size limit
    def test_ajwt_130_15_token_too_large_for_a_cookie(self, httpd, forge):
        r = login(httpd, path="/big/login", return_to="/x")
        assert_oauth_error(r, 500, "server_error")
        assert cookies_of(r) == {}, r.raw.headers
        assert "eyJ" not in r.text
        httpd.expect_log("AJWT02401")  # the over-size token, logged at error on purpose
        # the same claims as JSON: fine (under AuthJWTMaxTokenSize 8192)
        r = login(httpd, path="/big/json-login")
        assert r.status_code == 200, r.text
        body = r.json()
        assert 4000 < len(body["access_token"]) <= 8192
        # a rotation there does not leave a usable cookie either
        r = httpd.post("/big/refresh", data={"refresh_token": body["refresh_token"]},
                       headers=same_origin(httpd))
        assert_oauth_error(r, 500, "server_error")
        assert cookies_of(r) == {}, r.raw.headers

    # -- two tabs at once
    def test_ajwt_130_16_parallel_get_refresh(self, httpd, forge, mariadb):
        """Two tabs navigate at once with the same refresh cookie: both are
        logged in, and the family stays alive (the store's reuse grace)."""
        for _round in range(3):
            _at, rt = browser_login(httpd, forge)
            with concurrent.futures.ThreadPoolExecutor(2) as ex:
                answers = list(ex.map(lambda p: get_refresh(httpd, rt, p),
                                      ["/tab1", "/tab2"]))
            news = []
            for r, want in zip(answers, ["/tab1", "/tab2"]):
                assert_see_other(r, want)
                news.append(assert_set(r, RT, "/ck/", 604800, "Strict"))
                at = assert_set(r, "at", "/", 600, "Lax")
                r = httpd.get("/capp/env.cgi", headers=cookie_header(at=at))
                assert r.status_code == 200 and "REMOTE_USER=alice" in r.text
            assert news[0] != news[1]
            # not revoked, and whichever answer the shared cookie jar keeps
            # works: both new tokens are live siblings
            live = [n for n in news if mariadb.sql(
                "SELECT COUNT(*) FROM auth_jwt_refresh_token WHERE token_hash = "
                f"'{harness.sha256_hex(n)}' AND used_at = 0 AND revoked_at = 0"
            )[0][0] == "1"]
            assert len(live) == 2, news
            kept = news[_round % 2]
            assert_see_other(get_refresh(httpd, kept, "/again"), "/again")
            # ...and that refresh retired the other one: one lineage left
            other = news[1 - _round % 2]
            assert mariadb.sql(
                "SELECT used_at > 0 FROM auth_jwt_refresh_token WHERE token_hash = "
                f"'{harness.sha256_hex(other)}'")[0][0] == "1"

    # -- JSON mode is unchanged
    def test_ajwt_130_17_json_mode_unchanged(self, httpd, forge):
        r = httpd.post("/auth/login", data={"username": "alice",
                                            "password": "alice-pw",
                                            "return_to": "/x"})
        assert r.status_code == 200, r.text
        assert cookies_of(r) == {}
        body = r.json()
        assert set(body) == {"access_token", "token_type", "expires_in",
                             "refresh_token", "refresh_expires_in"}
        # no CSRF rule, no cookie read, GET still 405
        r = httpd.post("/auth/refresh", headers={"Origin": "http://evil.test",
                                                 **cookie_header(**{RT: body["refresh_token"]})},
                       data={})
        assert_oauth_error(r, 400, "invalid_request")
        r = httpd.get("/auth/refresh", headers=cookie_header(**{RT: body["refresh_token"]}))
        assert r.status_code == 405 and r.headers["Allow"] == "POST"
        r = httpd.post("/auth/logout", headers={"Origin": "http://evil.test"},
                       data={"refresh_token": body["refresh_token"]})
        assert r.status_code == 200 and r.json() == {}
        assert cookies_of(r) == {}


DEAD_CONF = CONF + """
# the default server, and a virtual host whose database is gone
<VirtualHost 127.0.0.1:@PORT@>
    ServerName 127.0.0.1
</VirtualHost>
<VirtualHost 127.0.0.1:@PORT@>
    ServerName dead.test
    DBDParams "sock=@DEADSOCK@,user=@DBUSER@,pass=@DBPASS@,dbname=@DBNAME@,reconnect=0"
</VirtualHost>
"""

DEAD = {"Host": "dead.test", "Origin": "http://dead.test"}


class TestCookieDatabaseDown:
    CONF = DEAD_CONF
    LOG_IGNORE = [
        # mod_dbd of the dead.test host cannot connect: that is the test
        r"\[dbd:error\].*(AH00629|AH00633|AH00632|AH00630|dead\.sock)",
        r"\[dbd:error\].*Can't connect",
        r"\[dbd:crit\].*AH00636",  # mod_dbd: "child init failed" (dead.test pool)
        # AJWT020xx: the store layer's "no database connection" (and friends)
        r"\[auth_jwt:error\].*AJWT020\d\d",
    ]

    def test_ajwt_130_30_store_down(self, httpd, forge):
        # the live server works
        _at, rt = browser_login(httpd, forge)
        # login: back to the login page, saying why
        r = login(httpd, headers=DEAD, return_to="/x")
        assert_see_other(r, "/login.html?return_to=/x&error=temporarily_unavailable")
        assert cookies_of(r) == {}
        # no login location: the JSON 503
        r = login(httpd, path="/nl/login", headers=DEAD)
        assert_oauth_error(r, 503, "temporarily_unavailable")
        # refresh, POST or GET: 503, the cookies left alone (the session may
        # still be good once the database is back)
        r = httpd.post("/ck/refresh", headers={**DEAD, **cookie_header(**{RT: rt})})
        assert_oauth_error(r, 503, "temporarily_unavailable")
        assert cookies_of(r) == {}
        r = httpd.get("/ck/refresh?return_to=/x",
                      headers={"Host": "dead.test", **cookie_header(**{RT: rt})})
        assert_oauth_error(r, 503, "temporarily_unavailable")
        assert cookies_of(r) == {}
        # logout: the cookies are cleared anyway, the 503 says the family
        # could not be revoked
        r = httpd.post("/ck/logout", headers={**DEAD, **cookie_header(**{RT: rt})})
        assert_oauth_error(r, 503, "temporarily_unavailable")
        assert_cleared(r, "at", "/")
        assert_cleared(r, RT, "/ck/")
        # the token was not touched: it still refreshes on the live server
        r = post_refresh(httpd, rt)
        assert r.status_code == 200, r.text
