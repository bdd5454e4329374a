"""A throwaway PostgreSQL server for tests: the Debian ``postgresql`` package's binaries, a fresh
cluster in a temporary directory, a free loopback port, an unprivileged user; stopped (and the
directory removed) on exit, also when a test fails.

    with PostgresServer() as server:
        server.env("TARGET_POSTGRES")     # TARGET_POSTGRES_HOST/PORT/USER/PASSWORD/DATABASE
        server.query("select 1")          # rows as lists of strings, through psql

``scripts/test`` installs the package when it is missing (``apt-get install postgresql``). As root
the server runs as the ``postgres`` user (initdb refuses root); otherwise as the current user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import typing as t
from pathlib import Path

if t.TYPE_CHECKING:
    from types import TracebackType

USER = "tap"
PASSWORD = "tap"  # loopback-only throwaway cluster, trust auth; targets insist on a password
DATABASE = "warehouse"
SERVICE_USER = "postgres"


def bin_dir() -> Path:
    """Where the server binaries are (``pg_config --bindir``, else the newest Debian version)."""
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = Path(subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True).stdout.strip())
        if (found / "initdb").exists():
            return found
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not versions:
        msg = "PostgreSQL server binaries not found; install them: apt-get install postgresql (scripts/test does)"
        raise RuntimeError(msg)
    return Path(versions[-1]).parent


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """One PostgreSQL cluster on 127.0.0.1, alive inside ``with``."""

    def __init__(self) -> None:
        """Pick the binaries; nothing starts before ``__enter__``."""
        self.bin = bin_dir()
        self.port = 0
        self.root = Path()
        self._as: list[str] = []

    @property
    def data_dir(self) -> Path:
        """The cluster's data directory."""
        return self.root / "data"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self._as, *args], capture_output=True, text=True, check=check, timeout=120)

    def __enter__(self) -> PostgresServer:
        """Create the cluster and start the server (retrying if another process took the port)."""
        self.root = Path(tempfile.mkdtemp(prefix="tap-generic-rest-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.root, SERVICE_USER)
            self._as = ["runuser", "-u", SERVICE_USER, "--"]
        try:
            self._run(str(self.bin / "initdb"), "-D", str(self.data_dir), "-U", USER, "--auth=trust",
                      "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
            self._start()
            self._run(str(self.bin / "createdb"), *self._connection(), DATABASE)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _start(self, attempts: int = 3) -> None:
        for attempt in range(attempts):
            self.port = free_port()
            options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off "
                       "-c synchronous_commit=off -c full_page_writes=off")
            started = self._run(str(self.bin / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.root / "log"),
                                "-o", options, "-w", "-t", "60", "start", check=False)
            if started.returncode == 0:
                return
            if attempt == attempts - 1:
                log = (self.root / "log").read_text(errors="replace")[-2000:]
                msg = f"PostgreSQL did not start: {started.stderr.strip()}\n{log}"
                raise RuntimeError(msg)
            time.sleep(0.5)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Stop the server (fast shutdown) and remove the cluster."""
        if (self.data_dir / "postmaster.pid").exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w", "stop",
                      check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def _connection(self, database: str | None = None) -> list[str]:
        args = ["-h", "127.0.0.1", "-p", str(self.port), "-U", USER]
        return [*args, "-d", database] if database else args

    def env(self, prefix: str, database: str = DATABASE) -> dict[str, str]:
        """Connection settings as ``<prefix>_HOST`` ... environment variables (Meltano's convention)."""
        values = {"HOST": "127.0.0.1", "PORT": str(self.port), "USER": USER, "PASSWORD": PASSWORD,
                  "DATABASE": database}
        return {f"{prefix}_{key}": value for key, value in values.items()}

    def create_database(self, name: str) -> str:
        """A new, empty database (e.g. one per test or a Meltano system database)."""
        self._run(str(self.bin / "createdb"), *self._connection(), name)
        return name

    def url(self, database: str = DATABASE, driver: str = "postgresql") -> str:
        """An SQLAlchemy URL, e.g. for Meltano's ``MELTANO_DATABASE_URI`` (driver ``postgresql+psycopg``)."""
        return f"{driver}://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{database}"

    def query(self, sql: str, database: str = DATABASE) -> list[list[str]]:
        """Rows of ``sql`` as lists of strings (NULL as ``''``), through psql."""
        psql = self._run(str(self.bin / "psql"), *self._connection(database), "-X", "-A", "-t", "-F", "\x1f",
                         "-v", "ON_ERROR_STOP=1", "-c", sql, check=False)
        if psql.returncode != 0:
            msg = f"psql failed: {psql.stderr.strip()}"
            raise RuntimeError(msg)
        return [line.split("\x1f") for line in psql.stdout.splitlines() if line]


@contextlib.contextmanager
def postgres_server() -> t.Iterator[PostgresServer]:
    """``with postgres_server() as server:`` (for a pytest session fixture)."""
    with PostgresServer() as server:
        yield server
