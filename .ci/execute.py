"""Execute notebooks in place, each in a fresh kernel from top to bottom, and print each wall time.

Usage: python .ci/execute.py [--check [--keep DIR]] notebooks/00_*.ipynb ...   (what `make run` calls)
A cell that raises stops the run, unless the cell carries the `raises-exception` tag.
With --check (what `make test-oldest` calls) nothing is written: every notebook is run, each one's first
failing cell is reported, and the exit code is 1 if any notebook failed. Its outputs may differ from the
committed ones in the last digits; what must hold is that every cell runs and every assert passes.
With --keep DIR the executed copies go to DIR, to compare the numbers of one float path with another's.
No per-cell timings, widget state or Python version are written, so a re-run changes only what the cells
print. Each notebook's wall time goes to notebooks/runtimes.json, for the README's benchmark table.
"""

import json
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def execute(path: Path, write: bool = True, into: Path | None = None) -> float:
    """Run one notebook in a fresh kernel started in its folder (in place if write, else into a folder
    if given); return its seconds."""
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute()
    finally:  # a kept copy shows how far a failing notebook got
        if into is not None:
            into.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, into / path.name)
    seconds = time.perf_counter() - start
    if not write:
        return seconds
    notebook.metadata.pop("widgets", None)
    notebook.metadata.get("language_info", {}).pop("version", None)  # differs between Python releases
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(notebook, path)
    return seconds


def record(path: Path, seconds: float) -> None:
    """Store a notebook's wall time, in whole seconds, in the runtimes.json beside it."""
    runtimes_path = path.parent / "runtimes.json"
    runtimes = json.loads(runtimes_path.read_text()) if runtimes_path.exists() else {}
    runtimes[path.name] = round(seconds)
    runtimes_path.write_text(json.dumps(dict(sorted(runtimes.items())), indent=1) + "\n")


def check(names: list[str], into: Path | None = None) -> int:
    """Run every notebook without writing it; print OK or the failing cell's error; return the failures."""
    failures = 0
    for name in names:
        try:
            seconds = execute(Path(name), write=False, into=into)
            print(f"OK    {name:45s} {seconds:6.1f} s", flush=True)
        except CellExecutionError as error:
            failures += 1
            print(f"FAIL  {name}\n{error}", flush=True)
    return failures


if __name__ == "__main__":
    if sys.argv[1:2] == ["--check"]:
        names, into = sys.argv[2:], None
        if names[:1] == ["--keep"]:
            into, names = Path(names[1]), names[2:]
        failed = check(names, into)
        print(f"{len(names) - failed} passed, {failed} failed")
        sys.exit(1 if failed else 0)
    for name in sys.argv[1:]:
        seconds = execute(Path(name))
        record(Path(name), seconds)
        print(f"{name:45s} {seconds:6.1f} s", flush=True)
