"""Stamp every notebook's header from the GitHub slug that the Makefile holds.

Usage: python .ci/headers.py --repo OWNER/NAME [--check] notebooks/*.ipynb   (`make headers`)

Each notebook's first cell is the header, rewritten as: its own `# Title` line (kept as it is), the
Colab badge for the notebook's own path, and links to the previous notebook, the README and the next
one. It holds nothing else (the introduction goes in the second cell); a header with other text is refused.
A solutions notebook, notebooks/solutions/NN_slug.ipynb, links back to notebooks/NN_slug.ipynb and to the
README instead. The setup cell's `REPO_URL = "..."` line, every Colab link in the notebooks' markdown (an
Exercises section's link to its solutions, say) and the README's Colab badges get the slug too.
Running it twice changes nothing. With --check it writes nothing and exits 1 if a file is stale.
"""

import argparse
import re
import sys
from pathlib import Path

import nbformat

COLAB = "https://colab.research.google.com/github/{repo}/blob/main/notebooks/{name}"
COLAB_SLUG = r"colab\.research\.google\.com/github/[\w.-]+/[\w.-]+/"
BADGE = "https://colab.research.google.com/assets/colab-badge.svg"


def title_of(path: Path, notebook: nbformat.NotebookNode) -> str:
    """Return the `# Title` of a notebook's header cell; refuse a header cell that holds anything else."""
    cell = notebook.cells[0]
    lines = [line for line in cell.source.splitlines() if line.strip()]
    if cell.cell_type != "markdown" or not lines or not lines[0].startswith("# "):
        raise SystemExit(f"{path}: the first cell must be markdown starting with a '# Title' line")
    stamped = ("[![Open In Colab]", "[← ", "[all notebooks]")  # the lines this script writes
    others = [line for line in lines[1:] if not line.startswith(stamped)]
    if others:
        raise SystemExit(
            f"{path}: the header cell holds text this script would delete; move it to the next cell: {others}"
        )
    return lines[0][2:].strip()


def header(repo: str, path: Path, title: str, previous: Path | None, following: Path | None) -> str:
    """Return the markdown of a notebook's header cell."""
    links = []
    if previous:
        links.append(f"[← {previous.stem}]({previous.name})")
    links.append("[all notebooks](../README.md#the-notebooks)")
    if following:
        links.append(f"[{following.stem} →]({following.name})")
    badge = f"[![Open In Colab]({BADGE})]({COLAB.format(repo=repo, name=path.name)})"
    return f"# {title}\n\n{badge}\n\n" + " · ".join(links)


def solutions_header(repo: str, path: Path, title: str) -> str:
    """Return a solutions notebook's header: its badge, and links to its own notebook and to the README."""
    if not (path.parent.parent / path.name).exists():
        raise SystemExit(f"{path}: no notebook {path.name} in {path.parent.parent} for these solutions")
    links = [f"[← {path.stem}](../{path.name})", "[all notebooks](../../README.md#the-notebooks)"]
    badge = f"[![Open In Colab]({BADGE})]({COLAB.format(repo=repo, name='solutions/' + path.name)})"
    return f"# {title}\n\n{badge}\n\n" + " · ".join(links)


def stamp(repo: str, paths: list[Path], check: bool, readme: Path = Path("README.md")) -> list[str]:
    """Bring every notebook and the README up to date; return the files that were (or would be) changed."""
    stale = []
    lessons = [path for path in paths if path.parent.name != "solutions"]  # prev/next run through these
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        before = nbformat.writes(notebook)
        title = title_of(path, notebook)
        if path in lessons:
            i = lessons.index(path)
            previous = lessons[i - 1] if i > 0 else None
            following = lessons[i + 1] if i + 1 < len(lessons) else None
            notebook.cells[0].source = header(repo, path, title, previous, following)
        else:
            notebook.cells[0].source = solutions_header(repo, path, title)
        for cell in notebook.cells[1:]:
            if cell.cell_type == "code":
                cell.source = re.sub(
                    r'REPO_URL = "[^"]*"', f'REPO_URL = "https://github.com/{repo}"', cell.source
                )
            else:
                cell.source = re.sub(COLAB_SLUG, f"colab.research.google.com/github/{repo}/", cell.source)
        if nbformat.writes(notebook) != before:
            stale.append(str(path))
            if not check:
                nbformat.write(notebook, path)
    text = readme.read_text()
    new = re.sub(COLAB_SLUG, f"colab.research.google.com/github/{repo}/", text)
    new = re.sub(
        r"git clone https://github\.com/[\w.-]+/[\w.-]+?(\.git)?\b",
        f"git clone https://github.com/{repo}",
        new,
    )
    if new != text:
        stale.append(str(readme))
        if not check:
            readme.write_text(new)
    return stale


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", required=True, help="OWNER/NAME on GitHub")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file is stale")
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args()
    changed = stamp(args.repo, sorted(args.notebooks), args.check)
    for name in changed:
        print(("stale: " if args.check else "stamped: ") + name)
    sys.exit(1 if args.check and changed else 0)
