# Licensed under the Apache License, Version 2.0.
"""test_ajwt_150_NN: browser mode end to end (contract §5) in a real headless
Chromium, against conf/jwt-php-site-example.conf (the example virtual host,
with its paths, database and port swapped for the harness's) and the PHP
site of conf/php-site/, under prefork with mod_php: the login form, the
token cookies, a silent refresh after the access cookie expired, logout.

Needs chromium, chromium-driver and python3-selenium (Debian packages):
without them the test fails, it never skips. The logged-in page is saved as
tests/gen/e2e/logged-in.png.
"""
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

import harness

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
E2E_DIR = harness.GEN / "e2e"
SCREENSHOT = E2E_DIR / "logged-in.png"
EXAMPLE = harness.TOP / "conf" / "jwt-php-site-example.conf"
PHP_SITE = harness.TOP / "conf" / "php-site"
DOCROOT = harness.GEN / "php-site-e2e"
ACCESS_LIFETIME = 2          # seconds: the silent refresh without a long wait

USER, PASSWORD = "e2e", "e2e-pw"

CHROME_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=1000,800"]


def example_conf(docroot, access_lifetime=ACCESS_LIFETIME):
    """conf/jwt-php-site-example.conf as the harness can run it: the
    <VirtualHost> block on the harness's port and database, the test keys,
    plain http (AuthJWTCookieSecure Off, its commented line), no log files
    or TLS of its own, and a short access-token lifetime. Every swap must
    find its text, so a change of the example shows up here."""
    text = EXAMPLE.read_text()
    start, end = text.index("<VirtualHost"), text.index("</VirtualHost>")
    text = text[start:end + len("</VirtualHost>")]
    swaps = [
        ("<VirtualHost *:443>", "<VirtualHost 127.0.0.1:@PORT@>"),
        ("DocumentRoot /var/www/jwt-php-site", f'DocumentRoot "{docroot}"'),
        ("<Directory /var/www/jwt-php-site>", f'<Directory "{docroot}">'),
        ("AuthJWTSignaturePrivateKeyFile /etc/apache2/jwt/es256.pem k1",
         'AuthJWTSignaturePrivateKeyFile "@KEYS@/ec.pem" k1'),
        ("#AuthJWTCookieSecure Off", "AuthJWTCookieSecure Off"),
        ("</VirtualHost>",
         f"    AuthJWTAccessTokenLifetime {access_lifetime}\n</VirtualHost>"),
    ]
    for old, new in swaps:
        assert text.count(old) == 1, f"{EXAMPLE.name}: expected once: {old!r}"
        text = text.replace(old, new)
    text, n = re.subn(r'(?m)^(\s*)DBDParams .*$',
                      r'\1DBDParams "sock=@DBSOCK@,user=@DBUSER@,'
                      r'pass=@DBPASS@,dbname=@DBNAME@,reconnect=0"', text)
    assert n == 1, f"{EXAMPLE.name}: expected one DBDParams line"
    # the harness's server-wide error log (checked after every test), no TLS
    text, n = re.subn(r"(?m)^\s*(ErrorLog|CustomLog|SSL\w+)\b.*\n", "", text)
    assert n == 5, f"{EXAMPLE.name}: expected ErrorLog, CustomLog, 3 SSL lines"
    return text


def install_site(docroot):
    """A copy of conf/php-site/ that the unprivileged httpd children can read."""
    shutil.rmtree(docroot, ignore_errors=True)
    shutil.copytree(PHP_SITE, docroot)
    for root, dirs, files in os.walk(docroot):
        os.chmod(root, 0o755)
        for f in files:
            os.chmod(os.path.join(root, f), 0o644)
    return docroot


def chromium(profile_dir):
    """A headless Chromium through /usr/bin/chromedriver (never a driver
    manager download). Fails the test with the missing package named."""
    missing = [f"{path} (Debian package {pkg})"
               for path, pkg in ((CHROMIUM, "chromium"),
                                 (CHROMEDRIVER, "chromium-driver"))
               if not os.access(path, os.X_OK)]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("the selenium Python module (Debian package python3-selenium)")
    if missing:
        pytest.fail("browser end-to-end test needs " + ", ".join(missing) +
                    ": apt-get install chromium chromium-driver python3-selenium",
                    pytrace=False)
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in CHROME_FLAGS + [f"--user-data-dir={profile_dir}"]:
        opts.add_argument(flag)
    service = Service(executable_path=CHROMEDRIVER,
                      log_path=str(Path(profile_dir).parent / "chromedriver.log"))
    try:
        driver = webdriver.Chrome(service=service, options=opts)
    except Exception as e:   # WebDriverException, OSError: say what broke
        pytest.fail(f"headless Chromium did not start: {e}", pytrace=False)
    driver.set_page_load_timeout(15)
    return driver


def where(driver):
    """(path, query dict) of the page the browser shows."""
    u = urlsplit(driver.current_url)
    return u.path, {k: v[0] for k, v in parse_qs(u.query).items()}


def page(driver):
    from selenium.webdriver.common.by import By
    return driver.find_element(By.TAG_NAME, "body").text


def wait_for_path(driver, path, what, timeout=10):
    """Wait until the browser shows path; fail with where it is instead."""
    end = time.time() + timeout
    while time.time() < end:
        if where(driver)[0] == path:
            return where(driver)[1]
        time.sleep(0.05)
    pytest.fail(f"{what}: expected {path}, the browser shows {driver.current_url}\n"
                f"--- page ---\n{page(driver)[:800]}", pytrace=False)


def click_and_wait(driver, element, timeout=10):
    """Click element and wait until the page it was on has been replaced
    (a click returns before the navigation it starts: without this wait the
    next look at the URL may still see the old page)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait
    old = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, timeout).until(expected_conditions.staleness_of(old))


def submit_login(driver, username, password):
    from selenium.webdriver.common.by import By
    form = driver.find_element(By.ID, "login")
    form.find_element(By.NAME, "username").send_keys(username)
    form.find_element(By.NAME, "password").send_keys(password)
    click_and_wait(driver, form.find_element(By.ID, "submit"))


def claim(driver, name):
    from selenium.webdriver.common.by import By
    return driver.find_element(By.ID, f"claim-{name}").text


def all_cookies(driver):
    """Every cookie the browser holds, whatever its Path (DevTools)."""
    return {c["name"]: c for c in
            driver.execute_cdp_cmd("Network.getAllCookies", {})["cookies"]}


def access_log_since(httpd, pos):
    with open(httpd.logs / "access_log") as f:
        f.seek(pos)
        return f.read()


def access_log_size(httpd):
    try:
        return (httpd.logs / "access_log").stat().st_size
    except OSError:
        return 0


@pytest.fixture(scope="class")
def e2e_site(site, mariadb):
    php = Path(harness.apxs_query("LIBEXECDIR")) / "libphp8.2.so"
    if not php.is_file():
        pytest.fail(f"{php} is missing: install libapache2-mod-php", pytrace=False)
    install_site(DOCROOT)
    site.add_user(mariadb, USER, PASSWORD, role="tester",
                  email="e2e@example.test", in_file=False)
    yield DOCROOT
    shutil.rmtree(DOCROOT, ignore_errors=True)


@pytest.fixture(scope="class")
def log_start(httpd):
    """Where this server's run starts in its error log (logs are appended)."""
    try:
        return (httpd.logs / "error_log").stat().st_size
    except OSError:
        return 0


@pytest.fixture(autouse=True)
def no_crash(httpd, log_start):
    """A child that dies on a signal is logged at notice only (AH00052), so
    the error-log check would miss it; the browser would just retry."""
    yield
    try:
        with open(httpd.logs / "error_log", "rb") as f:
            f.seek(log_start)
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return
    crashes = [line for line in text.splitlines() if "exit signal" in line]
    if crashes:
        pytest.fail("httpd children crashed:\n" + "\n".join(crashes), pytrace=False)


@pytest.fixture
def browser():
    E2E_DIR.mkdir(parents=True, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="profile-", dir=E2E_DIR)
    driver = chromium(profile)
    yield driver
    try:
        driver.quit()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


class TestBrowserE2E:
    MPM = "prefork"
    CONF = example_conf(DOCROOT)

    def test_ajwt_150_01_login_refresh_logout(self, e2e_site, httpd, browser,
                                              mariadb):
        d = browser
        base = httpd.url("")
        t0 = int(time.time())
        log_pos = access_log_size(httpd)

        # 1. a protected page without cookies: refresh (no refresh cookie
        # either) and on to the login form, return_to kept
        d.get(base + "/app/index.php")
        q = wait_for_path(d, "/login.php", "first visit to /app/index.php")
        assert q.get("return_to") == "/app/index.php", d.current_url
        from selenium.webdriver.common.by import By
        hidden = d.find_element(By.NAME, "return_to").get_attribute("value")
        assert hidden == "/app/index.php", hidden

        # 2. a wrong password comes back to the form with an error
        submit_login(d, USER, "wrong-pw")
        q = wait_for_path(d, "/login.php", "login with a wrong password")
        assert q.get("error") == "invalid_grant", d.current_url
        assert "Wrong user name or password" in page(d), page(d)
        assert d.find_element(By.NAME, "return_to").get_attribute("value") == \
            "/app/index.php"
        assert not d.get_cookies(), d.get_cookies()

        # 3. the right password: cookies, and back where the visit started
        submit_login(d, USER, PASSWORD)
        wait_for_path(d, "/app/index.php", "login")
        assert d.find_element(By.ID, "hello").text == f"Hello {USER}", page(d)
        assert d.find_element(By.ID, "auth-type").text == "JWT"
        assert claim(d, "sub") == USER and claim(d, "role") == "tester"
        assert claim(d, "email") == "e2e@example.test"
        jti1 = claim(d, "jti")
        E2E_DIR.mkdir(parents=True, exist_ok=True)
        assert d.save_screenshot(str(SCREENSHOT)), "screenshot failed"
        print(f"\nscreenshot of the logged-in page: {SCREENSHOT}")
        # what the browser holds for /app: the access cookie only (the
        # refresh cookie's Path is /auth/), HttpOnly, SameSite=Lax
        cookies = {c["name"]: c for c in d.get_cookies()}
        assert set(cookies) == {"site_at"}, cookies
        at = cookies["site_at"]
        assert at["httpOnly"] is True and at.get("sameSite") == "Lax", at
        assert at["path"] == "/" and at["secure"] is False, at
        assert "site_at" not in page(d) and at["value"] not in d.page_source
        rt = all_cookies(d)["site_rt"]
        assert rt["path"] == "/auth/" and rt["httpOnly"] is True, rt
        assert rt["sameSite"] == "Strict" and rt["secure"] is False, rt
        assert 604800 - 60 < rt["expires"] - time.time() <= 604800 + 5, rt

        # 4. past the access lifetime the cookie is gone: a navigation goes
        # through /auth/refresh and back, silently, with a new access token
        time.sleep(ACCESS_LIFETIME + 1)
        d.get(base + "/app/index.php")
        wait_for_path(d, "/app/index.php", "navigation after the access token expired")
        assert d.find_element(By.ID, "hello").text == f"Hello {USER}", page(d)
        jti2 = claim(d, "jti")
        assert jti2 != jti1, "the page still shows the first access token"
        assert all_cookies(d)["site_rt"]["value"] != rt["value"], \
            "the refresh cookie was not rotated"
        log = access_log_since(httpd, log_pos)
        assert re.search(r'"GET /auth/refresh\?return_to=(/|%2F)app(/|%2F)index\.php '
                         r'HTTP/1\.1" 303 ', log), log
        rows = mariadb.sql("SELECT COUNT(*) FROM auth_jwt_refresh_token "
                           f"WHERE username = '{USER}' AND created_at >= {t0}")
        assert int(rows[0][0]) >= 2, rows   # the login's token and its successor

        # 5. logout: both cookies cleared, the family revoked, the form again
        click_and_wait(d, d.find_element(By.ID, "logout-button"))
        q = wait_for_path(d, "/login.php", "logout")
        assert "logged_out" in q, d.current_url
        assert "You have logged out" in page(d)
        assert not all_cookies(d), all_cookies(d)
        live = mariadb.sql("SELECT COUNT(*) FROM auth_jwt_refresh_token "
                           f"WHERE username = '{USER}' AND used_at = 0 "
                           "AND revoked_at = 0")
        assert live == [("0",)], live

        # 6. the application is closed again
        d.get(base + "/app/index.php")
        q = wait_for_path(d, "/login.php", "visit after logout")
        assert q.get("return_to") == "/app/index.php"
        assert "Hello" not in page(d)

    def test_ajwt_150_02_login_page_escapes_return_to(self, e2e_site, httpd):
        evil = '/app/"><script>alert(1)</script>'
        r = httpd.get("/login.php", params={"return_to": evil, "error": "<b>x</b>"})
        assert r.status_code == 200, r.status_code
        assert "<script>" not in r.text and "<b>x</b>" not in r.text, r.text
        assert ('value="/app/&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"'
                in r.text), r.text
        assert "Login failed." in r.text
        # the JSON of a refused API call never reaches a browser page:
        # a non-navigation to the application keeps its 401
        r = httpd.get("/app/index.php", headers={"Accept": "application/json"})
        harness.assert_challenge(r, "example", None)
