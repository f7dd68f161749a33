"""`diversion serve`: the production web server (gunicorn, several worker processes).

Everything comes from the environment (see docs/operations.md). In production
(DIVERSION_ENV=production) it refuses to start while a deployment check fails:
the default SECRET_KEY or DEBUG on (settings refuse those at import), or demo
users who can still sign in (check diversion.E001).
"""

import os

from django.conf import settings
from django.core import checks
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, SystemCheckError
from django.db import connections
from gunicorn.app.base import BaseApplication

from diversion.lib.env import env_int, env_str


def default_workers() -> int:
    """Gunicorn's rule of thumb, 2 × cores + 1, capped: each worker holds database connections."""
    return min(2 * (os.cpu_count() or 1) + 1, 9)


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Serve the application with gunicorn: several worker processes, static files by "
        "WhiteNoise, settings from the environment. Refuses to start in production while "
        "`diversion check --deploy` reports an error (demo users, default secret, DEBUG)."
    )
    # Checks run in handle(), with the deployment checks in production.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--bind", default=env_str("DIVERSION_BIND", "127.0.0.1:8000"),
            help="Address to listen on, HOST:PORT or unix:PATH "
                 "(default: DIVERSION_BIND or 127.0.0.1:8000).")
        parser.add_argument(
            "--workers", type=_positive,
            default=env_int("DIVERSION_WORKERS", default_workers(), minimum=1),
            help="Worker processes (default: DIVERSION_WORKERS or 2 × cores + 1, at most 9).")
        parser.add_argument(
            "--threads", type=_positive, default=env_int("DIVERSION_THREADS", 1, minimum=1),
            help="Threads per worker; above 1 uses gunicorn's gthread worker, which keeps "
                 "client connections alive (default: DIVERSION_THREADS or 1).")
        parser.add_argument(
            "--timeout", type=_positive, default=env_int("DIVERSION_TIMEOUT", 30, minimum=1),
            help="Seconds before a stuck worker is restarted (default: 30).")
        parser.add_argument(
            "--max-requests", type=int, default=env_int("DIVERSION_MAX_REQUESTS", 5000, minimum=0),
            help="Recycle a worker after this many requests, with jitter; 0 never (default: 5000).")
        parser.add_argument(
            "--access-log", action="store_true",
            help="Log every request to stderr. Off by default: request lines carry query "
                 "strings, and the audit log is the record of access.")
        parser.add_argument(
            "--no-collectstatic", action="store_false", dest="collectstatic",
            help="Do not run collectstatic first (when the deploy step already did).")

    def handle(self, *args, **options):
        self._check()
        if options["collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        os.makedirs(settings.STATIC_ROOT, exist_ok=True)
        # Workers fork from this process: they must not share its database connection.
        connections.close_all()
        mode = "production" if settings.PRODUCTION else settings.ENVIRONMENT
        self.stderr.write(f"diversion serve: {options['workers']} workers × {options['threads']} "
                          f"threads on {options['bind']} ({mode})")
        _Server(_gunicorn_options(options)).run()

    def _check(self) -> None:
        try:
            self.check(include_deployment_checks=settings.PRODUCTION,
                       fail_level=checks.ERROR, databases=["default"])
        except SystemCheckError as exc:
            raise CommandError(f"refusing to start:\n{exc}", returncode=2)


def _gunicorn_options(options: dict) -> dict:
    threads = options["threads"]
    return {
        "bind": [options["bind"]],
        "workers": options["workers"],
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "timeout": options["timeout"],
        "graceful_timeout": 30,
        "keepalive": 5,
        "max_requests": options["max_requests"],
        "max_requests_jitter": options["max_requests"] // 10,
        "preload_app": True,
        # systemd and signals manage the server; gunicorn's own control socket (gunicornc)
        # would be made under $HOME, which the unit keeps read-only, and two servers on one
        # machine would share it.
        "control_socket_disable": True,
        "accesslog": "-" if options["access_log"] else None,
        "errorlog": "-",
        "loglevel": env_str("LOG_LEVEL_SERVER", "warning").lower(),
        "proc_name": "diversion",
        # Heartbeat files on tmpfs, as gunicorn advises: a slow disk would look like a hang.
        "worker_tmp_dir": "/dev/shm" if os.path.isdir("/dev/shm") else None,  # noqa: S108
    }


class _Server(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            if value is not None:
                self.cfg.set(key, value)

    def load(self):
        from django.core.wsgi import get_wsgi_application

        return get_wsgi_application()
