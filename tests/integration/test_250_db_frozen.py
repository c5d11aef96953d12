# Licensed under the Apache License, Version 2.0.
"""test_ajwt_250_NN: a database that accepts connections but never answers
(frozen: SIGSTOP here; in life a partition where nothing is refused).

What is bounded: new connections, by the client library's connect-timeout
(apr_dbd_mysql passes it only through an option group: DBDParams
...,group=ajwt and [ajwt] connect-timeout=N in my.cnf; this test puts that
my.cnf in MARIADB_HOME), and every request beyond DBDMax per process, by
the gate (AuthJWTStoreWait). What is not: a request already holding a
pooled connection waits inside the client library until the database
answers again (the library has no read timeout that apr_dbd_mysql or an
option file can set). So at most DBDMax workers per process wait; every
other request gets its 503 in bounded time, and the waiting ones finish
when the database is back."""
import concurrent.futures
import os
import signal
import time

import harness
from harness import assert_oauth_error
from test_020_login import assert_tokens, login

CONF = harness.snippet("server-keys.conf", "endpoints.conf") + r"""
<IfModule mpm_event_module>
    ServerLimit 1
    StartServers 1
    MinSpareThreads 1
    MaxSpareThreads 20
    MaxRequestWorkers 20
</IfModule>
DBDParams "sock=@DBSOCK@,user=@DBUSER@,pass=@DBPASS@,dbname=@DBNAME@,reconnect=0,group=ajwt"
DBDMin 0
DBDKeep 4
DBDMax 4
AuthJWTStoreWait 2
"""

MY_CNF = """[ajwt]
connect-timeout=2
"""


class TestFrozenDatabase:
    CONF = CONF
    LOG_IGNORE = [
        r"\[dbd:error\]",                    # mod_dbd reports the lost server
        r"AH00629|AH00632|AH00633|AH02655",
        r"\[auth_jwt:error\].*AJWT020\d\d",   # so does the store (503s)
    ]

    def test_ajwt_250_01_frozen_database_answers_503_in_bounded_time(
            self, httpd, forge, mariadb):
        home = httpd.dir / "mariadb-home"
        home.mkdir(exist_ok=True)
        (home / "my.cnf").write_text(MY_CNF)
        os.chmod(home, 0o755)
        os.chmod(home / "my.cnf", 0o644)
        old = os.environ.get("MARIADB_HOME")
        os.environ["MARIADB_HOME"] = str(home)
        try:
            httpd.start()
        finally:
            if old is None:
                del os.environ["MARIADB_HOME"]
            else:
                os.environ["MARIADB_HOME"] = old
        assert_tokens(login(httpd, "alice", "alice-pw"), forge, "alice")
        done = {}

        def timed(i):
            t0 = time.monotonic()
            r = httpd.post("/auth/login", data={"username": "bob",
                                                "password": "bob-pw"}, timeout=60)
            done[i] = (r.status_code, time.monotonic() - t0)

        os.kill(mariadb.proc.pid, signal.SIGSTOP)
        try:
            ex = concurrent.futures.ThreadPoolExecutor(8)
            futures = [ex.submit(timed, i) for i in range(8)]
            time.sleep(12)
            early = dict(done)
        finally:
            os.kill(mariadb.proc.pid, signal.SIGCONT)
        for f in futures:
            f.result(timeout=60)
        ex.shutdown()
        # DBDMax 4: at most 4 requests were still waiting on the database;
        # every other one had its 503 within DBDMax connect-timeouts
        assert len(early) >= 8 - 4, (early, done)
        for status, took in early.values():
            assert status == 503 and took < 11, early
        # the waiting ones finished once the database answered again
        assert all(status in (200, 503) for status, _ in done.values()), done
        time.sleep(0.5)
        assert_tokens(login(httpd, "alice", "alice-pw"), forge, "alice")
