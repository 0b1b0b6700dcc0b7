"""Tests of the maintenance scripts in .ci/: the header stamp, the notebook runner and the benchmark table."""

import contextlib
import io
import json
import shutil
import types
from pathlib import Path

import benchmark
import execute
import headers
import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent


def make_notebook(path, title, setup=""):
    notebook = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}}
    )
    notebook.cells = [
        nbformat.v4.new_markdown_cell(f"# {title}\n\n[![Open In Colab](badge.svg)](https://stale.example)"),
        nbformat.v4.new_code_cell(f'REPO_URL = "https://github.com/old/name"\nx = 1\n{setup}'),
    ]
    nbformat.write(notebook, path)


def test_stamp_writes_badge_links_and_clone_url_and_is_idempotent(tmp_path):
    paths = [tmp_path / "00_first.ipynb", tmp_path / "01_second.ipynb", tmp_path / "02_third.ipynb"]
    for i, path in enumerate(paths):
        make_notebook(path, f"Title {i}")
    readme = tmp_path / "README.md"
    readme.write_text(
        "[b](https://colab.research.google.com/github/old/name/blob/main/notebooks/00_first.ipynb)\n"
    )

    assert headers.stamp("me/repo", paths, check=True, readme=readme) == [*map(str, paths), str(readme)]
    headers.stamp("me/repo", paths, check=False, readme=readme)
    assert headers.stamp("me/repo", paths, check=True, readme=readme) == []  # idempotent

    middle = nbformat.read(paths[1], as_version=4)
    assert middle.cells[0].source.startswith("# Title 1\n")
    assert (
        "colab.research.google.com/github/me/repo/blob/main/notebooks/01_second.ipynb"
        in middle.cells[0].source
    )
    assert "(00_first.ipynb)" in middle.cells[0].source and "(02_third.ipynb)" in middle.cells[0].source
    assert "stale.example" not in middle.cells[0].source
    assert 'REPO_URL = "https://github.com/me/repo"' in middle.cells[1].source
    assert "github/me/repo/blob" in readme.read_text()
    first = nbformat.read(paths[0], as_version=4).cells[0].source
    assert "←" not in first and "01_second.ipynb" in first


def test_stamp_refuses_a_header_cell_with_text_it_would_delete(tmp_path):
    path = tmp_path / "00_first.ipynb"
    make_notebook(path, "Title")
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[0].source = "# Title\n\nTwo sentences of introduction."
    nbformat.write(notebook, path)
    readme = tmp_path / "README.md"
    readme.write_text("")
    with pytest.raises(SystemExit, match="move it to the next cell"):
        headers.stamp("me/repo", [path], check=True, readme=readme)


def test_execute_runs_in_a_fresh_kernel_keeps_tagged_errors_and_drops_timings(tmp_path):
    path = tmp_path / "00_run.ipynb"
    make_notebook(path, "Run", setup="print(x + 1)")
    notebook = nbformat.read(path, as_version=4)
    failing = nbformat.v4.new_code_cell("1 / 0", metadata={"tags": ["raises-exception"]})
    notebook.cells.append(failing)
    notebook.metadata["widgets"] = {"state": {}}
    nbformat.write(notebook, path)

    execute.execute(path)
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == [1, 2]
    assert code[0].outputs[0].text == "2\n"
    assert code[1].outputs[0].ename == "ZeroDivisionError"
    assert "widgets" not in notebook.metadata
    assert "version" not in notebook.metadata.get("language_info", {})
    assert all("execution" not in cell.metadata for cell in notebook.cells)


def test_execute_stops_at_an_untagged_error(tmp_path):
    path = tmp_path / "00_fail.ipynb"
    make_notebook(path, "Fail", setup="1 / 0")
    before = path.read_text()
    try:
        execute.execute(path)
    except Exception as error:  # nbclient's CellExecutionError
        assert "ZeroDivisionError" in str(error)
    else:
        raise AssertionError("an untagged error must stop the run")
    assert path.read_text() == before  # nothing half-executed is written
    shutil.rmtree(tmp_path)


def test_readme_benchmark_table_matches_the_committed_notebooks():
    result = run_benchmark(ROOT, "--check")
    assert result.returncode == 0, f"run `make benchmark`: {result.stderr}"


def make_benchmark_repo(tmp_path, headline="accuracy 97.5 %"):
    (tmp_path / "notebooks").mkdir(parents=True)
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print(...)", metadata={"tags": ["headline"]})
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=headline + "\n")]
    notebook.cells = [cell]
    nbformat.write(notebook, tmp_path / "notebooks" / "00_first.ipynb")
    (tmp_path / "notebooks" / "runtimes.json").write_text(json.dumps({"00_first.ipynb": 12}))
    (tmp_path / "README.md").write_text(f"intro\n{benchmark.START}\nold\n{benchmark.END}\nrest\n")


def run_benchmark(root, *flags):
    """Run .ci/benchmark.py in this process: a new interpreter would spend seconds importing nbformat."""
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        try:
            returncode = benchmark.main(["--root", str(root), *flags])
        except SystemExit as error:  # what the script's errors raise, with the message as the code
            print(error.code, file=stderr)
            returncode = 1
    return types.SimpleNamespace(returncode=returncode, stderr=stderr.getvalue())


def test_benchmark_writes_the_table_and_check_fails_when_a_headline_changes(tmp_path):
    make_benchmark_repo(tmp_path)
    assert run_benchmark(tmp_path, "--check").returncode == 1  # the README holds "old"
    assert run_benchmark(tmp_path).returncode == 0
    readme = (tmp_path / "README.md").read_text()
    assert "| [00_first](notebooks/00_first.ipynb) | 12 s | accuracy 97.5 % |" in readme
    assert "| all 1, one after another | 12 s | |" in readme
    assert readme.startswith("intro\n") and readme.endswith("rest\n")
    assert run_benchmark(tmp_path, "--check").returncode == 0

    notebook_path = tmp_path / "notebooks" / "00_first.ipynb"
    notebook = nbformat.read(notebook_path, as_version=4)
    notebook.cells[0].outputs[0].text = "accuracy 97.4 %\n"  # the notebook's result changed
    nbformat.write(notebook, notebook_path)
    assert run_benchmark(tmp_path, "--check").returncode == 1


def test_benchmark_refuses_a_notebook_without_headline_or_runtime(tmp_path):
    make_benchmark_repo(tmp_path)
    (tmp_path / "notebooks" / "runtimes.json").write_text("{}")
    assert "no runtime" in run_benchmark(tmp_path).stderr
    make_benchmark_repo(tmp_path / "second")
    notebook_path = tmp_path / "second" / "notebooks" / "00_first.ipynb"
    notebook = nbformat.read(notebook_path, as_version=4)
    notebook.cells[0].metadata["tags"] = []
    nbformat.write(notebook, notebook_path)
    assert "one cell tagged 'headline'" in run_benchmark(tmp_path / "second").stderr


def test_execute_check_runs_every_notebook_writes_none_and_fails_on_a_failing_assert(tmp_path, capsys):
    good, bad = tmp_path / "00_good.ipynb", tmp_path / "01_bad.ipynb"
    make_notebook(good, "Good", setup="assert x == 1")
    make_notebook(bad, "Bad", setup="assert x == 2, 'x is not 2'")
    before = {path: path.read_text() for path in (good, bad)}

    assert execute.check([str(bad), str(good)]) == 1  # the failure does not stop the run
    printed = capsys.readouterr().out
    assert f"FAIL  {bad}" in printed and "x is not 2" in printed and f"OK    {good}" in printed
    assert {path: path.read_text() for path in (good, bad)} == before
    assert not (tmp_path / "runtimes.json").exists()


def test_execute_records_each_runtime_in_whole_seconds(tmp_path):
    execute.record(tmp_path / "01_b.ipynb", 12.6)
    execute.record(tmp_path / "00_a.ipynb", 3.2)
    execute.record(tmp_path / "01_b.ipynb", 9.4)  # a re-run replaces the old time
    assert json.loads((tmp_path / "runtimes.json").read_text()) == {"00_a.ipynb": 3, "01_b.ipynb": 9}
