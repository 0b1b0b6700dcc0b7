"""Put the repository root on sys.path, so that the tests import utils.py and the scripts in .ci/."""

import json
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


# With two workers, the run ends when the last file does: files run longest first (their last `make run`
# times; a test module counts as 20 s), so that no long notebook starts last while the other worker idles.
# The Makefile turns off pytest-xdist's own order (by number of tests) to keep this one. Ordering only.
def pytest_collection_modifyitems(items):
    runtimes = {}
    for folder in (ROOT / "notebooks", ROOT / "notebooks" / "solutions"):
        if (folder / "runtimes.json").exists():
            times = json.loads((folder / "runtimes.json").read_text())
            runtimes |= {str(folder / name): seconds for name, seconds in times.items()}
    items.sort(key=lambda item: -runtimes.get(str(item.path), 20))  # stable: a file's cells stay in order
