# Licensed under the Apache License, Version 2.0.
"""test_ajwt_220_NN: a full MariaDB restart under a warm connection pool.
Every pooled connection is lost; the first requests after the restart must
work (no 503 once the database answers again), through our statements and
through another module's (mod_authn_dbd), on event and prefork.

With DBDParams reconnect=0 (the recommended setting) mod_dbd replaces each
lost connection and prepares every module's statements on the new one; the
store retries the acquisition past the lost ones. With the driver's own
reconnection (no reconnect=0) the store prepares its statements again on the
silently reconnected connection (AJWT02016), and warns at startup that other
modules' statements will not survive (AJWT02030)."""
import concurrent.futures
import re

import harness
from test_020_login import assert_tokens, login, refresh

DB = "sock=@DBSOCK@,user=@DBUSER@,pass=@DBPASS@,dbname=@DBNAME@"
BASE = harness.snippet("server-keys.conf", "endpoints.conf") + """
DBDMin 1
DBDKeep 4
DBDMax 6
"""


def log_has(httpd, pattern):
    return re.search(pattern, httpd.errlog.path.read_text(errors="replace"))


def warm_pool(httpd, forge, n=6):
    """Parallel logins: several pooled connections in use, then idle."""
    with concurrent.futures.ThreadPoolExecutor(n) as ex:
        rs = list(ex.map(lambda _: login(httpd, "alice", "alice-pw"), range(n)))
    return [assert_tokens(r, forge, "alice")[0]["refresh_token"] for r in rs]


class TestRestartReconnect0:
    """The recommended setting: reconnect=0."""
    MPM = "event"
    CONF = BASE + f'DBDParams "{DB},reconnect=0"\n'
    LOG_IGNORE = [
        r"\[dbd:error\]",               # mod_dbd reports each lost connection
        r"AH00629|AH00632|AH00633|AH00636",
    ]

    def test_ajwt_220_01_restart_loses_no_request(self, httpd, forge, mariadb):
        rts = warm_pool(httpd, forge)
        warm_pool(httpd, forge)
        mariadb.stop()
        mariadb.start()
        # every request after the restart works at once: the password check
        # of mod_authn_dbd, our statements, both providers
        for i in range(8):
            assert_tokens(login(httpd, "carol", "carol-pw", "/auth/login-dbd"),
                          forge, "carol")
            assert_tokens(login(httpd, "bob", "bob-pw"), forge, "bob")
        for rt in rts:
            assert_tokens(refresh(httpd, rt), forge, "alice")
        assert not log_has(httpd, r"AJWT02016"), "no statement had to be re-prepared"


class TestRestartReconnect0Prefork(TestRestartReconnect0):
    MPM = "prefork"


class TestRestartDriverReconnect:
    """The driver's default (it reconnects by itself): our statements are
    prepared again; the startup warns about mod_authn_dbd's."""
    MPM = "event"
    CONF = BASE + f'DBDParams "{DB}"\n'
    LOG_IGNORE = [
        r"\[dbd:error\]",
        r"AH00629|AH00632|AH00633|AH00636",
        r"AJWT02016",                   # statements prepared again: expected
        r"AJWT02030",                   # the startup warning: expected
    ]

    def test_ajwt_220_10_restart_our_statements_recover(self, httpd, forge, mariadb):
        assert log_has(httpd, r"AJWT02030.*reconnect=0")
        rts = warm_pool(httpd, forge)
        mariadb.stop()
        mariadb.start()
        for i in range(8):
            assert_tokens(login(httpd, "bob", "bob-pw"), forge, "bob")
        for rt in rts:
            assert_tokens(refresh(httpd, rt), forge, "alice")


def test_ajwt_220_20_configtest_shows_the_reconnect_warning(server_factory):
    """apachectl configtest shows AJWT02030, for a DBDParams in a
    <VirtualHost> too; with reconnect=0 it is quiet."""
    s = server_factory("220-configtest")
    vhost = BASE + """
<VirtualHost 127.0.0.1:@PORT@>
    ServerName vh.test
    DBDriver mysql
    DBDParams "PARAMS"
</VirtualHost>
"""
    rc, out, _ = s.configtest(vhost.replace("PARAMS", DB))
    assert rc == 0 and "AJWT02030" in out, out
    rc, out, _ = s.configtest(vhost.replace("PARAMS", DB + ",reconnect=0"))
    assert rc == 0 and "AJWT02030" not in out, out
