"""Write the README's benchmark table from the executed notebooks: each one's runtime and headline result.

Usage: python .ci/benchmark.py [--check]   (`make benchmark`; `make run` calls it after executing)

The headline is what the notebook's cell tagged `headline` prints, one line; the runtime is the wall time
that `make run` recorded in notebooks/runtimes.json. The solutions notebooks (notebooks/solutions/) follow,
with their runtimes from notebooks/solutions/runtimes.json. The table sits in README.md between the two marker
lines below and is never edited by hand. With --check nothing is written, and the exit code is 1 when the
README's table differs from what the notebooks give (the test suite runs this check).
"""

import argparse
import json
import sys
from pathlib import Path

import nbformat

START = "<!-- benchmark table: written by .ci/benchmark.py from the executed notebooks; do not edit -->"
END = "<!-- end of benchmark table -->"


def headline(path: Path) -> str:
    """Return the one line printed by the notebook's cell tagged `headline`."""
    notebook = nbformat.read(path, as_version=4)
    cells = [cell for cell in notebook.cells if "headline" in cell.metadata.get("tags", [])]
    if len(cells) != 1:
        raise SystemExit(f"{path}: expected one cell tagged 'headline', found {len(cells)}")
    text = "".join(
        output.get("text", "") for output in cells[0].get("outputs", []) if output.get("name") == "stdout"
    )
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) != 1:
        raise SystemExit(f"{path}: the headline cell must print exactly one line, it printed {len(lines)}")
    return lines[0]


def table(
    notebooks: list[Path],
    runtimes: dict[str, float],
    solutions: list[Path] = (),
    solution_runtimes: dict[str, float] | None = None,
) -> str:
    """Return the markdown table: one row per notebook, in order, then one per solutions notebook."""
    solution_runtimes = solution_runtimes or {}
    rows = ["| Notebook | Runtime (`make run`) | Headline result |", "|---|---:|---|"]
    for path in notebooks:
        if path.name not in runtimes:
            raise SystemExit(f"{path.name} has no runtime in notebooks/runtimes.json: run `make run`")
        link = f"[{path.stem}](notebooks/{path.name})"
        rows.append(f"| {link} | {runtimes[path.name]:.0f} s | {headline(path)} |")
    total = sum(runtimes[path.name] for path in notebooks)
    for path in solutions:
        if path.name not in solution_runtimes:
            raise SystemExit(
                f"{path.name} has no runtime in notebooks/solutions/runtimes.json: run `make run`"
            )
        link = f"[solutions/{path.stem}](notebooks/solutions/{path.name})"
        answers = f"worked answers to the exercises of [{path.stem}](notebooks/{path.name})"
        rows.append(f"| {link} | {solution_runtimes[path.name]:.0f} s | {answers} |")
        total += solution_runtimes[path.name]
    everything = f"all {len(notebooks)}" + (f" and {len(solutions)} solutions" if solutions else "")
    rows.append(f"| {everything}, one after another | {total:.0f} s | |")
    return "\n".join(rows)


def update(readme: str, new_table: str) -> str:
    """Return the README with the text between the markers replaced by the table."""
    if readme.count(START) != 1 or readme.count(END) != 1:
        raise SystemExit("README.md must contain each benchmark marker line exactly once")
    before, rest = readme.split(START)
    _, after = rest.split(END)
    return f"{before}{START}\n{new_table}\n{END}{after}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if README.md is stale")
    parser.add_argument("--root", type=Path, default=Path("."), help="the repository root")
    args = parser.parse_args(argv)
    notebooks = sorted((args.root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    runtimes = json.loads((args.root / "notebooks" / "runtimes.json").read_text())
    solutions = sorted((args.root / "notebooks" / "solutions").glob("[0-9][0-9]_*.ipynb"))
    solution_runtimes_path = args.root / "notebooks" / "solutions" / "runtimes.json"
    solution_runtimes = json.loads(solution_runtimes_path.read_text()) if solutions else {}
    readme_path = args.root / "README.md"
    readme = readme_path.read_text()
    updated = update(readme, table(notebooks, runtimes, solutions, solution_runtimes))
    if updated == readme:
        return 0
    if args.check:
        print("README.md's benchmark table is stale: run `make benchmark`", file=sys.stderr)
        return 1
    readme_path.write_text(updated)
    print("README.md: benchmark table rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
