"""Helpers for tests that start real `diversion` processes (serve, migrate) as subprocesses."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DIVERSION = str(Path(sys.executable).with_name("diversion"))
PROD_SECRET = "prod-test-secret-" + "k" * 48
# Variables of the caller's environment that would leak into the child's settings.
_SCRUB = ("DATABASE_URL", "DIVERSION_ENV", "SECRET_KEY", "SECRET_KEY_FILE", "DEBUG",
          "ALLOWED_HOSTS", "DIVERSION_VAR_DIR", "TASKS_BACKEND", "DJANGO_SETTINGS_MODULE",
          # Set by the browser tests for Playwright's event loop; never in a served process.
          "DJANGO_ALLOW_ASYNC_UNSAFE")


def child_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB and not k.startswith("PYTEST")}
    env.update(overrides)
    return env


def production_env(var_dir: Path, **overrides: str) -> dict[str, str]:
    return child_env(DIVERSION_ENV="production", SECRET_KEY=PROD_SECRET,
                     ALLOWED_HOSTS="lead.example.org,127.0.0.1", DIVERSION_VAR_DIR=str(var_dir),
                     **overrides)


def run(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([DIVERSION, *args], env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One `diversion serve` process on a free loopback port."""

    def __init__(self, env: dict[str, str], *extra: str, workers: int = 2):
        self.port = free_port()
        # A file, not a pipe: a pipe nobody reads would block the server once full.
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen(
            [DIVERSION, "serve", "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
             *extra],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, text=True,
        )

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()

    def wait_ready(self, timeout: float = 240) -> None:
        # Generous: on a loaded 2-core machine gunicorn's workers took up to 183 s to import
        # the app; the tests assert what the server does, not how fast it starts.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited {self.proc.returncode}: "
                                     f"{self.output()[-2000:]}")
            try:
                status, _, _ = self.request("GET", "/healthz")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("serve did not answer /healthz in time")

    def request(self, method: str, path: str, body=None, headers: dict | None = None,
                ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            hdrs = {"Host": "127.0.0.1"}
            hdrs.update(headers or {})
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
                hdrs.setdefault("Content-Type", "application/json")
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
