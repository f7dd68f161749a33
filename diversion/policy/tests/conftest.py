"""The case builders of the cases tests, for the findings' regression tests here."""

from diversion.cases.tests.conftest import make_case  # noqa: F401  (a fixture)
