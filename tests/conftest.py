"""Put the repository root on sys.path, so that the tests import utils.py and the scripts in .ci/."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / ".ci"))


# The time of each notebook's cells under nbval, printed at the end of the run (the README's benchmark
# table shows the wall time of `make run` instead, kernel start included).
# Reported, never asserted: a test that fails on wall-clock time is flaky.
def pytest_terminal_summary(terminalreporter):
    seconds: dict[str, float] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) == "call" and ".ipynb::" in report.nodeid:
                name = report.nodeid.split("::")[0]
                seconds[name] = seconds.get(name, 0.0) + report.duration
    if seconds:
        terminalreporter.write_sep("-", "nbval time per notebook (its cells, without the kernel start)")
        for name, total in sorted(seconds.items()):
            terminalreporter.write_line(f"{name:50s} {total:6.1f} s")
