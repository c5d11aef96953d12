# Licensed under the Apache License, Version 2.0.
"""test_ajwt_190_NN: MariaDB closes idle pooled connections (wait_timeout):
the next login/refresh still works without restarting Apache (the
connection comes back and the statements are prepared again)."""
import time

import harness
from test_020_login import assert_tokens, login, refresh

CONF = harness.snippet("server-keys.conf", "endpoints.conf") + r"""
DBDMin 1
DBDKeep 2
DBDMax 4
"""


class TestIdle:
    CONF = CONF
    # MariaDB closing the connection under mod_dbd: logged on reconnect
    LOG_IGNORE = [
        r"AJWT02016",   # the store noticed the reconnect and prepared again
        r"\[dbd",       # mod_dbd's own report of the dropped connection
        r"AH00629|AH00633|AH00632",
    ]

    def test_ajwt_190_01_wait_timeout(self, httpd, forge, mariadb):
        old = mariadb.sql("SELECT @@GLOBAL.wait_timeout")[0][0]
        mariadb.sql("SET GLOBAL wait_timeout = 2")
        try:
            httpd.start()   # new pooled connections get the short timeout
            body, _ = assert_tokens(login(httpd, "alice", "alice-pw"), forge, "alice")
            time.sleep(3.5)  # MariaDB drops every idle connection
            body, _ = assert_tokens(refresh(httpd, body["refresh_token"]), forge,
                                    "alice")
            time.sleep(3.5)
            assert_tokens(login(httpd, "bob", "bob-pw"), forge, "bob")
            assert_tokens(refresh(httpd, body["refresh_token"]), forge, "alice")
        finally:
            mariadb.sql(f"SET GLOBAL wait_timeout = {int(old)}")


class TestIdleDriverReconnect(TestIdle):
    """The same without reconnect=0: the driver reconnects by itself and the
    store prepares its statements again on the new connection."""
    CONF = CONF + ('DBDParams "sock=@DBSOCK@,user=@DBUSER@,pass=@DBPASS@,'
                   'dbname=@DBNAME@"\n')
    LOG_IGNORE = TestIdle.LOG_IGNORE + [r"AJWT02030"]  # the startup warning
