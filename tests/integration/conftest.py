# Licensed under the Apache License, Version 2.0.
"""Session fixtures (MariaDB, keys, site), one httpd per test class, and the
error-log check after every test (pyhttpd's idea).

A test class declares:
    CONF = '''...'''        the config snippet appended to the base template
    MPM = "event"           or "prefork" (mod_php)
    LOG_IGNORE = [...]      patterns every test of the class may log, each with
                            a comment saying why
A test that expects a warning or error line calls
    httpd.expect_log("AJWT00123")   # comment: why this line is expected
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import HarnessError  # noqa: E402


def pytest_configure(config):
    # -vv traces the module, as pyhttpd does
    if config.option.verbose >= 2 and "AJWT_LOGLEVEL" not in os.environ:
        os.environ["AJWT_LOGLEVEL"] = "warn auth_jwt:trace8"
    config.addinivalue_line("markers", "order_last: runs after the other tests")


@pytest.fixture(scope="session")
def sockdir():
    d = harness.SockDir()
    yield d
    d.remove()


@pytest.fixture(scope="session")
def keys():
    return harness.Keys().generate()


@pytest.fixture(scope="session")
def forge(keys):
    return harness.Forge(keys)


@pytest.fixture(scope="session")
def mariadb(sockdir):
    err = None
    db = None
    try:
        db = harness.MariaDB(sockdir)
        db.install()
        db.start()
        db.setup()
    except HarnessError as e:
        err = str(e)
    if err:
        if db is not None:
            db.stop()
        pytest.fail(f"MariaDB: {err}", pytrace=False)
    yield db
    db.stop()


@pytest.fixture(scope="session")
def site(mariadb):
    s = harness.Site().build()
    # alice: bcrypt in the htpasswd file; bob: apr1; carol: only in the
    # users table (mod_authn_dbd); all three have a row for the claims query.
    s.add_user(mariadb, "alice", "alice-pw", scheme="B", role="admin",
               email="alice@example.test")
    s.add_user(mariadb, "bob", "bob-pw", scheme="m", role="user",
               email="bob@example.test")
    s.add_user(mariadb, "carol", "carol-pw", role="editor", in_file=False)
    return s


_current = {"httpd": None}


class Server(harness.Httpd):
    """Httpd plus the per-test ignore list the error-log check reads."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.class_ignores = []
        self.test_ignores = []

    def expect_log(self, *patterns):
        """Declare warn/error lines this test provokes on purpose."""
        self.test_ignores.extend(patterns)

    def check_log(self, extra=()):
        lines = self.errlog.read_new()
        bad = harness.ErrorLog.bad_lines(
            lines, list(harness.STARTUP_NOISE) + self.class_ignores +
            self.test_ignores + list(extra))
        return bad


@pytest.fixture(scope="session")
def server_factory(sockdir, mariadb, site, keys):
    made = []

    def make(name, mpm="event", with_module=True, db_socket=None, **kw):
        try:
            s = Server(name, sockdir, db_socket or mariadb.socket, site, keys,
                       mpm=mpm, with_module=with_module, **kw)
        except HarnessError as e:
            err = str(e)
        else:
            made.append(s)
            return s
        pytest.fail(err, pytrace=False)
    yield make
    for s in made:
        s.stop()


@pytest.fixture(scope="class")
def httpd(request, server_factory):
    cls = request.cls
    if cls is None or not hasattr(cls, "CONF"):
        pytest.fail("the httpd fixture needs a test class with CONF")
    name = getattr(cls, "NAME", cls.__module__.replace("test_", "") + "-" +
                   cls.__name__.lower())
    s = server_factory(name, mpm=getattr(cls, "MPM", "event"),
                       with_module=getattr(cls, "WITH_MODULE", True))
    s.class_ignores = list(getattr(cls, "LOG_IGNORE", []))
    err = None
    try:
        s.start(cls.CONF)
    except HarnessError as e:
        err = str(e)
    if err:
        pytest.fail(err, pytrace=False)
    _current["httpd"] = s
    yield s
    _current["httpd"] = None
    s.stop()
    bad = s.check_log()
    if bad:
        pytest.fail("error log at shutdown:\n" + "\n".join(bad), pytrace=False)


@pytest.fixture(autouse=True)
def _error_log_check(request):
    """After every test: no [warn] or worse in the error log since the last
    check, except what the class or the test declared."""
    s = _current["httpd"]
    if s is not None:
        s.test_ignores = []
    yield
    s = _current["httpd"]
    if s is None:
        return
    bad = s.check_log()
    s.test_ignores = []
    if bad:
        pytest.fail("unexpected lines in the error log:\n" + "\n".join(bad),
                    pytrace=False)
