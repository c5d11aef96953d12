#!/usr/bin/python3
# Licensed under the Apache License, Version 2.0.
"""`make demo`: a private MariaDB and Apache httpd with mod_auth_jwt on
127.0.0.1:8080 (or a free port when 8080 is taken), a demo user demo/demo,
a protected CGI and PHP page, and the login/refresh/logout endpoints.
Prints a curl walkthrough and runs in the foreground; Ctrl-C stops every
process it started and removes its files.

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
# the private key signs and verifies (adding its public half as a second,
# kid-less key would make the module refuse its own kid-less tokens)
AuthJWTSignaturePrivateKeyFile "@KEYS@/ec.pem"
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
    Require valid-user
</Location>
"""


def walkthrough(base):
    return f"""
mod_auth_jwt demo is running on {base}   (Ctrl-C stops it and cleans up)

  user: demo   password: demo   (role 'user', from the MariaDB users table)

# 1. log in: an access token (10 min) and a refresh token
curl -s -X POST {base}/auth/login -d username=demo -d password=demo | tee /tmp/ajwt-demo.json
AT=$(sed 's/.*"access_token": *"\\([^"]*\\)".*/\\1/' /tmp/ajwt-demo.json)
RT=$(sed 's/.*"refresh_token": *"\\([^"]*\\)".*/\\1/' /tmp/ajwt-demo.json)

# 2. call the protected CGI and PHP pages (REMOTE_USER, AUTH_TYPE, JWT_CLAIM_*)
curl -s -H "Authorization: Bearer $AT" {base}/app/env.cgi
curl -s -H "Authorization: Bearer $AT" {base}/app/env.php
curl -si {base}/app/env.cgi | head -5          # no token: 401 + WWW-Authenticate

# 3. refresh: a new pair; the old refresh token is spent
curl -s -X POST {base}/auth/refresh -d "refresh_token=$RT" | tee /tmp/ajwt-demo.json
RT=$(sed 's/.*"refresh_token": *"\\([^"]*\\)".*/\\1/' /tmp/ajwt-demo.json)

# 4. log out: the refresh token's whole family is revoked
curl -s -X POST {base}/auth/logout -d "refresh_token=$RT"

# 5. the refresh now fails: {{"error":"invalid_grant",...}}
curl -s -X POST {base}/auth/refresh -d "refresh_token=$RT"
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--keep", action="store_true",
                    help="keep tests/gen/demo after stopping (logs)")
    args = ap.parse_args()

    port = args.port
    if harness.port_answers(port):
        port = harness.free_port()
        print(f"port {args.port} is busy: using {port}")

    def cleanup():
        if not args.keep:
            shutil.rmtree(DEMO_DIR, ignore_errors=True)
    harness.on_exit(cleanup)          # runs last: after the servers stopped

    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    sockdir = harness.SockDir()
    db = harness.MariaDB(sockdir, base=DEMO_DIR / "mariadb")
    print("starting MariaDB ...", flush=True)
    db.install()
    db.start()
    db.setup()
    keys = harness.Keys(DEMO_DIR / "keys").generate()
    site = harness.Site(DEMO_DIR / "site").build()
    site.add_user(db, "demo", "demo", role="user", email="demo@example.test",
                  in_file=False)
    mpm = "prefork" if os.path.exists(
        os.path.join(harness.apxs_query("LIBEXECDIR"), "libphp8.2.so")) else "event"
    httpd = harness.Httpd("demo", sockdir, db.socket, site, keys, mpm=mpm,
                          port=port, base=DEMO_DIR / "httpd",
                          loglevel="warn auth_jwt:info")
    print("starting httpd ...", flush=True)
    httpd.start(CONF)
    print(walkthrough(f"http://127.0.0.1:{port}"))
    print(f"logs: {httpd.logs}/error_log   config: {httpd.conf}", flush=True)

    stop = {"now": False}

    def on_signal(signum, frame):
        stop["now"] = True
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        while not stop["now"]:
            pid = httpd.pid()
            if not pid or not harness.pid_alive(pid):
                print("httpd went away; stopping", file=sys.stderr)
                break
            if not db.running:
                print("mariadbd went away; stopping", file=sys.stderr)
                break
            time.sleep(0.5)
    finally:
        print("\nstopping httpd and MariaDB ...", flush=True)
        httpd.stop()
        db.stop()
        sockdir.remove()
        harness._run_cleanups()
        print("done.")


if __name__ == "__main__":
    try:
        main()
    except harness.HarnessError as e:
        print(f"demo: {e}", file=sys.stderr)
        sys.exit(1)
