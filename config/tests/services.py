"""A Redis and a PostgreSQL of a test's own, to stop and start in the middle of a test.

The shared services on this machine (and in CI) must keep running for every other test;
an outage test starts its own on a free port instead, like e2e/ starts its processes.
Through the root conftest.py's fixtures (which skip, or fail in CI, when the binaries are
missing):

    def test_it(private_redis, private_postgres):
        private_redis.url()          # redis://127.0.0.1:<port>/0 (url(db=3) for another db)
        private_redis.stop()         # SIGTERM and wait: connections are refused
        private_redis.start()        # the same port again, empty (nothing is saved)
        private_redis.pause()        # SIGSTOP: connections hang (a Redis that hangs)
        private_redis.resume()       # SIGCONT: back, with its data

        private_postgres.url()            # postgres://postgres@127.0.0.1:<port>/postgres
        private_postgres.create_database("rassylka", migrate=True)  # its URL, tables made
        private_postgres.stop()           # fast shutdown: clients are cut off, new ones refused
        private_postgres.stop(immediate=True)  # a crash (SIGQUIT), recovered on start()
        private_postgres.start()          # the same port and data again

Give the URLs to processes of the test's own (sending/tests/processes.py's django_env(
DATABASE_URL=..., CACHE_URL=...), or gunicorn as dashboard/tests/test_healthz_outages.py
does); the test process itself can use the Redis through
`settings.CACHES = redis_cache_settings(private_redis.url())`. Both are stopped and their
files removed when the test ends. PostgreSQL refuses to run as root, so as root the
server runs as the `postgres` user, in a directory it owns.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from e2e.stack import ROOT, free_port, wait_for_port


def _stop(process: subprocess.Popen | None, sig: int) -> None:
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(sig)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return True
    return False


class RedisServer:
    """redis-server on a free port, in memory only (a restart comes back empty)."""

    BINARY = "redis-server"

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @classmethod
    def missing(cls) -> str | None:
        """Why this cannot run here, or None."""
        if not shutil.which(cls.BINARY):
            return f"{cls.BINARY} is not installed (apt-get install redis-server)"
        return None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> RedisServer:
        log = (self.workdir / f"redis-{self.port}.log").open("ab")
        self.process = subprocess.Popen(
            [
                self.BINARY,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port, timeout=10)
        return self

    def stop(self) -> None:
        _stop(self.process, signal.SIGTERM)
        self.process = None

    def pause(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.resume()  # a stopped process would not act on SIGTERM
        self.stop()


class PostgresServer:
    """A PostgreSQL cluster (initdb) of its own on a free port, trust authentication for
    the `postgres` user, fsync off (a test's data need not survive a power cut)."""

    def __init__(self):
        self.port = free_port()
        self.bindir = self.find_bindir()
        self.root = Path(tempfile.mkdtemp(prefix="rassylka-postgres-"))
        self.datadir = self.root / "data"
        self.process: subprocess.Popen | None = None
        self.as_user = {}
        if os.geteuid() == 0:
            # PostgreSQL will not run as root: the files and the process are postgres's.
            shutil.chown(self.root, "postgres", "postgres")
            self.as_user = {"user": "postgres", "group": "postgres", "extra_groups": []}
        self._run(
            "initdb",
            "-D",
            str(self.datadir),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )

    @staticmethod
    def find_bindir() -> str | None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if found:
            return str(Path(found[-1]).parent)
        initdb = shutil.which("initdb")
        return str(Path(initdb).parent) if initdb else None

    @classmethod
    def missing(cls) -> str | None:
        """Why this cannot run here, or None."""
        if cls.find_bindir() is None:
            return "PostgreSQL's initdb is not installed (apt-get install postgresql)"
        if os.geteuid() == 0:
            import pwd

            try:
                pwd.getpwnam("postgres")
            except KeyError:
                return "running as root, and there is no postgres user to run PostgreSQL as"
        return None

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [f"{self.bindir}/{program}", *args],
            check=True,
            capture_output=True,
            cwd=self.root,
            **self.as_user,
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> PostgresServer:
        log = (self.root / "postgres.log").open("ab")
        self.process = subprocess.Popen(
            [
                f"{self.bindir}/postgres",
                "-D",
                str(self.datadir),
                "-p",
                str(self.port),
                "-k",
                str(self.root),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "full_page_writes=off",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.root,
            **self.as_user,
        )
        wait_for_port(self.port, timeout=30)
        self._wait_until_accepting()
        return self

    def _wait_until_accepting(self) -> None:
        """The port opens before recovery ends ("the database system is starting up")."""
        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(self.url(), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def create_database(self, name: str, *, migrate: bool = False) -> str:
        """A new database, with Rassylka's tables if `migrate`; its URL."""
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        if migrate:
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--noinput"],
                cwd=ROOT,
                env={
                    **os.environ,
                    "DJANGO_SETTINGS_MODULE": "config.test_settings",
                    "DATABASE_URL": self.url(name),
                },
                check=True,
                capture_output=True,
                timeout=300,
            )
        return self.url(name)

    def stop(self, *, immediate: bool = False) -> None:
        """Fast shutdown (SIGINT), or with immediate a crash-like one (SIGQUIT)."""
        _stop(self.process, signal.SIGQUIT if immediate else signal.SIGINT)
        self.process = None
        assert _refused(self.port), f"something still listens on port {self.port}"

    def log(self) -> str:
        path = self.root / "postgres.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def close(self) -> None:
        self.stop(immediate=True)
        shutil.rmtree(self.root, ignore_errors=True)


def redis_cache_settings(url: str) -> dict:
    """CACHES for the production cache backend on this Redis, with short timeouts (a hung
    Redis must not slow a test down) and a key prefix of its own."""
    import uuid

    return {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"rassylka-test-{uuid.uuid4().hex}",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
