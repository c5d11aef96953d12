# Licensed under the Apache License, Version 2.0.
"""test_ajwt_310_NN: two Apache nodes on a two-node MariaDB Galera cluster
(Debian's galera-4), each node talking to its own database node. Galera
replicates rows, not locks: two nodes can both read a refresh token as
unspent, and the second commit fails certification with a deadlock error
(1213), which the store retries. The contract's promise must hold all the
same: after concurrent refreshes of one token, at most one lineage."""
import concurrent.futures
import time

import pytest

import harness
from harness import assert_oauth_error
from test_020_login import assert_tokens, login, refresh
from test_300_cluster import MEMCACHE, ISSUER, user_of


@pytest.fixture(scope="module")
def galera(sockdir, site):
    g1 = harness.GaleraNode(sockdir, 1)
    g1.install()
    g1.start()
    g1.setup()
    for name in ("alice", "bob", "carol"):
        g1.sql("INSERT INTO users (username, password, role, email, active) "
               f"VALUES ({harness.sql_quote(name)}, 'x', "
               f"{harness.sql_quote('admin' if name == 'alice' else 'user')}, "
               f"'{name}@example.test', 1)")
    g2 = harness.GaleraNode(sockdir, 2, first=g1)
    g2.install()
    g2.start()
    assert g1.cluster_size() == 2
    # the joiner received the schema and the users
    assert g2.sql("SELECT COUNT(*) FROM users")[0][0] == "3"
    yield g1, g2
    g2.stop()
    g1.stop()


class GaleraPair:
    def __init__(self, server_factory, galera):
        self.mc = harness.Memcached().start()
        extra = {"MC": self.mc.spec}
        g1, g2 = galera
        self.a = server_factory("310-node-a", db_socket=g1.socket)
        self.b = server_factory("310-node-b", db_socket=g2.socket)
        for n in (self.a, self.b):
            n.start(harness.subst(ISSUER, extra))
        self.nodes = (self.a, self.b)
        self.ignores = []

    def stop(self):
        for n in self.nodes:
            n.stop()
        self.mc.stop()


@pytest.fixture(scope="module")
def pair(server_factory, galera):
    p = GaleraPair(server_factory, galera)
    yield p
    p.stop()


@pytest.fixture(autouse=True)
def _pair_logs(pair):
    pair.ignores = []
    yield
    bad = []
    for n in pair.nodes:
        bad += n.check_log(extra=pair.ignores)
    if bad:
        pytest.fail("unexpected lines in the nodes' error logs:\n" + "\n".join(bad),
                    pytrace=False)


class TestGalera:

    def test_ajwt_310_01_login_on_one_db_node_refresh_on_the_other(self, pair, forge,
                                                                   galera):
        a, b = pair.nodes
        body = assert_tokens(login(a, "alice", "alice-pw"), forge, "alice")[0]
        assert user_of(b, body["access_token"]) == "alice"
        body2 = assert_tokens(refresh(b, body["refresh_token"]), forge, "alice")[0]
        assert_tokens(refresh(a, body2["refresh_token"]), forge, "alice")
        # the rows are on both database nodes
        g1, g2 = galera
        q = ("SELECT COUNT(*) FROM auth_jwt_refresh_token WHERE username = 'alice'")
        assert g1.sql(q) == g2.sql(q)

    @pytest.mark.parametrize("rounds", [6])
    def test_ajwt_310_02_concurrent_refresh_one_lineage(self, pair, forge, rounds):
        a, b = pair.nodes
        # the losers present a spent token: reuse detected (warn). Conflicts
        # are retried at debug level; one still failing after the retries
        # (AJWT02003, AJWT02011) is an error and fails this test
        pair.ignores = [r"AJWT02007"]
        wins = []
        for _ in range(rounds):
            rt = assert_tokens(login(a, "bob", "bob-pw"), forge,
                               "bob")[0]["refresh_token"]
            with concurrent.futures.ThreadPoolExecutor(8) as ex:
                rs = list(ex.map(lambda i: refresh((a, b)[i % 2], rt), range(8)))
            codes = sorted(r.status_code for r in rs)
            assert set(codes) <= {200, 400}, codes   # no 5xx: conflicts retried
            wins.append(codes.count(200))
            assert codes.count(200) <= 1, codes
            for r in rs:
                if r.status_code == 400:
                    assert_oauth_error(r, 400, "invalid_grant")
        assert sum(wins) >= 1, wins
