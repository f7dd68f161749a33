"""`diversion run`: the development server that `make run` starts.

Django's runserver (one process, reloading when the code changes), whose last lines, once it
listens, are the address to open and the demo logins, after the noise of setting up. DEBUG
stays as the environment says (off by default); static files come from WhiteNoise (see
settings). Refused in production, where `diversion serve` runs the app.
"""

from django.conf import settings
from django.core.management.commands.runserver import Command as RunserverCommand

from diversion.platform.demo_users import demo_logins


class Command(RunserverCommand):
    help = ("The development server for `make run`: prints the address and the demo logins "
            "once it listens. Refused in production (use `diversion serve`).")

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            self.stderr.write("diversion run is for development; in production use "
                              "`diversion serve`.")
            raise SystemExit(2)
        super().handle(*args, **options)

    def on_bind(self, server_port):
        super().on_bind(server_port)
        addr = f"[{self.addr}]" if self._raw_ipv6 else self.addr
        self.stdout.write("")
        self.stdout.write("Demo data is synthetic (Faker): no record is about a real person.")
        self.stdout.write(self.style.SUCCESS(f"Open {self.protocol}://{addr}:{server_port}/"))
        for line in demo_logins():
            self.stdout.write(line)
