# Licensed under the Apache License, Version 2.0.
"""test_ajwt_170_NN: findings of the browser-mode review: a preflight never
runs the location's script, a refresh without the (SameSite=Strict) cookie
bounces once and clears nothing, a user cannot be locked out from another
address, user names share one counter whatever their case, a duplicated
access cookie goes to login (no refresh loop), the token cookies reach no
application."""
import http.client
import json
from urllib.parse import parse_qs, urlsplit

import harness
from harness import assert_oauth_error
from test_020_login import assert_tokens, login
from test_160_throttle import throttled

NAV = {"Accept": "text/html"}

COOKIE_CGI = r"""#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
echo "RAN=$REQUEST_METHOD"
echo "HTTP_COOKIE=$HTTP_COOKIE"
"""

CONF = harness.snippet("server-keys.conf") + r"""
LoadModule socache_shmcb_module "@LIBEXEC@/mod_socache_shmcb.so"
AuthJWTCookieName at
AuthJWTRefreshCookieName rt
AuthJWTLoginRequiredLocation /login.html
AuthJWTRefreshLocation /auth/refresh
Alias /pre "@DOCROOT@/app"
<Location /pre>
    AuthType JWT
    AuthName "ajwt-pre"
    AuthJWTAllowPreflight On
    Require valid-user
</Location>
Alias /both "@DOCROOT@/app"
<Location /both>
    AuthType JWT
    AuthName "ajwt-both"
    Require valid-user
</Location>
# public: no AuthType at all
Alias /pub "@DOCROOT@/app"
<Location /auth/login>
    SetHandler jwt-login-handler
    AuthJWTProvider file
    AuthUserFile "@HTPASSWD@"
</Location>
<Location /auth/refresh>
    SetHandler jwt-refresh-handler
    AuthJWTDeliveryType Cookie
    AuthJWTCookieSecure Off
</Location>
"""


def post_from(httpd, source_ip, path, form):
    body = "&".join(f"{k}={v}" for k, v in form.items())
    c = http.client.HTTPConnection("127.0.0.1", httpd.port, timeout=15,
                                   source_address=(source_ip, 0))
    try:
        c.request("POST", path, body=body,
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
        r = c.getresponse()
        return r.status, json.loads(r.read() or b"{}")
    finally:
        c.close()


class TestReviewFour:
    CONF = CONF

    def test_ajwt_170_01_preflight_never_runs_the_script(self, httpd, site):
        site.put("app/cookie.cgi", COOKIE_CGI, 0o755)
        pre = {"Origin": "https://x.test", "Access-Control-Request-Method": "GET"}
        r = httpd.request("OPTIONS", "/pre/cookie.cgi", headers=pre)
        assert r.status_code == 204, (r.status_code, r.text)
        assert "RAN=" not in r.text
        # with a body it is no preflight: authentication as usual
        r = httpd.request("OPTIONS", "/pre/cookie.cgi", headers=pre, data="a=1")
        assert r.status_code == 401, r.status_code

    def test_ajwt_170_02_refresh_without_cookie_bounces_and_clears_nothing(self, httpd):
        r = httpd.get("/auth/refresh?return_to=/both/x",
                      headers={**NAV, "Sec-Fetch-Site": "cross-site"})
        assert r.status_code == 200, r.status_code
        assert "Set-Cookie" not in r.headers, r.headers
        assert "ajwt_bounce=1" in r.text and 'http-equiv="refresh"' in r.text
        assert "no-store" in r.headers.get("Cache-Control", "")
        r = httpd.get("/auth/refresh?return_to=/both/x&ajwt_bounce=1", headers=NAV)
        assert r.status_code == 303, r.status_code
        assert "Set-Cookie" not in r.headers, r.headers
        loc = urlsplit(r.headers["Location"])
        assert loc.path == "/login.html"
        assert parse_qs(loc.query)["return_to"] == ["/both/x"]

    def test_ajwt_170_03_no_lockout_from_another_address(self, httpd, forge):
        def stranger_until_throttled(most):
            for _ in range(most):
                status, body = post_from(httpd, "127.0.0.2", "/auth/login",
                                         {"username": "bob", "password": "wrong"})
                assert status in (400, 429), (status, body)
                if status == 429:
                    return True
            return False
        # the stranger is throttled after the free attempts (the backoff
        # doubles with every failure, so slow machines get there too)
        assert stranger_until_throttled(20)
        # the victim, from their own address, is not locked out
        assert_tokens(login(httpd, "bob", "bob-pw"), forge, "bob")
        # ...while the stranger still is (or is again after one more try)
        assert stranger_until_throttled(5)

    def test_ajwt_170_04_user_name_case_shares_a_counter(self, httpd):
        r = throttled(httpd, [(["carl%d" % i] * 5 + ["CARL%d" % i] * 5, "Carl%d" % i)
                              for i in range(3)], "x")
        assert_oauth_error(r, 429, "slow_down")

    def test_ajwt_170_05_duplicate_access_cookie_goes_to_login(self, httpd, forge):
        t = forge.token()
        r = httpd.get("/both/env.cgi", headers={**NAV, "Cookie": f"at={t}; at=junk"})
        assert r.status_code == 302
        assert urlsplit(r.headers["Location"]).path == "/login.html"

    def test_ajwt_170_06_token_cookies_reach_no_application(self, httpd, site, forge):
        site.put("app/cookie.cgi", COOKIE_CGI, 0o755)
        t = forge.token()
        r = httpd.get("/pub/cookie.cgi", headers={"Cookie": f"a=1; at={t}; rt=R; b=2"})
        assert r.status_code == 200, r.text
        assert "HTTP_COOKIE=a=1; b=2" in r.text, r.text
        # blanks before '=' are the same cookie for the reader and the hider
        r = httpd.get("/both/cookie.cgi", headers={"Cookie": f"at ={t}; z=9"})
        assert "RAN=GET" in r.text and t not in r.text, r.text
