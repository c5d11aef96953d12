# Licensed under the Apache License, Version 2.0.
"""test_ajwt_200_NN: the store under real conditions: concurrent refreshes
under prefork (many processes), and malformed requests that must leave the
table exactly as it was."""
import concurrent.futures
import socket

import harness
from test_020_login import assert_tokens, login, refresh

TABLE = "auth_jwt_refresh_token"

CONF = harness.snippet("server-keys.conf", "endpoints.conf")


def table_state(db):
    return db.sql(f"SELECT COUNT(*), MD5(GROUP_CONCAT(CONCAT_WS(',', token_hash, "
                  f"used_at, revoked_at) ORDER BY token_hash)) FROM {TABLE}")[0]


def raw_exchange(port, data, timeout=10):
    """Send bytes, half-close, read the whole answer: (status, body)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
    finally:
        s.close()
    out = b"".join(chunks)
    status = int(out.split(b" ", 2)[1]) if out.startswith(b"HTTP/") else 0
    return status, out


class TestPreforkConcurrency:
    CONF = CONF
    MPM = "prefork"

    def test_ajwt_200_01_parallel_refresh_many_processes(self, httpd, forge, mariadb):
        for path in ("/auth/refresh", "/auth/refresh-grace"):
            rt = assert_tokens(login(httpd, "alice", "alice-pw"), forge,
                               "alice")[0]["refresh_token"]
            with concurrent.futures.ThreadPoolExecutor(16) as ex:
                rs = list(ex.map(lambda _: refresh(httpd, rt, path), range(16)))
            assert all(r.status_code in (200, 400) for r in rs), \
                [r.status_code for r in rs]
            news = [r.json()["refresh_token"] for r in rs if r.status_code == 200]
            assert news
            fam = mariadb.sql(f"SELECT family_id FROM {TABLE} WHERE token_hash = "
                              f"'{harness.sha256_hex(rt)}'")[0][0]
            mariadb.sql(f"UPDATE {TABLE} SET used_at = used_at - 3600 "
                        f"WHERE family_id = '{fam}' AND used_at > 0")
            ok = sum(refresh(httpd, t, path).status_code == 200 for t in news)
            assert ok <= 1, (path, ok)
        httpd.expect_log("AJWT02007")  # reuse detected, on purpose


class TestMalformedLeavesNoTrace:
    CONF = CONF

    def test_ajwt_200_10_table_unchanged(self, httpd, forge, mariadb):
        body, _ = assert_tokens(login(httpd, "alice", "alice-pw"), forge, "alice")
        rt = body["refresh_token"]
        before = table_state(mariadb)
        form = "application/x-www-form-urlencoded"
        cases = [
            ("dup", dict(data=f"refresh_token={rt}&refresh_token={rt}",
                         headers={"Content-Type": form})),
            ("long", dict(data="refresh_token=" + "A" * 8100,
                          headers={"Content-Type": form})),
            ("nul", dict(data=f"refresh_token={rt}%00",
                         headers={"Content-Type": form})),
            ("utf8", dict(data=b"refresh_token=\xc3\x28" + rt.encode(),
                          headers={"Content-Type": form})),
            ("ctype", dict(data=f"refresh_token={rt}",
                           headers={"Content-Type": "text/plain"})),
            ("json-dup", dict(data='{"refresh_token":"%s","refresh_token":"x"}' % rt,
                              headers={"Content-Type": "application/json"})),
            ("too-big", dict(data="refresh_token=" + rt + "&x=" + "y" * 9000,
                             headers={"Content-Type": form})),
        ]
        for name, kw in cases:
            r = httpd.post("/auth/refresh", **kw)
            assert 400 <= r.status_code < 500, (name, r.status_code)
            assert r.headers["Content-Type"].startswith("application/json"), name
            assert table_state(mariadb) == before, name
        # chunked over the limit, and a body cut short
        status, _ = raw_exchange(httpd.port, (
            "POST /auth/refresh HTTP/1.1\r\nHost: x\r\nContent-Type: " + form +
            "\r\nTransfer-Encoding: chunked\r\n\r\n" +
            "".join("1000\r\n" + "a" * 4096 + "\r\n" for _ in range(3)) +
            "0\r\n\r\n").encode())
        assert status == 413, status
        status, _ = raw_exchange(httpd.port, (
            "POST /auth/refresh HTTP/1.1\r\nHost: x\r\nContent-Type: " + form +
            "\r\nContent-Length: 200\r\n\r\nrefresh_token=" + rt[:10]).encode())
        assert status == 0 or 400 <= status < 500, status
        assert table_state(mariadb) == before
        # and the token still works
        assert_tokens(refresh(httpd, rt), forge, "alice")
