"""Start a throw-away PostgreSQL server on loopback for the source tests.

The Debian package is installed when missing (the test machine runs as root).
Anything that prevents the server from starting (no ``postgres`` user, initdb,
pg_ctl or createdb failing) becomes a skip with the reason, shown in pytest's
summary (``-ra``), never a silent pass; a server that started is stopped again
when the database cannot be created.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path


class ServerUnavailable(RuntimeError):
    pass


def _run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def _install() -> Path:
    if _bindir() is None:
        if shutil.which("apt-get") is None or os.geteuid() != 0:
            raise ServerUnavailable("PostgreSQL is not installed and apt-get (as root) is not "
                                    "available to install it")
        try:
            _run(["apt-get", "update", "-qq"], timeout=600)
            _run(["apt-get", "install", "-y", "-qq", "postgresql"], timeout=900,
                 env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as err:
            raise ServerUnavailable(f"apt-get install postgresql failed: {err}") from err
    bindir = _bindir()
    if bindir is None:
        raise ServerUnavailable("pg_ctl not found after installing postgresql")
    return bindir


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start() -> tuple[str, callable]:
    """Start a server; return its SQLAlchemy URL and a stop function."""
    import tempfile

    bindir = _install()
    # pytest's tmp folders are private to root; the postgres user needs its own.
    workdir = Path(tempfile.mkdtemp(prefix="cslib-pg-"))
    datadir = workdir / "pgdata"
    sockdir = workdir / "sock"
    sockdir.mkdir(parents=True, exist_ok=True)
    as_user: list[str] = []
    port = _free_port()
    started = False

    def pg_ctl_stop():
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "fast",
                        "stop"], capture_output=True, timeout=60)

    try:
        if os.geteuid() == 0:  # postgres refuses to run as root
            as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(workdir, "postgres")  # LookupError if there is no postgres user
            shutil.chown(sockdir, "postgres")
            os.chmod(workdir, 0o755)
        _run([*as_user, str(bindir / "initdb"), "-D", str(datadir), "-U", "kit",
              "--auth=trust", "-E", "UTF8"], timeout=120)
        _run([*as_user, str(bindir / "pg_ctl"), "-D", str(datadir), "-w", "-t", "60",
              "-o", f"-h 127.0.0.1 -p {port} -k {sockdir}", "-l", str(workdir / "pg.log"),
              "start"], timeout=120)
        started = True
        _run([*as_user, str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port),
              "-U", "kit", "cs"], timeout=60)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError,
            LookupError) as err:
        if started or (datadir / "postmaster.pid").exists():  # the server runs: stop it
            pg_ctl_stop()
        shutil.rmtree(workdir, ignore_errors=True)
        detail = getattr(err, "stderr", "") or ""
        raise ServerUnavailable(f"PostgreSQL did not start: {err} {detail}".strip()) from err

    def stop():
        pg_ctl_stop()
        shutil.rmtree(workdir, ignore_errors=True)

    time.sleep(0.2)
    return f"postgresql://kit@127.0.0.1:{port}/cs", stop
