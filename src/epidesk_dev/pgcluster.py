"""Throwaway PostgreSQL clusters for tests and benchmarks, from Debian's binaries.

A cluster lives in a temporary directory, listens on a free loopback port and is
stopped and removed by `stop()`. As root (CI), the server runs as the `postgres`
system user that Debian's package creates, because initdb refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from epidesk.errors import ConfigurationError

# Settings for a cluster that only tests use: durability traded for speed.
TEST_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "128MB",
    "max_connections": "100",
    # A large lab batch is written over two connections where prepared transactions are
    # allowed (epidesk.testing.ingest.halves).
    "max_prepared_transactions": "20",
}
# Settings for benchmark clusters: durable, with the bulk-load tuning a production
# server of this size would have.
BENCH_SETTINGS = {
    "shared_buffers": "4GB",
    "maintenance_work_mem": "2GB",
    "work_mem": "64MB",
    "max_wal_size": "16GB",
    "checkpoint_timeout": "30min",
    "wal_compression": "on",
    "effective_cache_size": "12GB",
    "max_parallel_maintenance_workers": "2",
    "max_connections": "50",
    "max_prepared_transactions": "10",
}


def find_bindir() -> Path:
    """The newest Debian PostgreSQL bin directory (15 or newer) that holds initdb."""
    candidates = []
    for path in glob.glob("/usr/lib/postgresql/*/bin"):
        try:
            version = int(Path(path).parent.name)
        except ValueError:
            continue
        if version >= 15 and (Path(path) / "initdb").exists():
            candidates.append((version, Path(path)))
    if not candidates:
        raise ConfigurationError(
            "no PostgreSQL 15+ server found under /usr/lib/postgresql "
            "(install Debian's postgresql package: make system-deps)"
        )
    return max(candidates)[1]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    """A running throwaway cluster."""

    root: Path
    port: int
    bindir: Path
    run_as: str | None
    database: str = "epidesk"
    _stopped: bool = field(default=False, repr=False)

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the cluster's database."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{self.database}"

    def url_for(self, database: str) -> str:
        """SQLAlchemy URL of another database in the same cluster."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create a database in the cluster and return its URL."""
        _run(self, [str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                    "-U", "postgres", name])
        return self.url_for(name)

    def stop(self) -> None:
        """Stop the server and delete the cluster's directory."""
        if self._stopped:
            return
        self._stopped = True
        try:
            _run(self, [str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"),
                        "-m", "immediate", "-w", "stop"], check=False)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def _run(cluster: Cluster | None, argv: list[str], *, run_as: str | None = None,
         check: bool = True) -> subprocess.CompletedProcess[str]:
    user = cluster.run_as if cluster else run_as
    if user:
        argv = ["runuser", "-u", user, "--", *argv]
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise ConfigurationError(
            f"{Path(argv[argv.index('--') + 1] if '--' in argv else argv[0]).name} failed: "
            f"{(result.stderr or result.stdout).strip()[-2000:]}"
        )
    return result


def start(settings: dict[str, str] | None = None, *, database: str = "epidesk") -> Cluster:
    """Start a new cluster on a free port in a temporary directory, with one database."""
    bindir = find_bindir()
    run_as: str | None = None
    root = Path(tempfile.mkdtemp(prefix="epidesk-pg-"))
    if os.geteuid() == 0:
        run_as = "postgres"
        try:
            pw = pwd.getpwnam(run_as)
        except KeyError as exc:
            raise ConfigurationError("running as root but there is no 'postgres' user") from exc
        os.chown(root, pw.pw_uid, pw.pw_gid)
    data = root / "data"
    _run(None, [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], run_as=run_as)
    port = free_port()
    options = {"listen_addresses": "127.0.0.1", "port": str(port),
               "unix_socket_directories": str(root), **(settings or TEST_SETTINGS)}
    with open(data / "postgresql.auto.conf", "a") as conf:
        for key, value in options.items():
            conf.write(f"{key} = '{value}'\n")
    cluster = Cluster(root=root, port=port, bindir=bindir, run_as=run_as, database=database)
    try:
        _run(cluster, [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"),
                       "-w", "-t", "60", "start"])
        deadline = time.monotonic() + 30
        while True:
            ready = _run(cluster, [str(bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                         check=False)
            if ready.returncode == 0:
                break
            if time.monotonic() > deadline:
                raise ConfigurationError("throwaway PostgreSQL did not become ready in 30 s")
            time.sleep(0.2)
        cluster.create_database(database)
    except BaseException:
        cluster.stop()
        raise
    return cluster
