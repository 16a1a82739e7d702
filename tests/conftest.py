"""Skips that must not pass unnoticed: a browser test that could not run says so
at the end of the session, not only as an 's' among the dots."""
import pytest
from hypothesis import HealthCheck, settings

# Property tests draw the same examples on every run (a CI verdict must not depend on
# the dice); rows with narrow domains (log with a base) filter many draws, which is
# expected, not a test defect.
settings.register_profile("bptutor", derandomize=True,
                          suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
settings.load_profile("bptutor")

LOUD = "BROWSER TEST SKIPPED"


def pytest_terminal_summary(terminalreporter):
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if LOUD in str(r.longrepr)]
    if skipped:
        reason = str(skipped[0].longrepr[-1]) if isinstance(skipped[0].longrepr, tuple) else str(skipped[0].longrepr)
        terminalreporter.write_sep("!", f"{len(skipped)} browser tests did not run: {reason}", red=True, bold=True)
