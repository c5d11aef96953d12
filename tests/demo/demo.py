#!/usr/bin/python3
# Licensed under the Apache License, Version 2.0.
"""`make demo`: a private MariaDB and Apache httpd with mod_auth_jwt on
127.0.0.1:8080 (or a free port when 8080 is taken), a demo user demo/demo,
a protected CGI and PHP page, and the login/refresh/logout endpoints (JSON,
under /auth/). The PHP site of conf/php-site/ is served too, in browser
(cookie) mode: /app/ in a browser, with a login form at /login.php and the
cookie-mode endpoints under /web/. Prints a curl walkthrough and the
browser URL, and runs in the foreground. SIGINT (Ctrl-C),
SIGTERM or SIGHUP, or the end of its parent process (also a `make` that got
a signal and now only waits for the demo), stops every process it started
and removes tests/gen/demo.

    /usr/bin/python3 tests/demo/demo.py [--port N] [--keep]
"""
import argparse
import os
import shutil
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
import harness  # noqa: E402

DEMO_DIR = harness.GEN / "demo"

CONF = """
# ---- mod_auth_jwt demo ----
AuthJWTSignatureAlgorithm ES256
# The private key signs what /auth/login and /auth/refresh issue, and its
# public half verifies. Listing that public half too (with no kid, as here,
# or the same kid) is harmless: the module counts a private key and its
# public half as one key. A server that only verifies lists just the public key.
AuthJWTSignaturePrivateKeyFile "@KEYS@/ec.pem"
AuthJWTSignaturePublicKeyFile "@KEYS@/ec-pub.pem"
AuthJWTIss "http://127.0.0.1:@PORT@"
AuthJWTAud demo
AuthJWTClaimsQuery "SELECT role, email FROM users WHERE username = %s AND active = 1"

<Location /auth/login>
    SetHandler jwt-login-handler
    AuthJWTProvider dbd
    AuthDBDUserPWQuery "SELECT password FROM users WHERE username = %s AND active = 1"
</Location>
<Location /auth/refresh>
    SetHandler jwt-refresh-handler
</Location>
<Location /auth/logout>
    SetHandler jwt-logout-handler
</Location>
<Location /app>
    AuthType JWT
    AuthName "demo"
    DirectoryIndex index.php index.html
    Require valid-user
</Location>

# ---- browser mode: the PHP site of conf/php-site/ ----
# A browser gets the token pair as cookies from the cookie-mode endpoints
# under /web/ (the JSON ones above stay for API clients). /app reads the
# access cookie too (an Authorization header wins), and sends browser
# navigations without a valid one to /web/refresh, or to the login form.
AuthJWTCookieName demo_at
AuthJWTRefreshCookieName demo_rt
AuthJWTLoginRequiredLocation /login.php
AuthJWTRefreshLocation /web/refresh
# The demo is plain http on loopback: cookies without Secure. A real site
# serves HTTPS and keeps the default (On).
AuthJWTCookieSecure Off
# where the PHP pages point their login form and logout button
SetEnv JWT_SITE_AUTH_PATH /web
<Location /web/login>
    SetHandler jwt-login-handler
    AuthJWTDeliveryType Cookie
    AuthJWTProvider dbd
    AuthDBDUserPWQuery "SELECT password FROM users WHERE username = %s AND active = 1"
</Location>
<Location /web/refresh>
    SetHandler jwt-refresh-handler
    AuthJWTDeliveryType Cookie
</Location>
<Location /web/logout>
    SetHandler jwt-logout-handler
    AuthJWTDeliveryType Cookie
</Location>
"""

# the example PHP site (conf/jwt-php-site-example.conf serves the same files)
PHP_SITE = harness.TOP / "conf" / "php-site"
PHP_FILES = ("login.php", "app/index.php")

# sed programs that pull one field out of the JSON answer held in $R
_SED = "sed -n 's/.*\"{0}\": *\"\\([^\"]*\\)\".*/\\1/p'"
GET_AT = _SED.format("access_token")
GET_RT = _SED.format("refresh_token")


def header(base, httpd, note, keep):
    note = "" if note is None else f"\n  {note}"
    stop = "stops it" if keep else f"stops it and removes {DEMO_DIR}"
    return f"""\
mod_auth_jwt demo on {base}   (Ctrl-C {stop})
  user: demo   password: demo   (role 'user', from the MariaDB users table)
  logs: {httpd.logs}/error_log
  config: {httpd.conf}{note}
  browser: open {base}/app/ in a browser, log in as demo/demo
           (cookie mode: the form posts to /web/login; /web/refresh, /web/logout)"""


def walkthrough(base):
    # One block that can be pasted into bash as a whole: tokens live in shell
    # variables only, and every JSON answer is followed by a newline.
    return f"""
# ---- walkthrough: paste into bash ----
B={base}

# 1. log in: an access token (10 min) and a refresh token
R=$(curl -s -X POST $B/auth/login -d username=demo -d password=demo); echo "$R"
AT=$(echo "$R" | {GET_AT})
RT=$(echo "$R" | {GET_RT})

# 2. the protected CGI and PHP pages (REMOTE_USER, AUTH_TYPE, JWT_CLAIM_*)
curl -s -H "Authorization: Bearer $AT" $B/app/env.cgi
curl -s -H "Authorization: Bearer $AT" $B/app/env.php
# no token: 401 and a Bearer challenge
curl -si $B/app/env.cgi | grep -i -e '^HTTP/' -e '^WWW-Authenticate'

# 3. refresh: a new pair (the old refresh token is spent); use the new access token
R=$(curl -s -X POST $B/auth/refresh -d "refresh_token=$RT"); echo "$R"
AT=$(echo "$R" | {GET_AT})
RT=$(echo "$R" | {GET_RT})
curl -s -H "Authorization: Bearer $AT" $B/app/env.cgi     # a new JWT_CLAIM_jti

# 4. log out: the refresh token's whole family is revoked
curl -s -X POST $B/auth/logout -d "refresh_token=$RT"; echo

# 5. the refresh now fails: {{"error":"invalid_grant",...}}
curl -s -X POST $B/auth/refresh -d "refresh_token=$RT"; echo
# ---- end of walkthrough ----
"""


# --------------------------------------------------------------------------
# stopping: signals, and the parent process

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# SIGHUP, SIGINT, SIGQUIT, SIGTERM as bits of /proc/PID/status masks
_STOP_MASK = sum(1 << (s - 1) for s in (signal.SIGHUP, signal.SIGINT,
                                        signal.SIGQUIT, signal.SIGTERM))


def _proc_mask(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1], 16)
    except (OSError, ValueError, IndexError):
        pass
    return None


class ParentWatch:
    """Notices that the process which started the demo is going away.

    Either it has exited (we were reparented), or it is handling a stop
    signal and now only waits for us: GNU make, on SIGINT or SIGHUP sent to
    make alone, runs its handler with that signal blocked and waits there for
    its children, which never got the signal. So a stop signal that the
    parent newly blocks, twice in a row, counts as the parent stopping."""

    def __init__(self):
        self.ppid = os.getppid()
        self.active = self.ppid > 1
        self.base = (_proc_mask(self.ppid, "SigBlk") or 0) if self.active else 0
        self.hits = 0

    def gone(self):
        if not self.active:
            return None
        if os.getppid() != self.ppid:
            return "the parent process exited"
        blocked = _proc_mask(self.ppid, "SigBlk")
        if blocked is None:
            return "the parent process exited"
        if blocked & _STOP_MASK & ~self.base:
            self.hits += 1
            if self.hits >= 2:
                return "the parent process is stopping"
        else:
            self.hits = 0
        return None


class Stopper:
    """Signal handlers only record the request; the main thread checks it
    between start-up steps and in the foreground loop, so a signal never
    interrupts a half-started server and cleanup always runs to the end."""

    def __init__(self):
        self.reason = None
        self.parent = ParentWatch()
        for s in STOP_SIGNALS:
            signal.signal(s, self._on_signal)

    def _on_signal(self, signum, frame):
        if self.reason is None:
            self.reason = signal.Signals(signum).name

    def requested(self):
        if self.reason is None:
            self.reason = self.parent.gone()
        return self.reason is not None

    def checkpoint(self):
        if self.requested():
            raise StopDemo(self.reason)


class StopDemo(Exception):
    pass


def _say(text):
    """Print while stopping: the terminal may be gone (SIGHUP, dead parent)."""
    try:
        print(text, flush=True)
    except OSError:
        pass


def _demo_running():
    """The pid of a server of another demo still using DEMO_DIR, or None."""
    for pidfile in (DEMO_DIR / "httpd" / "run" / "httpd.pid",
                    DEMO_DIR / "mariadb" / "mariadbd.pid"):
        try:
            pid = int(pidfile.read_text().strip())
        except (OSError, ValueError):
            continue
        if harness.pid_alive(pid):
            return pid
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--keep", action="store_true",
                    help="keep tests/gen/demo after stopping (logs)")
    args = ap.parse_args()

    stopper = Stopper()
    pid = _demo_running()
    if pid:
        raise harness.HarnessError(
            f"another demo is running (pid {pid}, {DEMO_DIR}): stop it first")

    port, note = args.port, None
    if harness.port_answers(port):
        port = harness.free_port()
        note = f"(port {args.port} is busy: using {port})"

    def cleanup():
        if not args.keep:
            shutil.rmtree(DEMO_DIR, ignore_errors=True)
    harness.on_exit(cleanup)          # runs last: after the servers stopped

    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    sockdir = harness.SockDir()
    db = httpd = None
    status = 0
    try:
        db = harness.MariaDB(sockdir, base=DEMO_DIR / "mariadb")
        db.install()
        stopper.checkpoint()
        db.start()
        stopper.checkpoint()
        db.setup()
        keys = harness.Keys(DEMO_DIR / "keys").generate()
        site = harness.Site(DEMO_DIR / "site").build()
        site.add_user(db, "demo", "demo", role="user",
                      email="demo@example.test", in_file=False)
        for rel in PHP_FILES:
            site.put(rel, (PHP_SITE / rel).read_text())
        stopper.checkpoint()
        mpm = "prefork" if os.path.exists(os.path.join(
            harness.apxs_query("LIBEXECDIR"), "libphp8.2.so")) else "event"
        httpd = harness.Httpd("demo", sockdir, db.socket, site, keys, mpm=mpm,
                              port=port, base=DEMO_DIR / "httpd",
                              loglevel="warn auth_jwt:info")
        httpd.start(CONF)
        stopper.checkpoint()

        base = f"http://127.0.0.1:{port}"
        print(header(base, httpd, note, args.keep))
        print(walkthrough(base), flush=True)

        while not stopper.requested():
            pid = httpd.pid()
            if not pid or not harness.pid_alive(pid):
                print("demo: httpd went away; stopping", file=sys.stderr)
                status = 1
                break
            if not db.running:
                print("demo: mariadbd went away; stopping", file=sys.stderr)
                status = 1
                break
            time.sleep(0.25)
    except StopDemo:
        pass
    except harness.HarnessError as e:
        # a signal to the whole process group also hits the set-up commands
        if not stopper.requested():
            print(f"demo: {e}", file=sys.stderr)
            status = 1
    finally:
        # further signals only set stopper.reason: nothing interrupts this
        if stopper.reason:
            _say(f"\nstopping ({stopper.reason}) ...")
        if httpd is not None:
            httpd.stop()
        if db is not None:
            db.stop()
        sockdir.remove()
        harness._run_cleanups()
        if stopper.reason:
            _say("done.")
    return status


if __name__ == "__main__":
    try:
        sys.exit(main())
    except harness.HarnessError as e:
        print(f"demo: {e}", file=sys.stderr)
        sys.exit(1)
