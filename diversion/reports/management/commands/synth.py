from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from diversion.reports import synth


class Command(BaseCommand):
    help = (
        "Write a synthetic county (arrests.csv, referrals.csv in the import formats, and "
        "truth.json with the true conditional and marginal odds ratios) to --out. The same seed "
        "always writes the same files. Nothing in it is about a real person."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--people", type=int, default=5000)
        parser.add_argument("--effect-or", type=float, default=0.4,
                            help="The true conditional odds ratio of re-arrest for participants.")
        parser.add_argument("--out", required=True, help="Directory to write into.")

    def handle(self, *args, seed, people, effect_or, out, **opts):
        if people < 10:
            raise CommandError("--people: at least 10", returncode=2)
        if not effect_or > 0:
            raise CommandError("--effect-or: must be a positive odds ratio", returncode=2)
        truth = synth.write(Path(out), seed=seed, people=people, effect_or=effect_or)
        self.stdout.write(
            f"Wrote {truth['n_arrests']} arrests and {truth['n_referrals']} referrals for "
            f"{people} people to {out} (treated {truth['n_treated']}, launch {truth['launch']})."
        )
