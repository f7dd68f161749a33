"""Start a real Jasmin SMS gateway for the tests (and for a developer's try-out).

Jasmin lives in its own virtualenv (`.venv-jasmin/`, made by `make jasmin`): it pins Twisted,
requests and cryptography at versions the app's venv does not share. This module only starts
its `jasmind.py` as a child process with a configuration written to a temporary folder, and
configures it through jCli, Jasmin's line-oriented console, as an operator would by hand
(docs/operations.md shows the same commands).

Every instance gets its own RabbitMQ virtual host: two Jasmins on one broker (two test
workers, two helpers' suites) would otherwise consume each other's queues. Redis is shared
(its keys are message ids, unique), in database JASMIN_REDIS_DB, away from database 0.
"""

import contextlib
import hashlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parents[3]
JASMIN_VENV = REPO_DIR / ".venv-jasmin"
JASMIND = JASMIN_VENV / "bin" / "jasmind.py"
JASMIN_REDIS_DB = 11
RABBITMQ = ("127.0.0.1", 5672)
REDIS = ("127.0.0.1", 6379)
JCLI_USER, JCLI_PASSWORD = "jcliadmin", "jclipwd"


# Runs jasmind.py with lockfile.FileLock pointed at argv[1] instead of its fixed /tmp/jasmind.
_OWN_LOCK = (
    "import sys, runpy, lockfile\n"
    "lock_path, script = sys.argv[1], sys.argv[2]\n"
    "real = lockfile.FileLock\n"
    "lockfile.FileLock = lambda path, *a, **k: real(lock_path, *a, **k)\n"
    "sys.argv = [script, *sys.argv[3:]]\n"
    "runpy.run_path(script, run_name='__main__')\n"
)


class JasminUnavailable(RuntimeError):
    """Jasmin cannot start here; the message says why (the tests skip with it)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening(address: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(address, timeout=1):
            return True
    except OSError:
        return False


def _amqp_spec() -> Path:
    found = sorted(JASMIN_VENV.glob(
        "lib/python*/site-packages/txamqp/specs/standard/amqp0-9-1.stripped.xml"))
    if not found:
        raise JasminUnavailable(f"txAMQP's amqp0-9-1 spec not found under {JASMIN_VENV}")
    return found[0]


def why_unavailable() -> str | None:
    """None when Jasmin can start here, else the reason."""
    if not JASMIND.exists():
        return f"Jasmin is not installed ({JASMIND} missing): run `make jasmin`"
    if not _listening(RABBITMQ):
        return "RabbitMQ is not listening on 127.0.0.1:5672 (rabbitmq-server -detached)"
    if not _listening(REDIS):
        return "Redis is not listening on 127.0.0.1:6379 (.ci/run starts it)"
    if shutil.which("rabbitmqctl") is None:
        return "rabbitmqctl not found (it makes the instance's own virtual host)"
    return None


IAC, SB, SE, WILL, NAWS = b"\xff", b"\xfa", b"\xf0", b"\xfb", b"\x1f"


class JCli:
    """A client for jCli: send a command line, read until the next prompt."""

    PROMPTS = (b"jcli : ", b"> ")

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=15)
        # jCli draws its prompt once it knows the window size (telnet NAWS): offer it first.
        self.sock.sendall(IAC + WILL + NAWS + IAC + SB + NAWS + b"\x00\xc8\x00\x18" + IAC + SE)
        self._read_until(b"Username: ")
        self.sock.sendall(JCLI_USER.encode() + b"\r\n")
        self._read_until(b"Password: ")
        self.sock.sendall(JCLI_PASSWORD.encode() + b"\r\n")
        out = self._read_until(*self.PROMPTS)
        if "Incorrect" in out:
            raise JasminUnavailable("jCli refused its own credentials")

    def _read_until(self, *endings: bytes) -> str:
        buf = b""
        deadline = time.monotonic() + 15
        while not any(buf.endswith(e) for e in endings):
            if time.monotonic() > deadline:
                raise JasminUnavailable(f"jCli did not answer; last output: {buf[-300:]!r}")
            chunk = self.sock.recv(4096)
            if not chunk:
                raise JasminUnavailable(f"jCli closed the connection: {buf[-300:]!r}")
            buf += chunk
        # Drop telnet negotiation (IAC ...) and terminal escapes.
        text = re.sub(rb"\xff[\xfb-\xfe].|\xff[\xf0-\xfa]", b"", buf).decode("utf-8", "replace")
        return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)

    def run(self, *lines: str) -> str:
        out = ""
        for line in lines:
            self.sock.sendall(line.encode() + b"\r\n")
            out += self._read_until(*self.PROMPTS)
        return out

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.sendall(b"quit\r\n")
        self.sock.close()


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


@dataclass
class Jasmin:
    """One running jasmind.py, configured with an SMPP client connector to SMSC_PORT, a
    default MT route to it, a default MO route to MO_URL, and an HTTP API user."""

    smsc_port: int
    mo_url: str
    smsc_user: str = "smsc"
    smsc_password: str = "smscpwd"
    username: str = "diversion"
    password: str = field(default_factory=lambda: secrets.token_hex(4))
    connector: str = "carrier"
    ports: dict = field(default_factory=dict)
    process: subprocess.Popen | None = None
    folder: Path | None = None
    vhost: str = ""
    keep_folder: bool = False  # keep the config and logs after stop (to debug)

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['http-api']}"

    def start(self, timeout: float = 40) -> "Jasmin":
        reason = why_unavailable()
        if reason:
            raise JasminUnavailable(reason)
        self.folder = Path(tempfile.mkdtemp(prefix="jasmin-"))
        for sub in ("resource", "log", "store"):
            (self.folder / sub).mkdir()
        shutil.copy(_amqp_spec(), self.folder / "resource" / "amqp0-9-1.xml")
        self.vhost = f"jasmin-test-{os.getpid()}-{secrets.token_hex(3)}"
        _rabbitmqctl("add_vhost", self.vhost)
        _rabbitmqctl("set_permissions", "-p", self.vhost, "guest", ".*", ".*", ".*")
        for name in ("jcli", "http-api", "smpp-server", "router", "client-management",
                     "smpp-server-pb"):
            self.ports[name] = free_port()
        log = self.folder / "log"
        sections = {
            "main": {},
            "jcli": {"bind": "127.0.0.1", "port": self.ports["jcli"],
                     "admin_username": JCLI_USER,
                     # jCli keeps the MD5 of its password (its own scheme, not ours).
                     "admin_password": hashlib.md5(JCLI_PASSWORD.encode()).hexdigest()},  # noqa: S324
            "http-api": {"bind": "127.0.0.1", "port": self.ports["http-api"]},
            "smpp-server": {"bind": "127.0.0.1", "port": self.ports["smpp-server"]},
            "smpp-server-pb": {"bind": "127.0.0.1", "port": self.ports["smpp-server-pb"]},
            "router": {"bind": "127.0.0.1", "port": self.ports["router"],
                       "store_path": self.folder / "store"},
            "client-management": {"bind": "127.0.0.1", "port": self.ports["client-management"],
                                  "store_path": self.folder / "store"},
            "amqp-broker": {"host": RABBITMQ[0], "port": RABBITMQ[1], "vhost": self.vhost,
                            "username": "guest", "password": "guest"},
            "redis-client": {"host": REDIS[0], "port": REDIS[1], "dbid": JASMIN_REDIS_DB},
            # Retry a refused callback soon (the default waits 30 s).
            "dlr-thrower": {"retry_delay": 2, "max_retries": 5},
            "deliversm-thrower": {"retry_delay": 2, "max_retries": 5},
            # Never write a text's words to the logs (they are about a person).
            "sm-listener": {"log_privacy": "True", "dlr_lookup_retry_delay": 1},
            "dlr": {"log_privacy": "True", "dlr_lookup_retry_delay": 1},
        }
        text = ""
        for name, values in sections.items():
            text += f"[{name}]\n" + "".join(f"{k} = {v}\n" for k, v in values.items())
            if name != "main":
                text += f"log_file = {log / (name + '.log')}\n"
        config = self.folder / "jasmin.cfg"
        config.write_text(text)
        env = {**os.environ, "CONFIG_PATH": str(self.folder),
               "RESOURCE_PATH": str(self.folder / "resource"), "LOG_PATH": str(log)}
        env.pop("REDIS_URL", None)
        env.pop("AMQP_BROKER_HOST", None)
        # jasmind holds the lock file /tmp/jasmind while it runs, so a second one on the
        # machine (the other test worker's) would exit: each instance gets its own lock.
        self.process = subprocess.Popen(
            [str(JASMIN_VENV / "bin" / "python"), "-c", _OWN_LOCK, str(self.folder / "lock"),
             str(JASMIND), "-c", str(config), "--enable-dlr-thrower", "--enable-dlr-lookup"],
            cwd=self.folder, env=env, stdout=(log / "jasmind.out").open("w"),
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while not _listening(("127.0.0.1", self.ports["jcli"])):
            if self.process.poll() is not None or time.monotonic() > deadline:
                out = (log / "jasmind.out").read_text()[-2000:]
                self.stop()
                raise JasminUnavailable(f"jasmind did not start: {out}")
            time.sleep(0.2)
        self._configure()
        return self

    def _configure(self) -> None:
        cli = JCli(self.ports["jcli"])
        try:
            out = cli.run(
                "group -a", "gid clients", "ok",
                "user -a", f"username {self.username}", f"password {self.password}",
                "gid clients", f"uid {self.username}", "ok",
                "smppccm -a", f"cid {self.connector}", "host 127.0.0.1",
                f"port {self.smsc_port}", f"username {self.smsc_user}",
                f"password {self.smsc_password}", "bind transceiver", "submit_throughput 0",
                "con_fail_delay 1", "con_loss_delay 1", "requeue_delay 2", "ok",
                f"smppccm -1 {self.connector}",
                "mtrouter -a", "type DefaultRoute", f"connector smppc({self.connector})",
                "rate 0.00", "ok",
                "httpccm -a", "cid app", f"url {self.mo_url}", "method POST", "ok",
                "morouter -a", "type DefaultRoute", "connector http(app)", "ok",
            )
        finally:
            cli.close()
        for expected in ("Successfully added User", "Successfully added connector",
                         "Successfully started connector", "Successfully added MTRoute",
                         "Successfully added Httpcc", "Successfully added MORoute"):
            if expected not in out:
                raise JasminUnavailable(f"jCli did not say {expected!r}: {out[-1500:]}")

    def pause(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def log_text(self) -> str:
        parts = []
        for path in sorted((self.folder / "log").glob("*")):
            parts.append(f"== {path.name}\n{path.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGCONT)
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if self.vhost:
            with contextlib.suppress(Exception):
                _rabbitmqctl("delete_vhost", self.vhost)
            self.vhost = ""
        if self.folder is not None and not self.keep_folder:
            shutil.rmtree(self.folder, ignore_errors=True)
