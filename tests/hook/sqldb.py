"""SQL lease databases for the hook's integration tests: Debian's own PostgreSQL or MariaDB server,
started by the test as its own process in a private data directory, listening only on a unix
socket in that directory (no TCP port, so tests run in parallel and the socket is reachable from
every network namespace and, bound in, from the Kea chroots). Stopped by PID at the end.

The backend is chosen by RPI_NETBOOT_LEASE_DB: "memfile" (default), "pgsql" or "mysql". Each
kea-dhcp4 of a test gets a fresh database unless it is handed one (restart and two-server
tests), its schema made by `kea-admin db-init` of the Kea under test (Kea ARM, "Database Setup"),
so the schema is always the one that Kea expects.

How each Kea version loads a backend (measured in Debian's packages): Kea 2.2 and 2.6 have the
PostgreSQL and MySQL lease backends built into kea-dhcp4; from Kea 2.7.4 on they are the hook
libraries libdhcp_pgsql.so and libdhcp_mysql.so (Kea ARM 3.0, "Hook Libraries"), which must be
listed in hooks-libraries, and sid's kea-dhcp4-server installs them.

Kea's MySQL backend takes no socket path: with host "localhost" the MariaDB client library
connects to the unix socket that MYSQL_UNIX_PORT names (MariaDB Connector/C), and the `mysql`
client that kea-admin runs reads it from an option file in $MYSQL_HOME; kea_env() gives both to
kea-dhcp4 and kea-admin.
"""

import glob
import itertools
import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import netlab  # noqa: E402

import kea_install  # noqa: E402

BACKENDS = ("memfile", "pgsql", "mysql")
USER, PASSWORD = "kea", "kea"
PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"
_serial = itertools.count(1)


def selected_backend():
    backend = os.environ.get("RPI_NETBOOT_LEASE_DB", "memfile")
    if backend not in BACKENDS:
        raise ValueError(f"RPI_NETBOOT_LEASE_DB={backend}: expected one of {BACKENDS}")
    return backend


def _pg_bin():
    dirs = sorted(glob.glob(PG_BIN_GLOB), key=lambda d: int(d.split("/")[-2]))
    return dirs[-1] if dirs else None


class DbServer:
    """One database server (kind "pgsql" or "mysql") in a private directory."""

    def __init__(self, kind):
        self.kind = kind
        self.dir = tempfile.mkdtemp(prefix=f"rpinb-{kind}-")
        os.chmod(self.dir, 0o755)  # the chroot's Kea and the DB user must reach the socket
        self.data = os.path.join(self.dir, "data")
        self.sock_dir = os.path.join(self.dir, "run")
        os.makedirs(self.sock_dir)
        self.proc = None
        self.free = []  # databases given back (release), empty again

    # --- availability -------------------------------------------------------------------------
    @staticmethod
    def missing(kind):
        if kind == "pgsql":
            if not _pg_bin():
                return "no PostgreSQL server (Debian package postgresql)"
        elif not (shutil.which("mariadbd") and shutil.which("mariadb-install-db")):
            return "no MariaDB server (Debian package mariadb-server)"
        if not shutil.which("setpriv"):
            return "no setpriv (util-linux)"
        return None

    # --- life cycle ---------------------------------------------------------------------------
    def _as(self, user):
        # setpriv execs the command, so the PID started is the server's own.
        return ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", "--"]

    def start(self):
        try:
            if self.kind == "pgsql":
                self._start_pgsql()
            else:
                self._start_mysql()
        finally:
            # After the server's own Proc.stop (SIGTERM) in netlab's cleanups, so that this
            # runs first at exit (they run last-in first-out): PostgreSQL's fast shutdown.
            netlab._cleanups.append(self.remove)
        return self

    def _start_pgsql(self):
        bindir = _pg_bin()
        if not os.path.isdir(self.data):
            os.makedirs(self.data, mode=0o700)
            shutil.chown(self.data, "postgres", "postgres")
            shutil.chown(self.sock_dir, "postgres", "postgres")
            netlab.run(self._as("postgres") + [f"{bindir}/initdb", "-D", self.data, "-U",
                                               "postgres", "--auth=trust", "-E", "UTF8",
                                               "--no-sync"], timeout=120)
        self.proc = netlab.Proc(self._as("postgres") + [
            f"{bindir}/postgres", "-D", self.data, "-k", self.sock_dir, "-c", "listen_addresses=",
            "-c", "fsync=off", "-c", "max_connections=200"], name="postgres",
            log=os.path.join(self.dir, "server.log"))
        sock = os.path.join(self.sock_dir, ".s.PGSQL.5432")
        self.proc.wait_ready(lambda: os.path.exists(sock) and self.sql("select 1", check=False)
                             .returncode == 0, timeout=60, what="postgres start-up")

    def _start_mysql(self):
        if not os.path.isdir(self.data):
            netlab.run(["mariadb-install-db", "--no-defaults", f"--datadir={self.data}",
                        "--user=mysql", "--auth-root-authentication-method=normal",
                        "--skip-test-db"], timeout=180)
        shutil.chown(self.sock_dir, "mysql", "mysql")
        self.proc = netlab.Proc(["mariadbd", "--no-defaults", f"--datadir={self.data}",
                                 f"--socket={self.socket}", "--skip-networking", "--user=mysql",
                                 f"--pid-file={os.path.join(self.sock_dir, 'mariadb.pid')}",
                                 "--innodb-flush-log-at-trx-commit=0", "--max-connections=200",
                                 # a test's data: no fsync (schema creation is DDL-heavy)
                                 "--innodb-flush-method=nosync", "--skip-innodb-doublewrite",
                                 f"--log-error={os.path.join(self.dir, 'error.log')}"],
                                name="mariadbd", log=os.path.join(self.dir, "server.log"))
        self.proc.wait_ready(lambda: os.path.exists(self.socket) and self.sql(
            "select 1", check=False).returncode == 0, timeout=60, what="mariadbd start-up")

    @property
    def socket(self):
        return os.path.join(self.sock_dir, "mysqld.sock" if self.kind == "mysql" else
                            ".s.PGSQL.5432")

    def stop(self):
        """Stops the server by PID: PostgreSQL's fast shutdown (SIGINT: it ends the sessions of
        connected clients, as `pg_ctl stop` does), MariaDB's normal one (SIGTERM)."""
        if not self.proc or not self.proc.alive():
            return
        self.proc.signal(signal.SIGINT if self.kind == "pgsql" else signal.SIGTERM)
        try:
            self.proc.popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.stop()

    def remove(self):
        self.stop()
        if not os.environ.get("RPI_NETBOOT_KEEP_TMP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    # --- SQL as the superuser -----------------------------------------------------------------
    def sql(self, statement, database=None, check=True):
        if self.kind == "pgsql":
            argv = [os.path.join(_pg_bin(), "psql"), "-X", "-q", "-A", "-t", "-v",
                    "ON_ERROR_STOP=1", "-h", self.sock_dir, "-U", "postgres", "-d",
                    database or "postgres", "-c", statement]
        else:
            argv = ["mariadb", "--no-defaults", f"--socket={self.socket}", "-uroot", "-N", "-B",
                    "-e", statement] + ([database] if database else [])
        return netlab.run(argv, check=check, timeout=60)

    def create_database(self, inst, extra_binds=()):
        """A new empty database owned by the Kea user, with the schema of Kea `inst`
        (kea_install.Installation) from its own kea-admin. Returns the database name."""
        if self.free:  # an emptied database of a stopped server: db-init takes seconds
            return self.free.pop()
        name = f"kea{next(_serial)}"
        if self.kind == "pgsql":
            if self.sql(f"select 1 from pg_roles where rolname='{USER}'").stdout.strip() != "1":
                self.sql(f"create role {USER} login password '{PASSWORD}'")
            self.sql(f"create database {name} owner {USER}")
            host = self.sock_dir
        else:
            self.sql(f"create user if not exists '{USER}'@'localhost' identified by '{PASSWORD}'")
            self.sql(f"create database {name}")
            self.sql(f"grant all on {name}.* to '{USER}'@'localhost'")
            host = "localhost"
        argv = ["kea-admin", "db-init", self.kind, "-h", host, "-u", USER, "-p", PASSWORD,
                "-n", name]
        if inst.chroot:
            argv = [kea_install.chroot_script(), "run", "--bind", self.dir] + [
                x for d in extra_binds for x in ("--bind", d)] + [inst.suite, "--"] + argv
        res = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             timeout=300, env=dict(os.environ, **self.kea_env()), check=False)
        if res.returncode != 0 or "ERROR" in res.stdout:
            raise AssertionError(f"kea-admin db-init {self.kind} failed:\n{res.stdout}")
        return name

    def release(self, name):
        """Gives back a database whose Kea has stopped: its leases are deleted (DELETE, so that
        the schema's triggers keep Kea's lease statistics tables right) for the next server."""
        if not self.proc or not self.proc.alive():
            return
        for table in ("lease4", "lease6"):
            self.sql(f"delete from {table}", database=name)
        self.free.append(name)

    # --- what Kea is given --------------------------------------------------------------------
    def kea_env(self):
        if self.kind != "mysql":
            return {}
        # Debian's client configuration (/etc/mysql/mariadb.cnf) names the system socket, and
        # option files outrank MYSQL_UNIX_PORT: an option file in $MYSQL_HOME, read after
        # /etc/mysql's (MariaDB, "Configuring MariaDB with Option Files"), names ours.
        cnf = os.path.join(self.dir, "my.cnf")
        if not os.path.exists(cnf):
            with open(cnf, "w") as f:
                # skip-ssl: the mariadb client of MariaDB 11 (trixie, sid) requires TLS by
                # default, which this test server, on a unix socket, does not offer.
                f.write(f"[client-server]\nsocket = {self.socket}\n[client]\nskip-ssl\n")
            os.chmod(cnf, 0o644)
        return {"MYSQL_UNIX_PORT": self.socket, "MYSQL_HOME": self.dir, "MARIADB_HOME": self.dir}

    def lease_database(self, name, **extra):
        cfg = {"type": "postgresql" if self.kind == "pgsql" else "mysql", "name": name,
               "host": self.sock_dir if self.kind == "pgsql" else "localhost",
               "user": USER, "password": PASSWORD}
        cfg.update(extra)
        return cfg

    def libraries(self, inst):
        """The hooks-libraries entries the backend needs on Kea `inst` (before the hook's)."""
        if tuple(int(x) for x in inst.version.split(".")) < (2, 7):
            return []
        lib = "libdhcp_pgsql.so" if self.kind == "pgsql" else "libdhcp_mysql.so"
        return [{"library": os.path.join(inst.hooks_dir, lib)}]


_shared = {}


def shared_server(kind):
    """The test process's server of `kind`, started on first use."""
    if kind not in _shared:
        _shared[kind] = DbServer(kind).start()
    return _shared[kind]
