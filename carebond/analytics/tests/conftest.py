"""The scheduling tests' clinic (a Chicago location, two providers, visit types, a frozen
Monday), for the relationship-health tests' hand-made visit histories."""

from carebond.scheduling.tests.conftest import clinic, monday

__all__ = ["clinic", "monday"]
