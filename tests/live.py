"""Start the service under gunicorn on a free loopback port, for tests and benchmarks."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, server: subprocess.Popen, timeout: float = 30.0) -> dict:
    """Poll ``/healthz`` until it answers; fail if the server exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"gunicorn exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return json.loads(response.read())
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def stop(process: subprocess.Popen, grace: float = 30.0) -> None:
    """Terminate a server process; kill it if it has not exited after ``grace`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def launch(store: Path, out: IO[bytes], threads: int = 4, **env: str) -> tuple[subprocess.Popen, str]:
    """Start gunicorn on ``store`` (log to ``out``) in a process group of its own; return it and its base URL once healthy.

    The group holds the master, its worker and the worker's extraction process, so a test can
    kill them all at once (``os.killpg``). See :func:`serve` for ``env``.
    """
    port = free_port()
    environment = {**os.environ, "KG_STORE": str(store), "PYTHONPATH": str(ROOT), **env}
    command = [  # as `kgservice serve` runs it: one gthread worker, JSON logs with one line per request
        str(GUNICORN),
        "--config",
        "python:kgservice.web.gunicorn_conf",
        "--threads",
        str(threads),
        "--bind",
        f"127.0.0.1:{port}",
        "kgservice.web.wsgi:app",
    ]
    server = subprocess.Popen(
        command, cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        health = wait_healthy(f"http://127.0.0.1:{port}/healthz", server)
        assert health["status"] == "ok", health
    except BaseException:
        stop(server)
        raise
    return server, f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def serve(store: Path, log: Path, threads: int = 4, **env: str) -> Iterator[str]:
    """Run ``kgservice.web.wsgi:app`` under gunicorn on ``store``; yield its base URL.

    ``env`` adds settings (``KG_API_TOKEN="…"``, ``KG_QUERY_TIMEOUT="2"``…); ``KG_BASE_URI``
    stays what the store was built with (the environment's, or the default), so the server
    links its IRIs to its own pages. The server log goes to ``log``. The store must be closed by every other process before this starts.
    """
    with log.open("wb") as out:
        server, url = launch(store, out, threads, **env)
        try:
            yield url
        finally:
            stop(server)
