# Licensed under the Apache License, Version 2.0.
"""Hermetic control of a private MariaDB and a private Apache httpd.

Used by the integration tests (conftest.py) and by tests/demo/demo.py.
Everything lives under tests/gen/ (gitignored) plus one short temporary
directory under /tmp for Unix sockets (socket paths are limited to about
107 bytes and a CI clone can be deep). Nothing touches the system services.

The harness never builds the module: `make` does (.libs/mod_auth_jwt.so).
"""
import atexit
import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOP = HERE.parents[1]                     # the repository root
GEN = TOP / "tests" / "gen"
CONF_DIR = HERE / "conf"
MODULE_SO = TOP / ".libs" / "mod_auth_jwt.so"
SCHEMA = Path(os.environ.get("AJWT_SCHEMA", TOP / "conf" / "schema-mysql.sql"))

DB_NAME = "ajwt"
DB_USER = "ajwt"
DB_PASS = "ajwt-db-pw"

ISS = "https://auth.ajwt.test"
AUD = "ajwt-test"

IS_ROOT = os.geteuid() == 0
# AJWT_VALGRIND=1: run every httpd under valgrind memcheck (`make valgrind`)
VALGRIND = os.environ.get("AJWT_VALGRIND") == "1"


class HarnessError(RuntimeError):
    """A prerequisite is missing or a server would not start: the run fails."""


# --------------------------------------------------------------------------
# process bookkeeping: whatever we start, we stop (also on Ctrl-C / SIGTERM)

_CLEANUPS = []


def _run_cleanups():
    while _CLEANUPS:
        fn = _CLEANUPS.pop()
        try:
            fn()
        except Exception:   # best effort at exit
            pass


atexit.register(_run_cleanups)


def _on_sigterm(signum, frame):
    _run_cleanups()
    raise SystemExit(128 + signum)


try:
    signal.signal(signal.SIGTERM, _on_sigterm)
except ValueError:          # not the main thread
    pass


def on_exit(fn):
    _CLEANUPS.append(fn)
    return fn


def forget(fn):
    if fn in _CLEANUPS:
        _CLEANUPS.remove(fn)


def which(name, hint):
    path = shutil.which(name) or (
        name if os.path.isabs(name) and os.access(name, os.X_OK) else None)
    if not path:
        raise HarnessError(f"'{name}' not found: {hint}")
    return path


def run(cmd, check=True, **kw):
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    kw.setdefault("text", True)
    p = subprocess.run(cmd, **kw)
    if check and p.returncode != 0:
        raise HarnessError(f"{' '.join(map(str, cmd))} failed ({p.returncode}):\n"
                           f"{p.stdout}\n{p.stderr}")
    return p


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of ours counts as gone
    try:
        with open(f"/proc/{pid}/stat") as f:
            if f.read().split(") ", 1)[1].startswith("Z"):
                return False
    except OSError:
        return False
    return True


def wait_pid_gone(pid, timeout):
    end = time.time() + timeout
    while time.time() < end:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    return False


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def port_answers(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def _rm(path):
    shutil.rmtree(path, ignore_errors=True)


def www_user():
    """The User/Group httpd drops to when started as root."""
    import pwd
    for name in ("www-data", "nobody"):
        try:
            pw = pwd.getpwnam(name)
            import grp
            try:
                gname = grp.getgrgid(pw.pw_gid).gr_name
            except KeyError:
                gname = "nogroup"
            return name, gname
        except KeyError:
            continue
    raise HarnessError("neither www-data nor nobody exists")


# --------------------------------------------------------------------------
# a short private directory under /tmp for sockets

class SockDir:
    def __init__(self):
        self.path = Path(tempfile.mkdtemp(prefix="ajwt-", dir="/tmp"))
        # httpd children (www-data) must reach the MariaDB socket and the
        # cgid socket inside: traverse only, no listing.
        os.chmod(self.path, 0o711)
        on_exit(self.remove)

    def remove(self):
        _rm(self.path)
        forget(self.remove)


# --------------------------------------------------------------------------
# MariaDB

class MariaDB:
    def __init__(self, sockdir, base=None):
        self.base = Path(base or GEN / "mariadb")
        self.datadir = self.base / "data"
        self.socket = sockdir.path / "my.sock"
        self.pidfile = self.base / "mariadbd.pid"
        self.errlog = self.base / "mariadbd.err"
        self.proc = None
        self.mariadbd = which("mariadbd", "install mariadb-server")
        self.install_db = which("mariadb-install-db", "install mariadb-server")
        self.client = which("mariadb", "install mariadb-client")

    # -- lifecycle
    def install(self):
        _rm(self.base)
        self.base.mkdir(parents=True)
        cmd = [self.install_db, "--no-defaults", f"--datadir={self.datadir}",
               "--auth-root-authentication-method=normal", "--skip-test-db"]
        if IS_ROOT:
            cmd.append("--user=root")
        run(cmd)

    def start(self, timeout=30, durable=False, buffer_pool="32M"):
        """Start mariadbd; durable: every commit flushed to disk before it is
        acknowledged (MariaDB's default), for tests that kill it; otherwise
        flushed once a second, which is faster."""
        if self.socket.exists():
            self.socket.unlink()
        cmd = [self.mariadbd, "--no-defaults", f"--datadir={self.datadir}",
               "--skip-networking", f"--socket={self.socket}",
               f"--pid-file={self.pidfile}", f"--log-error={self.errlog}",
               f"--innodb-buffer-pool-size={buffer_pool}", "--max-connections=300",
               "--skip-log-bin",
               f"--innodb-flush-log-at-trx-commit={1 if durable else 0}"]
        if IS_ROOT:
            cmd.append("--user=root")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        on_exit(self.stop)
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                raise HarnessError(f"mariadbd exited ({self.proc.returncode}); "
                                   f"see {self.errlog}:\n{self._errtail()}")
            if self.socket.exists():
                p = run([self.client, "--no-defaults", "-S", str(self.socket),
                         "-uroot", "-e", "SELECT 1"], check=False)
                if p.returncode == 0:
                    return self
            time.sleep(0.1)
        self.stop()
        raise HarnessError(f"mariadbd did not answer on {self.socket} within "
                           f"{timeout}s:\n{self._errtail()}")

    def _errtail(self):
        try:
            return "".join(self.errlog.read_text(errors="replace").splitlines(True)[-15:])
        except OSError:
            return "(no log)"

    def kill(self):
        """SIGKILL: a crash, no clean shutdown (start() recovers)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    def stop(self, timeout=30):
        forget(self.stop)
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    # -- setup
    def setup(self):
        if not SCHEMA.is_file():
            raise HarnessError(
                f"{SCHEMA} is missing: the integration tests load the refresh-token "
                "table (and the example users table) from it")
        self.sql(f"CREATE DATABASE {DB_NAME}; "
                 f"CREATE USER '{DB_USER}'@'localhost' IDENTIFIED BY '{DB_PASS}'; "
                 f"GRANT ALL ON {DB_NAME}.* TO '{DB_USER}'@'localhost'; "
                 "FLUSH PRIVILEGES", db=None, root=True)
        p = run([self.client, "--no-defaults", "-S", str(self.socket), "-uroot",
                 DB_NAME], input=SCHEMA.read_text(), check=False)
        if p.returncode != 0:
            raise HarnessError(f"loading {SCHEMA} failed:\n{p.stderr}")
        tables = {r[0] for r in self.sql("SHOW TABLES")}
        for t in ("auth_jwt_refresh_token", "users"):
            if t not in tables:
                raise HarnessError(f"{SCHEMA} did not create table '{t}' "
                                   f"(tables: {sorted(tables)})")
        cols = [r[0] for r in self.sql("SHOW COLUMNS FROM users")]
        for c in ("username", "password", "role", "email", "active"):
            if c not in cols:
                raise HarnessError(f"example users table lacks column '{c}': {cols}")
        return self

    def sql(self, query, db=DB_NAME, root=True):
        """Run SQL through the mariadb client; return rows as tuples of str
        (NULL comes back as the string 'NULL')."""
        cmd = [self.client, "--no-defaults", "-S", str(self.socket), "--batch",
               "--skip-column-names", "--raw"]
        cmd += ["-uroot"] if root else [f"-u{DB_USER}", f"-p{DB_PASS}"]
        if db:
            cmd.append(db)
        p = run(cmd + ["-e", query], check=False)
        if p.returncode != 0:
            raise HarnessError(f"SQL failed: {query}\n{p.stderr}")
        return [tuple(line.split("\t")) for line in p.stdout.splitlines()]

    def dump_table(self, table="auth_jwt_refresh_token"):
        """Every byte of the table as text (mariadb-dump), for plaintext checks."""
        dump = which("mariadb-dump", "install mariadb-client")
        p = run([dump, "--no-defaults", "-S", str(self.socket), "-uroot",
                 "--skip-extended-insert", "--hex-blob", DB_NAME, table])
        return p.stdout


class GaleraNode(MariaDB):
    """One node of a MariaDB Galera cluster on loopback (Debian's galera-4,
    rsync state transfer). Node 1 bootstraps the cluster; the others join it
    and receive its data."""

    PROVIDER = "/usr/lib/galera/libgalera_smm.so"

    def __init__(self, sockdir, index, first=None):
        super().__init__(sockdir, base=GEN / f"galera-{index}")
        self.index = index
        self.first = first
        self.socket = sockdir.path / f"galera{index}.sock"
        self.ports = {k: free_port() for k in ("sql", "gcomm", "ist", "sst")}
        if not os.path.exists(self.PROVIDER):
            raise HarnessError("galera-4 is not installed (tests/tools/deps.sh)")
        which("rsync", "install rsync")

    def install(self):
        if self.first is None:
            return super().install()
        # a joiner starts empty: the state transfer fills it (rsync's daemon
        # runs as nobody when started by root)
        _rm(self.base)
        self.datadir.mkdir(parents=True)
        if IS_ROOT:
            shutil.chown(self.datadir, "nobody", "nogroup")

    def start(self, timeout=60, durable=False, buffer_pool="32M"):
        if self.socket.exists():
            self.socket.unlink()
        p = self.ports
        gcomm = ("gcomm://" if self.first is None
                 else f"gcomm://127.0.0.1:{self.first.ports['gcomm']}")
        cmd = [self.mariadbd, "--no-defaults", f"--datadir={self.datadir}",
               f"--socket={self.socket}", f"--port={p['sql']}",
               "--bind-address=127.0.0.1",
               f"--pid-file={self.pidfile}", f"--log-error={self.errlog}",
               f"--innodb-buffer-pool-size={buffer_pool}",
               "--max-connections=300", "--skip-log-bin",
               "--innodb-flush-log-at-trx-commit=0", "--binlog-format=ROW",
               "--default-storage-engine=InnoDB", "--innodb-autoinc-lock-mode=2",
               "--wsrep-on=ON", f"--wsrep-provider={self.PROVIDER}",
               "--wsrep-cluster-name=ajwt-test",
               f"--wsrep-cluster-address={gcomm}",
               f"--wsrep-node-address=127.0.0.1:{p['gcomm']}",
               f"--wsrep-node-name=node{self.index}",
               "--wsrep-provider-options="
               f"gmcast.listen_addr=tcp://127.0.0.1:{p['gcomm']};"
               f"ist.recv_addr=127.0.0.1:{p['ist']};gcache.size=32M",
               "--wsrep-sst-method=rsync",
               f"--wsrep-sst-receive-address=127.0.0.1:{p['sst']}"]
        if self.first is None:
            cmd.append("--wsrep-new-cluster")
        if IS_ROOT:
            cmd.append("--user=root")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        on_exit(self.stop)
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                raise HarnessError(f"galera node {self.index} exited "
                                   f"({self.proc.returncode}):\n{self._errtail()}")
            if self.socket.exists():
                q = run([self.client, "--no-defaults", "-S", str(self.socket),
                         "-uroot", "-N", "-e",
                         "SHOW STATUS LIKE 'wsrep_local_state_comment'"],
                        check=False)
                if q.returncode == 0 and "Synced" in q.stdout:
                    return self
            time.sleep(0.2)
        self.stop()
        raise HarnessError(f"galera node {self.index} not synced within "
                           f"{timeout}s:\n{self._errtail()}")

    def cluster_size(self):
        return int(self.sql("SHOW STATUS LIKE 'wsrep_cluster_size'",
                            db=None)[0][1])


def sql_quote(s):
    return "'" + str(s).replace("\\", "\\\\").replace("'", "\\'") + "'"


# --------------------------------------------------------------------------
# keys, htpasswd, docroot: the session's fixtures on disk

class Memcached:
    """A private memcached on a free loopback port (the shared socache of
    the cluster tests)."""

    def __init__(self):
        self.binary = which("memcached", "install memcached")
        self.port = None
        self.proc = None

    def start(self, timeout=10):
        self.port = self.port or free_port()
        cmd = [self.binary, "-l", "127.0.0.1", "-p", str(self.port), "-U", "0",
               "-m", "16", "-t", "2"]
        if IS_ROOT:
            cmd += ["-u", "nobody"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        on_exit(self.stop)
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                raise HarnessError(f"memcached exited ({self.proc.returncode})")
            if port_answers(self.port):
                return self
            time.sleep(0.05)
        self.stop()
        raise HarnessError(f"memcached did not listen on {self.port}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    @property
    def spec(self):
        return f"127.0.0.1:{self.port}"


class Redis(Memcached):
    """A private redis-server on a free loopback port, without persistence."""

    def __init__(self):
        super().__init__()
        self.binary = which("redis-server", "install redis-server")

    def start(self, timeout=10):
        self.port = self.port or free_port()
        cmd = [self.binary, "--bind", "127.0.0.1", "--port", str(self.port),
               "--save", "", "--appendonly", "no", "--daemonize", "no",
               "--dir", tempfile.gettempdir(), "--loglevel", "warning"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        on_exit(self.stop)
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                raise HarnessError(f"redis-server exited ({self.proc.returncode})")
            if port_answers(self.port):
                return self
            time.sleep(0.05)
        self.stop()
        raise HarnessError(f"redis-server did not listen on {self.port}")


class Keys:
    """RSA 2048, EC P-256, Ed25519 key pairs and HMAC secrets, made once."""

    def __init__(self, base=None):
        self.dir = Path(base or GEN / "keys")

    def generate(self):
        openssl = which("openssl", "install openssl")
        _rm(self.dir)
        self.dir.mkdir(parents=True)
        specs = {
            "rsa": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            "rsa2": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            "ec": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            "ec2": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            "ed": ["-algorithm", "ED25519"],
            # for the interop and hostile-token suites (test_100, test_110)
            "ec384": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
            "ec521": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
            "ed2": ["-algorithm", "ED25519"],
        }
        for name, args in specs.items():
            priv = self.dir / f"{name}.pem"
            run([openssl, "genpkey", *args, "-out", str(priv)])
            run([openssl, "pkey", "-in", str(priv), "-pubout",
                 "-out", str(self.dir / f"{name}-pub.pem")])
        secret = os.urandom(32)
        (self.dir / "hs256.bin").write_bytes(secret)
        (self.dir / "hs256-short.bin").write_bytes(os.urandom(16))
        # HS384 / HS512 secrets of the hash output's size (48 / 64 bytes)
        (self.dir / "hs384.bin").write_bytes(os.urandom(48))
        (self.dir / "hs512.bin").write_bytes(os.urandom(64))
        (self.dir / "garbage.pem").write_text(
            "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n")
        for f in self.dir.iterdir():
            os.chmod(f, 0o644)   # read at config time by root; harmless test keys
        return self

    def path(self, name):
        return str(self.dir / name)

    def pem(self, name):
        return (self.dir / f"{name}.pem").read_bytes()

    @property
    def hs256(self):
        return (self.dir / "hs256.bin").read_bytes()

    @property
    def hs256_b64(self):
        return base64.b64encode(self.hs256).decode()

    # a 32-byte secret whose base64url form has '-' and '_' (and no '=')
    HSURL = bytes([0xfb, 0xff, 0xbf] * 11)[:32]

    @property
    def hsurl_b64url(self):
        return base64.urlsafe_b64encode(self.HSURL).decode().rstrip("=")

    def secret(self, alg):
        """The HMAC secret (raw bytes) for HS256, HS384 or HS512."""
        return (self.dir / f"{alg.lower()}.bin").read_bytes()

    @property
    def hs256_short_b64(self):
        return base64.b64encode((self.dir / "hs256-short.bin").read_bytes()).decode()


def htpasswd_hash(password, scheme="B"):
    """A hash line as `htpasswd -n<scheme>b` makes it (B bcrypt, m apr1)."""
    exe = which("htpasswd", "install apache2-utils")
    p = run([exe, f"-n{scheme}b", "x", password])
    return p.stdout.strip().split(":", 1)[1]


CGI_ENV = r"""#!/bin/sh
# Prints who the server says the user is, and every JWT claim it exported.
printf 'Content-Type: text/plain\r\n\r\n'
[ -n "${REMOTE_USER+x}" ] && echo "REMOTE_USER=$REMOTE_USER"
[ -n "${AUTH_TYPE+x}" ] && echo "AUTH_TYPE=$AUTH_TYPE"
echo "SCRIPT=cgi"
env | grep -E '^(JWT_CLAIM_|HTTP_X_JWT_CLAIM_|REDIRECT_REMOTE_USER|REDIRECT_JWT_CLAIM_|HTTP_AUTHORIZATION)' | sort
exit 0
"""

PHP_ENV = r"""<?php
header('Content-Type: text/plain');
foreach (['REMOTE_USER', 'AUTH_TYPE'] as $k) {
    if (isset($_SERVER[$k])) { echo "$k=" . $_SERVER[$k] . "\n"; }
}
echo "SCRIPT=php\n";
$keys = array_keys($_SERVER);
sort($keys);
foreach ($keys as $k) {
    if (preg_match('/^(JWT_CLAIM_|HTTP_X_JWT_CLAIM_|REDIRECT_REMOTE_USER|REDIRECT_JWT_CLAIM_)/', $k)) {
        echo "$k=" . $_SERVER[$k] . "\n";
    }
}
"""


class Site:
    """The document tree, htpasswd file and users, shared by every server."""

    def __init__(self, base=None):
        self.base = Path(base or GEN / "site")
        self.docroot = self.base / "htdocs"
        self.htpasswd = self.base / "htpasswd"
        self.users = {}

    def build(self):
        _rm(self.base)
        self.docroot.mkdir(parents=True)
        d = self.docroot

        def put(rel, text, mode=0o644):
            p = d / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)
            os.chmod(p, mode)

        put("index.html", "PUBLIC-INDEX\n")
        put("static.txt", "PUBLIC-STATIC\n")
        put("errors/401.html", "<html><body>CUSTOM-401</body></html>\n")
        put("errors/403.html", "<html><body>CUSTOM-403</body></html>\n")
        # protected folders, each with the CGI and PHP probes and a static file
        for sub in ("app", "api", "app/nested", "admin", "minimal", "rw",
                    "idxphp", "idxhtml", "ht/ok", "ht/key", "ht/query",
                    "ht/none", "alt", "php", "hs", "es"):
            put(f"{sub}/env.cgi", CGI_ENV, 0o755)
            put(f"{sub}/env.php", PHP_ENV)
            put(f"{sub}/static.txt", f"STATIC-{sub}\n")
        put("idxphp/index.php", "<?php echo 'INDEX-PHP user=' . "
            "($_SERVER['REMOTE_USER'] ?? '-') . ' role=' . "
            "($_SERVER['JWT_CLAIM_role'] ?? '-') . \"\\n\";\n")
        put("idxhtml/index.html", "INDEX-HTML\n")
        put("ssi/page.shtml", 'SSI user=<!--#echo var="REMOTE_USER" --> '
            'role=<!--#echo var="JWT_CLAIM_role" -->\n')
        # fix up modes for the unprivileged user (umask may be strict)
        for root, dirs, _files in os.walk(self.base):
            for x in dirs:
                os.chmod(os.path.join(root, x), 0o755)
        os.chmod(self.base, 0o755)
        self.htpasswd.write_text("")
        os.chmod(self.htpasswd, 0o644)
        return self

    def put(self, rel, text, mode=0o644):
        p = self.docroot / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        os.chmod(p, mode)
        return p

    def add_user(self, db, name, password, scheme="B", role="user", email=None,
                 active=1, in_file=True, in_db=True):
        """Add a user to the htpasswd file and/or the example users table."""
        if in_file:
            exe = which("htpasswd", "install apache2-utils")
            flag = "-bB" if scheme == "B" else "-bm"
            run([exe, flag, str(self.htpasswd), name, password])
            os.chmod(self.htpasswd, 0o644)
        if in_db and db is not None:
            email = email or f"{name}@example.test"
            db.sql("REPLACE INTO users (username, password, role, email, active) "
                   f"VALUES ({sql_quote(name)}, {sql_quote(htpasswd_hash(password, 'B'))}, "
                   f"{sql_quote(role)}, {sql_quote(email)}, {int(active)})")
        self.users[name] = password
        return name


# --------------------------------------------------------------------------
# httpd

def apxs_query(var):
    apxs = which(os.environ.get("APXS", "apxs"), "install apache2-dev (apxs)")
    return run([apxs, "-q", var]).stdout.strip()


class ErrorLog:
    """Reads the error log incrementally; finds lines that must not be there.

    A line counts when its level is warn or worse. Lines of the module at
    info/debug never count. ignore patterns are tags (AJWT00123, AH00526) or
    regular expressions, matched with re.search.
    """
    BAD = re.compile(r"\[(?:[\w.-]*:)?(warn|error|crit|alert|emerg)\]")

    def __init__(self, path):
        self.path = Path(path)
        self.pos = 0

    def read_new(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.pos)
                data = f.read()
        except FileNotFoundError:
            return []
        # only complete lines
        cut = data.rfind(b"\n") + 1
        self.pos += cut
        return data[:cut].decode("utf-8", "replace").splitlines()

    def skip(self):
        self.read_new()

    # a child that died on a signal (AH00052) is logged at notice only; a
    # crash is never acceptable and cannot be declared away
    CRASH = re.compile(r"exit signal|AH00052|AH00059|core dumped")

    @classmethod
    def crash_lines(cls, lines):
        return [line for line in lines if cls.CRASH.search(line)]

    @classmethod
    def bad_lines(cls, lines, ignore=()):
        out = cls.crash_lines(lines)
        for line in lines:
            if not cls.BAD.search(line) or cls.CRASH.search(line):
                continue
            if any(re.search(pat, line) for pat in ignore):
                continue
            out.append(line)
        return out


# httpd lines at warn or worse that are harmless in every test. Empty on
# purpose: with ServerName set and a private runtime dir, a clean start and
# stop of httpd 2.4 (event or prefork, mod_php, mod_dbd with MariaDB up) logs
# nothing at warn or worse, so every such line fails the test that caused it
# unless the class (LOG_IGNORE) or the test (expect_log) declares it.
STARTUP_NOISE = []


MPM_CONF = {
    "event": """\
<IfModule mpm_event_module>
    StartServers 1
    ServerLimit 2
    ThreadsPerChild 10
    MinSpareThreads 5
    MaxSpareThreads 20
    MaxRequestWorkers 20
</IfModule>
ScriptSock "@SOCKDIR@/cgid-@NAME@.sock"
""",
    "prefork": """\
<IfModule mpm_prefork_module>
    StartServers 2
    MinSpareServers 2
    MaxSpareServers 4
    MaxRequestWorkers 10
</IfModule>
<FilesMatch "\\.php$">
    SetHandler application/x-httpd-php
</FilesMatch>
""",
}

BASE_MODULES = ["authn_core", "authz_core", "authz_user", "authz_host",
                "authn_file", "authn_dbd", "dbd", "mime", "dir", "alias",
                "env", "rewrite", "headers", "include", "setenvif",
                "log_config", "auth_basic"]


class Httpd:
    """One private httpd: config rendering, start/stop, client helpers."""

    def __init__(self, name, sockdir, db_socket, site, keys, mpm="event",
                 with_module=True, loglevel=None,
                 port=None, base=None, modules_exclude=()):
        self.name = name
        self.modules_exclude = set(modules_exclude)
        self.sockdir = sockdir
        self.db_socket = db_socket
        self.site = site
        self.keys = keys
        self.mpm = mpm
        self.with_module = with_module
        # AJWT_LOGLEVEL (or pytest -vv: auth_jwt:trace8) overrides the default
        self.loglevel = loglevel or (
            (os.environ.get("AJWT_LOGLEVEL") or "warn auth_jwt:debug")
            if with_module else "warn")
        self.fixed_port = port
        self.dir = Path(base or GEN / f"httpd-{name}")
        self.conf = self.dir / "conf" / "httpd.conf"
        self.run_dir = self.dir / "run"
        self.logs = self.dir / "logs"
        self.pidfile = self.run_dir / "httpd.pid"
        self.port = None
        self.snippet = ""
        self.errlog = ErrorLog(self.logs / "error_log")
        self.binary = os.path.join(apxs_query("SBINDIR"), apxs_query("TARGET"))
        if not os.access(self.binary, os.X_OK):
            raise HarnessError(f"httpd binary {self.binary} not found")
        self.libexec = apxs_query("LIBEXECDIR")
        if with_module and not MODULE_SO.is_file():
            raise HarnessError(f"{MODULE_SO} is missing: run `make` first "
                               "(the test harness never builds the module)")

    # -- config
    def vars(self):
        user, group = www_user()
        return {
            "NAME": self.name,
            "SERVER_ROOT": str(self.dir),
            "RUN_DIR": str(self.run_dir),
            "LOGS_DIR": str(self.logs),
            "PORT": str(self.port or 0),
            "SOCKDIR": str(self.sockdir.path),
            "DBSOCK": str(self.db_socket),
            "DEADSOCK": str(self.sockdir.path / "dead.sock"),
            "DBNAME": DB_NAME, "DBUSER": DB_USER, "DBPASS": DB_PASS,
            "DOCROOT": str(self.site.docroot),
            "SITE": str(self.site.base),
            "HTPASSWD": str(self.site.htpasswd),
            "KEYS": str(self.keys.dir),
            "HS256_B64": self.keys.hs256_b64,
            "HS256_SHORT_B64": self.keys.hs256_short_b64,
            "HSURL_B64URL": self.keys.hsurl_b64url,
            "LIBEXEC": self.libexec,
            "ISS": ISS, "AUD": AUD,
            "USER_GROUP": f"User {user}\nGroup {group}" if IS_ROOT else "",
            "LOGLEVEL": self.loglevel,
            "MODULE": str(MODULE_SO),
        }

    def load_modules(self):
        mods = [f"mpm_{self.mpm}"] + [m for m in BASE_MODULES
                                       if m not in self.modules_exclude]
        mods.append("cgid" if self.mpm != "prefork" else "cgi")
        builtin = self.builtin_modules()
        lines = [f'LoadModule {m}_module "{self.libexec}/mod_{m}.so"'
                 for m in mods if f"mod_{m}.c" not in builtin]
        if self.mpm == "prefork" and os.path.exists(f"{self.libexec}/libphp8.2.so"):
            lines.append(f'LoadModule php_module "{self.libexec}/libphp8.2.so"')
        if self.with_module:
            lines.append(f'LoadModule auth_jwt_module "{MODULE_SO}"')
        return "\n".join(lines)

    def render(self, snippet="", extra_vars=None, path=None):
        """Write a complete httpd.conf (base template + snippet)."""
        tpl = (CONF_DIR / "httpd.conf.template").read_text()
        v = self.vars()
        v["LOAD_MODULES"] = self.load_modules()
        v["MPM_CONF"] = MPM_CONF[self.mpm]
        v["SNIPPET"] = snippet
        v.update(extra_vars or {})
        text = subst(tpl, v)
        text = subst(text, v)     # snippets and MPM_CONF carry @VARS@ too
        path = Path(path or self.conf)
        for d in (path.parent, self.run_dir, self.logs):
            d.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def builtin_modules(self):
        if not hasattr(Httpd, "_builtin"):
            Httpd._builtin = set(run([self.binary, "-l"]).stdout.split())
        return Httpd._builtin

    # -- lifecycle
    def start(self, snippet=None, timeout=15):
        if snippet is not None:
            self.snippet = snippet
        self.stop()
        for attempt in (1, 2):
            self.port = self.fixed_port or free_port()
            self.render(self.snippet)
            self.errlog.pos = self._log_size()
            p = run(self.valgrind_prefix() +
                    [self.binary, "-f", str(self.conf), "-k", "start"], check=False)
            out = p.stdout + p.stderr
            if p.returncode == 0 and self._wait_up(timeout * (8 if VALGRIND else 1)):
                on_exit(self.stop)
                return self
            logtail = "\n".join(self.errlog.read_new()[-20:])
            self._kill_leftover()
            if attempt == 1 and not self.fixed_port and \
                    "Address already in use" in out + logtail:
                continue
            raise HarnessError(f"httpd {self.name} did not start (rc={p.returncode}):\n"
                               f"{out}\n--- error_log ---\n{logtail}")

    def valgrind_prefix(self):
        """With AJWT_VALGRIND=1 every httpd runs under memcheck (the children
        are forks, so they are checked too; CGI programs are exec'd natively).
        One log per process in tests/gen/valgrind/; `make valgrind` checks
        them for invalid accesses."""
        if not VALGRIND:
            return []
        vdir = GEN / "valgrind"
        vdir.mkdir(parents=True, exist_ok=True)
        os.chmod(vdir, 0o777)
        return ["valgrind", "--tool=memcheck", "--error-exitcode=0",
                f"--suppressions={TOP}/tests/tools/valgrind.supp",
                "--track-origins=yes", "--leak-check=full",
                "--show-leak-kinds=definite", "--errors-for-leak-kinds=none",
                "--num-callers=30",
                f"--log-file={vdir}/{self.name}-%p.log"]

    def _log_size(self):
        try:
            return (self.logs / "error_log").stat().st_size
        except OSError:
            return 0

    def _wait_up(self, timeout):
        end = time.time() + timeout
        while time.time() < end:
            # the parent writes the pid file after it opened the listeners:
            # wait for both, so stop() always finds the pid
            pid = self.pid()
            if pid and pid_alive(pid) and port_answers(self.port):
                return True
            time.sleep(0.05)
        return False

    def pid(self):
        try:
            return int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return None

    def _kill_leftover(self):
        pid = self.pid()
        if pid and pid_alive(pid):
            os.kill(pid, signal.SIGTERM)
            if not wait_pid_gone(pid, 10):
                os.kill(pid, signal.SIGKILL)

    def stop(self, timeout=15):
        forget(self.stop)
        pid = self.pid()
        if not pid or not pid_alive(pid):
            return
        run([self.binary, "-f", str(self.conf), "-k", "stop"], check=False)
        if not wait_pid_gone(pid, timeout):
            os.kill(pid, signal.SIGKILL)
            wait_pid_gone(pid, 5)

    def configtest(self, snippet, name="test"):
        """Render a config with the snippet and run `httpd -t`:
        returns (returncode, stdout+stderr, conf path)."""
        path = self.dir / "conf" / f"configtest-{name}.conf"
        self.port = self.port or free_port()
        self.render(snippet, path=path)
        p = run([self.binary, "-t", "-f", str(path)], check=False)
        return p.returncode, p.stdout + p.stderr, path

    # -- client
    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def request(self, method, path, token=None, headers=None, **kw):
        import requests
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = f"Bearer {token}"
        kw.setdefault("timeout", 15)
        kw.setdefault("allow_redirects", False)
        return requests.request(method, self.url(path), headers=h, **kw)

    def raw(self, method, path, headers=(), body=None, chunks=None):
        """http.client request with repeated headers or hand-made chunking:
        returns (status, headers as a list of pairs, body bytes)."""
        import http.client
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            c.putrequest(method, path)
            for k, v in headers:
                c.putheader(k, v)
            if chunks is not None:
                c.putheader("Transfer-Encoding", "chunked")
                c.endheaders()
                for ch in chunks:
                    c.send(b"%x\r\n%s\r\n" % (len(ch), ch))
                c.send(b"0\r\n\r\n")
            else:
                if body is not None:
                    c.putheader("Content-Length", str(len(body)))
                c.endheaders(body)
            r = c.getresponse()
            return r.status, r.getheaders(), r.read()
        finally:
            c.close()

    def get(self, path, token=None, **kw):
        return self.request("GET", path, token=token, **kw)

    def post(self, path, token=None, **kw):
        return self.request("POST", path, token=token, **kw)


def subst(text, values):
    return re.sub(r"@([A-Z0-9_]+)@",
                  lambda m: values.get(m.group(1), m.group(0)), text)


# --------------------------------------------------------------------------
# tokens

def b64u(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_json(obj):
    return b64u(json.dumps(obj, separators=(",", ":")))


def raw_token(header, payload, signature=b"", hmac_key=None):
    """Assemble a compact JWS by hand (for tokens PyJWT will not make).
    header/payload may be dicts or raw JSON text. With hmac_key, sign with
    the HMAC matching header['alg'] (HS256/384/512)."""
    h = b64u(header) if isinstance(header, (str, bytes)) else b64u_json(header)
    p = b64u(payload) if isinstance(payload, (str, bytes)) else b64u_json(payload)
    signing_input = f"{h}.{p}".encode()
    if hmac_key is not None:
        alg = (json.loads(header) if isinstance(header, (str, bytes)) else header)["alg"]
        digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384,
                  "HS512": hashlib.sha512}[alg]
        signature = hmac.new(hmac_key, signing_input, digest).digest()
    return f"{h}.{p}.{b64u(signature)}"


def claims(sub="alice", lifetime=300, now=None, **extra):
    now = int(now if now is not None else time.time())
    c = {"iss": ISS, "aud": AUD, "sub": sub, "iat": now, "nbf": now,
         "exp": now + lifetime}
    for k, v in extra.items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    return c


def parse_env(text):
    """KEY=VALUE lines of the CGI/PHP probes into a dict."""
    out = {}
    for line in text.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            out[k] = v
    return out


def sha256_hex(s):
    return hashlib.sha256(s.encode()).hexdigest()


class Forge:
    """Tokens made with PyJWT, an implementation independent of the module."""

    def __init__(self, keys):
        self.keys = keys

    def key_for(self, alg, key=None):
        if alg.startswith("HS"):
            return key if key is not None else self.keys.hs256
        name = key or {"RS": "rsa", "PS": "rsa", "ES": "ec", "Ed": "ed"}[alg[:2]]
        return self.keys.pem(name)

    def token(self, alg="RS256", key=None, headers=None, **claim_kw):
        import jwt
        payload = claim_kw.pop("payload", None)
        if payload is None:
            payload = claims(**claim_kw)
        return jwt.encode(payload, self.key_for(alg, key), algorithm=alg,
                          headers=headers)

    def verify(self, token, alg="RS256", key="rsa-pub", audience=AUD, issuer=ISS):
        import jwt
        k = self.keys.hs256 if alg.startswith("HS") else self.keys.pem(key)
        return jwt.decode(token, k, algorithms=[alg], audience=audience,
                          issuer=issuer,
                          options={"require": ["exp", "iat", "nbf", "sub"]})


def snippet(*names):
    """The named files of conf/, joined (they may carry @VARS@)."""
    return "\n".join((CONF_DIR / n).read_text() for n in names)


def parse_challenge(value):
    """'Bearer realm="x", error="y"' -> ('bearer', {'realm': 'x', 'error': 'y'})."""
    value = value.strip()
    scheme, _, rest = value.partition(" ")
    params = dict(re.findall(r'([A-Za-z_]+)="((?:[^"\\]|\\.)*)"', rest))
    return scheme.lower(), params


def assert_challenge(r, realm, error=None):
    """A 401 with an RFC 6750 Bearer challenge; error None means no error code."""
    assert r.status_code == 401, (r.status_code, r.text[:300])
    www = r.headers.get("WWW-Authenticate")
    assert www, f"no WWW-Authenticate: {dict(r.headers)}"
    scheme, params = parse_challenge(www)
    assert scheme == "bearer", www
    assert params.get("realm") == realm, www
    if error is None:
        assert "error" not in params, www
    else:
        assert params.get("error") == error, www
        assert params.get("error_description"), www
    return params


def assert_oauth_error(r, status, error):
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers
    body = r.json()
    assert body.get("error") == error, body
    return body


def assert_no_store(r):
    assert "no-store" in r.headers.get("Cache-Control", ""), r.headers
    assert "no-cache" in r.headers.get("Pragma", ""), r.headers
