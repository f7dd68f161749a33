import pytest

from diversion.reports import synth
from diversion.reports.services import arrests_import, referrals_import


@pytest.fixture
def import_county(site, tmp_path):
    """Write a synthetic county (`diversion synth`) and import it into the default site;
    returns its truth.json."""

    def make(*, seed: int, people: int, effect_or: float) -> dict:
        truth = synth.write(tmp_path, seed=seed, people=people, effect_or=effect_or)
        arrests_import(site=site, path=tmp_path / "arrests.csv", actor=None)
        referrals_import(site=site, path=tmp_path / "referrals.csv", actor=None)
        return truth

    return make
