"""Hygiene tests of the committed notebooks: what a reader on GitHub and nbval in CI will meet."""

import ast
import base64
import json
import re
from pathlib import Path

import headers
import nbformat
import pytest
from nbval.plugin import find_comment_markers, find_metadata_tags, get_sanitize_patterns

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# Worked answers to a notebook's exercises, named as the notebook is: notebooks/solutions/NN_slug.ipynb
SOLUTIONS = sorted((ROOT / "notebooks" / "solutions").glob("*.ipynb"))
# What an absolute path on the executing machine looks like: the repository, a virtual environment, a home.
MACHINE_PATHS = [str(ROOT), "site-packages", "/.venv", "/home/", "/root/", "/Users/", "/tmp/", ":\\Users\\"]
REPO = re.search(r"^GITHUB_REPO := (\S+)$", (ROOT / "Makefile").read_text(), re.MULTILINE).group(1)


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def code_cells(path: Path) -> list[nbformat.NotebookNode]:
    return [cell for cell in read(path).cells if cell.cell_type == "code"]


def outputs(path: Path):
    """Yield (code cell index, cell, output) for every output of a notebook."""
    for i, cell in enumerate(code_cells(path)):
        for output in cell.outputs:
            yield i, cell, output


def prose_numbers(text: str, skip_approximate: bool = False) -> set[str]:
    """Return the decimals (78.5) and class pairs (9→4) in a text; with skip_approximate, not 'about 78.5'.

    Decimals with one significant digit (0.8, 0.01) are left out: they match timings and settings by chance.
    """
    found = set()
    for match in re.finditer(r"\d+\.\d+|\d\s*→\s*\d", text):
        if "." in match.group() and len(match.group().replace(".", "").lstrip("0")) < 2:
            continue
        before = text[max(0, match.start() - 12) : match.start()]
        approximate = re.search(r"(about|around|roughly|near|≈|~)\s*[−+-]?$", before, re.IGNORECASE)
        if skip_approximate and approximate:
            continue
        found.add(re.sub(r"\s", "", match.group()))
    return found


def is_assert_call(node: ast.AST) -> bool:
    """A call such as torch.testing.assert_close(...): a check as good as an assert statement."""
    function = node.func if isinstance(node, ast.Call) else None
    name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
    return name.startswith("assert")


def test_notebooks_are_numbered_in_reading_order():
    names = [path.name for path in NOTEBOOKS]
    assert len(names) >= 2
    for number, name in enumerate(names):
        assert re.fullmatch(rf"{number:02d}_[a-z0-9_]+\.ipynb", name), (
            f"{name}: expected {number:02d}_slug.ipynb"
        )


def relative(path: Path) -> str:
    """A notebook's path below notebooks/: '02_cross_entropy.ipynb' or 'solutions/02_cross_entropy.ipynb'."""
    return path.relative_to(ROOT / "notebooks").as_posix()


def exercises_section(path: Path) -> str:
    """The markdown of a notebook's Exercises section, up to the next '## ' heading ('' if it has none)."""
    text = "\n".join(cell.source for cell in read(path).cells if cell.cell_type == "markdown")
    return text.split("## Exercises", 1)[1].split("\n## ", 1)[0] if "## Exercises" in text else ""


def exercises(path: Path) -> list[str]:
    """The numbered items of a notebook's Exercises section, in order: '1. ...' at the start of a line."""
    return re.findall(r"(?m)^(\d+)\. ", exercises_section(path))


@pytest.mark.parametrize("path", NOTEBOOKS + SOLUTIONS, ids=relative)
class TestCommittedNotebook:
    def test_was_executed_top_to_bottom_in_a_fresh_kernel(self, path):
        counts = [cell.execution_count for cell in code_cells(path) if cell.source.strip()]
        assert counts == list(range(1, len(counts) + 1)), "re-execute it with `make run`"

    def test_has_no_errors_except_in_cells_tagged_raises_exception(self, path):
        for i, cell in enumerate(code_cells(path)):
            errors = [output for output in cell.outputs if output.output_type == "error"]
            tagged = "raises-exception" in cell.metadata.get("tags", [])
            assert bool(errors) == tagged, f"code cell {i}: tagged {tagged}, but {len(errors)} error outputs"

    def test_writes_nothing_to_stderr(self, path):
        for i, _, output in outputs(path):
            assert output.get("name") != "stderr", f"code cell {i} writes to stderr: {output.text[:200]!r}"

    def test_prints_no_path_of_the_machine_that_ran_it(self, path):
        # A traceback or warning that names a file shows every GitHub reader a stranger's file system:
        # `%xmode Minimal` before cells that raise keeps an error to its last line.
        for i, _, output in outputs(path):
            text = "".join(output.get("text", "")) + "".join(output.get("traceback", []))
            text += "".join(str(value) for value in output.get("data", {}).values())
            for marker in MACHINE_PATHS:
                assert marker not in text, f"code cell {i} prints a machine path ({marker!r})"

    def test_holds_no_widget_state_or_per_cell_timings(self, path):
        notebook = read(path)
        assert "widgets" not in notebook.metadata
        for i, cell in enumerate(notebook.cells):
            assert "execution" not in cell.metadata, f"cell {i} carries execution timings"
        for i, _, output in outputs(path):
            assert "application/vnd.jupyter.widget-view+json" not in output.get("data", {}), f"code cell {i}"

    def test_shows_no_object_reprs(self, path):
        for i, _, output in outputs(path):
            text = "".join(output.get("data", {}).get("text/plain", "")) + "".join(output.get("text", ""))
            assert not text.startswith("<Figure size"), f"code cell {i}: end the cell with plt.show()"
            assert not re.search(r" at 0x[0-9a-f]+>", text), f"code cell {i} prints a memory address"
            is_figure_result = output.output_type == "execute_result" and "image/png" in output.get(
                "data", {}
            )
            assert not is_figure_result, f"code cell {i} ends in a figure expression: end it with plt.show()"

    def test_stays_small_enough_for_github(self, path):
        assert path.stat().st_size < 1_000_000
        for i, _, output in outputs(path):
            if "image/png" in output.get("data", {}):
                size = len(base64.b64decode(output.data["image/png"]))
                assert size < 150_000, f"code cell {i}: a {size / 1000:.0f} KB figure"

    def test_header_is_stamped_with_this_notebooks_own_badge(self, path):
        header = read(path).cells[0]
        assert header.cell_type == "markdown" and header.source.startswith("# ")
        colab = f"https://colab.research.google.com/github/{REPO}/blob/main/notebooks/{relative(path)}"
        assert f"]({colab})" in header.source

    def test_starts_with_the_shared_setup_cell(self, path):
        setup = code_cells(path)[0].source
        assert setup == code_cells(NOTEBOOKS[0])[0].source, "every notebook starts with the same setup cell"
        assert f'REPO_URL = "https://github.com/{REPO}"' in setup

    def test_detects_colab_only_in_the_setup_cell(self, path):
        for i, cell in enumerate(code_cells(path)[1:], start=1):
            assert "google.colab" not in cell.source and "IN_COLAB" not in cell.source, f"code cell {i}"

    def test_every_ignored_output_is_justified_and_then_asserted(self, path):
        cells = code_cells(path)
        for i, cell in enumerate(cells):
            markers = dict(find_comment_markers(cell.source)) | dict(find_metadata_tags(cell.metadata))
            assert not markers.get("skip"), f"code cell {i}: nbval must run every cell"
            if markers.get("check", True):
                continue  # output compared as usual
            lines = cell.source.splitlines()
            assert "# NBVAL_IGNORE_OUTPUT" in lines, (
                f"code cell {i}: mark ignored output with the comment line"
            )
            following = lines[lines.index("# NBVAL_IGNORE_OUTPUT") + 1 :]
            assert following and following[0].startswith("# Why: "), (
                f"code cell {i}: say why on the next line"
            )
            checked = [cell.source] + ([cells[i + 1].source] if i + 1 < len(cells) else [])
            checked = [re.sub(r"(?m)^%.*$", "pass", source) for source in checked]  # IPython magics
            nodes = [node for source in checked for node in ast.walk(ast.parse(source))]
            asserts = [node for node in nodes if isinstance(node, ast.Assert) or is_assert_call(node)]
            assert asserts, f"code cell {i}: assert the number that matters after ignoring the output"

    def test_prose_quotes_no_number_found_only_in_an_ignored_output(self, path):
        # An ignored output differs on the next machine, so prose may quote its numbers only as "about …";
        # a number that a compared output or the code (an assert's threshold, say) also shows is pinned.
        ignored, pinned = set(), set()
        for cell in code_cells(path):
            markers = dict(find_comment_markers(cell.source)) | dict(find_metadata_tags(cell.metadata))
            printed = "".join(
                "".join(output.get("text", "")) + "".join(output.get("data", {}).get("text/plain", ""))
                for output in cell.outputs
            )
            checked = markers.get("check", True)
            if not checked:  # wall times ("3.5 s") are never quoted, and would match by chance
                printed = re.sub(r"\d+\.\d+ s\b", "", printed)
            (pinned if checked else ignored).update(prose_numbers(printed))
            pinned.update(prose_numbers(cell.source))
        prose = [cell.source for cell in read(path).cells if cell.cell_type == "markdown"]
        unpinned = sorted(set().union(*(prose_numbers(text, skip_approximate=True) for text in prose)))
        unpinned = [number for number in unpinned if number in ignored - pinned]
        assert not unpinned, (
            f"the prose quotes {unpinned}, which only ignored outputs show: say 'about' and assert the "
            "claim's direction, or quote numbers that an assert pins"
        )

    def test_display_math_stands_in_its_own_paragraph(self, path):
        for cell in read(path).cells:
            if cell.cell_type != "markdown":
                continue
            for paragraph in re.split(r"\n\s*\n", cell.source):
                if "$$" in paragraph:
                    assert paragraph.strip().startswith("$$") and paragraph.strip().endswith("$$"), paragraph

    def test_inline_math_keeps_underscores_away_from_markdown(self, path):
        for cell in read(path).cells:
            if cell.cell_type != "markdown":
                continue
            text = re.sub(r"\$\$.*?\$\$", "", cell.source, flags=re.DOTALL)  # display math is safe
            for math in re.findall(r"\$(.+?)\$", text):
                assert not re.search(r"[^\s\\]_", math), (
                    f"write ' _' for a subscript inside inline math: ${math}$"
                )

    def test_is_listed_in_the_readme(self, path):
        readme = (ROOT / "README.md").read_text()
        assert f"(notebooks/{relative(path)})" in readme
        assert f"colab.research.google.com/github/{REPO}/blob/main/notebooks/{relative(path)}" in readme


@pytest.mark.parametrize("path", SOLUTIONS, ids=relative)
def test_solutions_answer_every_exercise_of_their_notebook_in_order(path):
    notebook = ROOT / "notebooks" / path.name
    assert notebook.exists(), f"no notebook {path.name} for these solutions"
    numbers = exercises(notebook)
    assert numbers == [str(k) for k in range(1, len(numbers) + 1)] and numbers, "exercises numbered 1, 2, ..."
    headings = [
        match
        for cell in read(path).cells
        if cell.cell_type == "markdown"
        for match in re.findall(r"(?m)^## Exercise (\d+)$", cell.source)
    ]
    assert headings == numbers, f"expected a '## Exercise k' section for each of {numbers}, found {headings}"
    for cell in read(path).cells:  # each heading restates its exercise in the same cell
        if cell.cell_type == "markdown" and cell.source.startswith("## Exercise "):
            assert len(cell.source.splitlines()) > 2, (
                f"restate the exercise under {cell.source.splitlines()[0]}"
            )


@pytest.mark.parametrize("path", SOLUTIONS, ids=relative)
def test_exercises_link_to_their_solutions(path):
    section = exercises_section(ROOT / "notebooks" / path.name)
    assert f"](solutions/{path.name})" in section, "link the solutions from the Exercises section"
    colab = f"https://colab.research.google.com/github/{REPO}/blob/main/notebooks/solutions/{path.name}"
    assert f"]({colab})" in section, "and give them a Colab badge there"


def test_headers_and_badges_are_up_to_date():
    stale = headers.stamp(REPO, NOTEBOOKS + SOLUTIONS, check=True, readme=ROOT / "README.md")
    assert not stale, f"run `make headers`: {stale}"


def test_sanitize_file_patterns_parse_and_apply():
    text = (ROOT / "tests" / "nbval_sanitize.cfg").read_text()
    patterns = get_sanitize_patterns(text)
    assert len(patterns) == text.count("\nregex: "), "a regex line is not directly followed by 'replace: '"
    samples = {
        "at 0x[0-9a-f]+>": ("<function f at 0x7f3a2b>", "<function f at 0xADDRESS>"),
        r", device='cuda:\d+'": ("tensor([1.], device='cuda:0')", "tensor([1.])"),
    }
    assert {regex for regex, _ in patterns} == set(samples)
    for regex, replace in patterns:
        before, after = samples[regex]
        assert re.sub(regex, replace, before) == after


def test_notebooks_are_valid_json_with_a_python_kernel():
    for path in NOTEBOOKS + SOLUTIONS:
        notebook = json.loads(path.read_text())
        assert notebook["metadata"]["kernelspec"]["name"] == "python3"
        nbformat.validate(nbformat.reads(path.read_text(), as_version=4))


def test_prose_numbers_finds_quoted_results_and_skips_approximate_ones():
    text = "It reaches 78.5 % and confuses 9 → 4; about 97.64 %, ≈ 2.3026, at 0.8 s with lr 0.01."
    assert prose_numbers(text) == {"78.5", "9→4", "97.64", "2.3026"}
    assert prose_numbers(text, skip_approximate=True) == {"78.5", "9→4"}


def test_machine_paths_catch_a_traceback_line_of_a_virtual_environment():
    line = "File /home/me/project/.venv/lib/python3.11/site-packages/torch/nn/functional.py:3561"
    assert [marker for marker in MACHINE_PATHS if marker in line] == ["site-packages", "/.venv", "/home/"]
    assert not [marker for marker in MACHINE_PATHS if marker in "RuntimeError: expected target dtype"]
