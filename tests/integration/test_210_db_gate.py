# Licensed under the Apache License, Version 2.0.
"""test_ajwt_210_NN: when every pooled connection of a process is busy, a
handler waits at most AuthJWTStoreWait and answers 503, never a worker
blocked without limit (mod_dbd's own pool waits for ever)."""
import concurrent.futures
import time

import harness
from harness import assert_oauth_error
from test_020_login import assert_tokens, login

# one process
ONE_PROCESS = r"""
<IfModule mpm_event_module>
    ServerLimit 1
    StartServers 1
    MinSpareThreads 1
    MaxSpareThreads 10
    MaxRequestWorkers 10
</IfModule>
"""

CONF = harness.snippet("server-keys.conf") + ONE_PROCESS + r"""
# one connection
DBDMin 0
DBDKeep 1
DBDMax 1
AuthJWTThrottle Off
<Location /auth/login-slow>
    SetHandler jwt-login-handler
    AuthJWTProvider file
    AuthUserFile "@HTPASSWD@"
    AuthJWTStoreWait 1
    # holds the connection for 3 s
    AuthJWTClaimsQuery "SELECT role, SLEEP(3) AS slept FROM users WHERE username = %s"
</Location>
"""


class TestGate:
    CONF = CONF

    def test_ajwt_210_01_busy_pool_answers_503_in_time(self, httpd, forge):
        slow = lambda: login(httpd, "alice", "alice-pw", path="/auth/login-slow")
        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            first = ex.submit(slow)
            time.sleep(0.5)          # the first holds the only connection
            t0 = time.time()
            second = ex.submit(slow).result()
            waited = time.time() - t0
            assert_tokens(first.result(), forge, "alice")
        assert_oauth_error(second, 503, "temporarily_unavailable")
        assert waited < 2.5, waited
        httpd.expect_log("AJWT02029")  # the busy pool is logged, on purpose
        # once the connection is free again, logins work
        assert_tokens(slow(), forge, "alice")


# the pool's size set in the <VirtualHost> that serves the requests (its own
# mod_dbd pool), the main server's left at mod_dbd's default
VHOST_CONF = harness.snippet("server-keys.conf") + ONE_PROCESS + r"""
AuthJWTThrottle Off
<VirtualHost 127.0.0.1:@PORT@>
    ServerName 127.0.0.1
    DBDriver mysql
    DBDParams "sock=@DBSOCK@,user=@DBUSER@,pass=@DBPASS@,dbname=@DBNAME@,reconnect=0"
    DBDMin 0
    DBDKeep 1
    DBDMax 1
    <Location /auth/login-slow>
        SetHandler jwt-login-handler
        AuthJWTProvider file
        AuthUserFile "@HTPASSWD@"
        AuthJWTStoreWait 1
        AuthJWTClaimsQuery "SELECT role, SLEEP(3) AS slept FROM users WHERE username = %s"
    </Location>
</VirtualHost>
"""


class TestGateVhost(TestGate):
    """DBDMax inside a <VirtualHost>: the gate fits the smallest pool."""
    CONF = VHOST_CONF
