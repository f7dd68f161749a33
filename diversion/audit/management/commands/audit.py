import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from diversion.audit.services import Checkpoint, audit_checkpoint, audit_verify_chain


class Command(BaseCommand):
    help = (
        "Check the audit chain. `audit verify [--checkpoint FILE]` walks every event and "
        "reports the first broken link (a row changed, deleted or reordered; with the last "
        "exported checkpoint, also a cut tail); exit status 1 when broken. "
        "`audit checkpoint --out FILE` exports the tail (last id, hash, count): keep it off "
        "this server, e.g. with the backups."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="Walk the chain and report the first broken link.")
        verify.add_argument("--checkpoint", help="A file written by `audit checkpoint`.")
        checkpoint = sub.add_parser("checkpoint", help="Export the chain's tail to a file.")
        checkpoint.add_argument("--out", required=True, help="Where to write it ('-': stdout).")

    def handle(self, *args, action, **opts):
        if action == "verify":
            self._verify(opts.get("checkpoint"))
        else:
            self._checkpoint(opts["out"])

    def _verify(self, path):
        checkpoint = None
        if path:
            try:
                checkpoint = Checkpoint.from_dict(json.loads(Path(path).read_text()))
            except OSError as exc:
                raise CommandError(f"--checkpoint: cannot read {path}: {exc.strerror}",
                                   returncode=2)
            except (ValueError, AttributeError) as exc:
                raise CommandError(f"--checkpoint: {path} is not a checkpoint file ({exc})",
                                   returncode=2)
        result = audit_verify_chain(checkpoint=checkpoint)
        if not result.ok:
            raise CommandError(f"BROKEN after {result.checked} good events: {result.reason}",
                               returncode=1)
        note = f" (against the checkpoint at event {checkpoint.last_id})" if checkpoint else ""
        self.stdout.write(f"OK: {result.checked} events, chain intact{note}.")

    def _checkpoint(self, out):
        text = json.dumps(audit_checkpoint().as_dict(), indent=2) + "\n"
        if out == "-":
            self.stdout.write(text, ending="")
            return
        try:
            Path(out).write_text(text)
        except OSError as exc:
            raise CommandError(f"--out: cannot write {out}: {exc.strerror}", returncode=2)
        self.stdout.write(f"Checkpoint written to {out}.")
