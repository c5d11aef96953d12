# Licensed under the Apache License, Version 2.0.
"""test_ajwt_140_NN: browser mode on protected locations (contract §5):
navigations without a valid token are sent to the refresh or login page
with return_to, everything else keeps its 401; CORS preflight; the token
cookies hidden from the application."""
import time
from urllib.parse import parse_qs, urlsplit

import harness
from harness import assert_challenge

NAV = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}

COOKIE_CGI = r"""#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
echo "REMOTE_USER=$REMOTE_USER"
echo "HTTP_COOKIE=$HTTP_COOKIE"
"""

CONF = harness.snippet("server-keys.conf") + r"""
AuthJWTCookieName at
AuthJWTRefreshCookieName rt
Alias /both "@DOCROOT@/app"
<Location /both>
    AuthType JWT
    AuthName "ajwt-both"
    AuthJWTLoginRequiredLocation /login.html
    AuthJWTRefreshLocation /auth/refresh
    Require valid-user
</Location>
Alias /loginonly "@DOCROOT@/app"
<Location /loginonly>
    AuthType JWT
    AuthName "ajwt-loginonly"
    AuthJWTLoginRequiredLocation /login.php?lang=en
    Require valid-user
</Location>
Alias /plain "@DOCROOT@/app"
<Location /plain>
    AuthType JWT
    AuthName "ajwt-plain"
    Require valid-user
</Location>
Alias /pre "@DOCROOT@/app"
<Location /pre>
    AuthType JWT
    AuthName "ajwt-pre"
    AuthJWTAllowPreflight On
    Require valid-user
</Location>
Alias /pass "@DOCROOT@/app"
<Location /pass>
    AuthType JWT
    AuthName "ajwt-pass"
    AuthJWTPassCookie On
    Require valid-user
</Location>
"""


def target(r):
    """(path, return_to) of a redirect."""
    loc = r.headers["Location"]
    u = urlsplit(loc)
    return u.path, parse_qs(u.query).get("return_to", [None])[0]


class TestBrowserAuthn:
    CONF = CONF

    def test_ajwt_140_01_navigation_without_token_goes_to_refresh(self, httpd):
        r = httpd.get("/both/env.cgi?x=1&y=two", headers=NAV)
        assert r.status_code == 302, r.status_code
        assert target(r) == ("/auth/refresh", "/both/env.cgi?x=1&y=two")
        assert "no-store" in r.headers.get("Cache-Control", "")
        assert "WWW-Authenticate" not in r.headers

    def test_ajwt_140_02_expired_cookie_goes_to_refresh(self, httpd, forge):
        now = int(time.time())
        t = forge.token(now=now - 700, lifetime=600)
        r = httpd.get("/both/env.cgi", headers={**NAV, "Cookie": f"at={t}"})
        assert r.status_code == 302
        assert target(r) == ("/auth/refresh", "/both/env.cgi")

    def test_ajwt_140_03_invalid_cookie_goes_to_login(self, httpd, forge):
        for bad in (forge.token(key="rsa2"), "garbage", forge.token(aud="other")):
            r = httpd.get("/both/env.cgi", headers={**NAV, "Cookie": f"at={bad}"})
            assert r.status_code == 302, bad
            assert target(r) == ("/login.html", "/both/env.cgi")

    def test_ajwt_140_04_login_only_and_existing_query(self, httpd):
        r = httpd.get("/loginonly/env.cgi?a=b", headers=NAV)
        assert r.status_code == 302
        loc = r.headers["Location"]
        assert loc.startswith("/login.php?lang=en&return_to="), loc
        assert target(r) == ("/login.php", "/loginonly/env.cgi?a=b")

    def test_ajwt_140_05_non_navigations_keep_401(self, httpd):
        for headers in ({"Accept": "application/json"}, {},
                        {**NAV, "X-Requested-With": "XMLHttpRequest"},
                        {"Accept": "*/*"}):
            assert_challenge(httpd.get("/both/env.cgi", headers=headers),
                             "ajwt-both", None)
        # without the directives a navigation gets the 401 too
        assert_challenge(httpd.get("/plain/env.cgi", headers=NAV), "ajwt-plain", None)

    def test_ajwt_140_06_valid_cookie_and_head(self, httpd, forge):
        t = forge.token()
        r = httpd.get("/both/env.cgi", headers={**NAV, "Cookie": f"at={t}"})
        assert r.status_code == 200 and "REMOTE_USER=alice" in r.text
        r = httpd.request("HEAD", "/both/env.cgi", headers=NAV)
        assert r.status_code == 302 and target(r)[0] == "/auth/refresh"

    def test_ajwt_140_07_unsafe_return_to_is_not_reflected(self, httpd):
        # the original URI is the return_to: an absolute-form request line
        # or odd characters never make it an open redirect
        status, headers, _ = httpd.raw(
            "GET", "/both/env.cgi?next=%0d%0aSet-Cookie:x", headers=list(NAV.items()))
        assert status == 302
        loc = dict((k.lower(), v) for k, v in headers)["location"]
        assert "\r" not in loc and "\n" not in loc
        assert urlsplit(loc).path == "/auth/refresh"
        assert parse_qs(urlsplit(loc).query)["return_to"] == ["/"]

    def test_ajwt_140_10_preflight(self, httpd):
        pre = {"Origin": "https://spa.example.test",
               "Access-Control-Request-Method": "POST"}
        r = httpd.request("OPTIONS", "/pre/static.txt", headers=pre)
        assert r.status_code == 204, r.status_code  # answered by the module
        # not a preflight: OPTIONS without the CORS headers needs a token
        assert_challenge(httpd.request("OPTIONS", "/pre/static.txt"), "ajwt-pre", None)
        # preflight where it is not allowed
        assert_challenge(httpd.request("OPTIONS", "/plain/static.txt", headers=pre),
                         "ajwt-plain", None)
        # only OPTIONS: a GET with the same headers needs a token
        assert_challenge(httpd.get("/pre/static.txt", headers=pre), "ajwt-pre", None)

    def test_ajwt_140_20_cookie_hidden_from_application(self, httpd, site, forge):
        site.put("app/cookie.cgi", COOKIE_CGI, 0o755)
        t = forge.token()
        cookie = f"theme=dark; at={t}; rt=secret-refresh; lang=en"
        r = httpd.get("/both/cookie.cgi", headers={"Cookie": cookie})
        assert r.status_code == 200, r.text
        assert "REMOTE_USER=alice" in r.text
        assert "HTTP_COOKIE=theme=dark; lang=en" in r.text, r.text
        assert t not in r.text and "secret-refresh" not in r.text
        # only our cookies, whatever else the browser sends
        r = httpd.get("/both/cookie.cgi", headers={"Cookie": f"at={t}"})
        assert "HTTP_COOKIE=\n" in r.text or r.text.rstrip().endswith("HTTP_COOKIE="), r.text
        # AuthJWTPassCookie On: the application sees it
        r = httpd.get("/pass/cookie.cgi", headers={"Cookie": cookie})
        assert t in r.text
