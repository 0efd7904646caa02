"""The notebooks in ``notebooks/``: they run, and their committed outputs are current.

Two kinds of test:

* **Quick run.** Every notebook runs top to bottom in quick mode, the environment variable
  ``LOTTERY_NP_QUICK=1``: each notebook then chooses small trial counts and iteration budgets.
  ``LOTTERY_NP_RESULTS`` points the notebooks at an empty folder so they run their quick
  experiments instead of loading results from an earlier CLI run. The notebook is read into
  memory and executed there; the committed file is never written.
* **Committed outputs are current.** The notebooks are committed with the outputs of a real
  run by ``notebooks/execute.py``, which records in every code cell the SHA-256 of the source
  that produced its outputs. A code cell edited afterwards, never executed that way, or whose
  outputs were cleared fails; the fix is ``python notebooks/execute.py <notebook>``.
"""
import importlib.util
import os
from pathlib import Path

import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
# Notebooks committed without outputs while they wait for the results they read (see notebooks/README.md);
# none today. Strict xfail: once one is executed and committed, its test passes unexpectedly and fails
# until it leaves this set.
AWAITING_RESULTS = set()


def load_execute():
    spec = importlib.util.spec_from_file_location("notebook_execute", NOTEBOOK_DIR / "execute.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not NOTEBOOKS, reason="no notebooks yet")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_quick_mode(path, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("LOTTERY_NP_QUICK", "1")
    monkeypatch.setenv("LOTTERY_NP_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    # the kernel imports this checkout's lottery_np, not whichever one pip installed
    repo = str(path.parent.parent)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [repo, os.environ.get("PYTHONPATH")])))
    nb = nbformat.read(path, as_version=4)  # in memory: the committed file is not touched
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellExecutionError naming the failing cell
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors


@pytest.mark.parametrize("path", [
    pytest.param(p, marks=pytest.mark.xfail(p.stem in AWAITING_RESULTS, strict=True,
                                            reason="awaiting a paper-scale results folder to execute against"))
    for p in NOTEBOOKS], ids=[p.stem for p in NOTEBOOKS])
def test_committed_outputs_are_current(path):
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(path, as_version=4)
    problems = load_execute().stale_cells(nb)
    assert not problems, (f"{path.name} is stale; run `python notebooks/execute.py {path.stem}` and commit it:\n  "
                          + "\n  ".join(problems))
    assert nb.metadata.get("lottery_np", {}).get("mode") == "real"


def test_staleness_check_catches_edits_missing_hashes_and_cleared_outputs():
    """The check above must be able to fail: each way of going stale is caught on its own."""
    nbformat = pytest.importorskip("nbformat")
    stale_cells = load_execute().stale_cells
    nb = nbformat.read(NOTEBOOK_DIR / "00_masked_dense_layer.ipynb", as_version=4)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    assert len(code) > 2 and stale_cells(nb) == []

    edited = nbformat.from_dict(nb)
    edited.cells[code[1]].source += "\nprint('one more line')"
    assert len(stale_cells(edited)) == 1 and "edited after" in stale_cells(edited)[0]

    unhashed = nbformat.from_dict(nb)
    del unhashed.cells[code[0]].metadata["lottery_np"]
    assert "no recorded hash" in stale_cells(unhashed)[0]

    cleared = nbformat.from_dict(nb)
    for c in cleared.cells:
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
    assert len(stale_cells(cleared)) == len(code) and all("outputs missing" in p for p in stale_cells(cleared))

    added = nbformat.from_dict(nb)
    added.cells.append(nbformat.v4.new_code_cell("1 + 1"))
    assert len(stale_cells(added)) == 1


def test_every_notebook_ends_with_exercises_whose_solutions_exist():
    nbformat = pytest.importorskip("nbformat")
    for path in NOTEBOOKS:
        last = nbformat.read(path, as_version=4).cells[-1]
        assert last.cell_type == "markdown" and last.source.startswith("## Exercises"), path.name
        solution = f"ex{path.stem[:2]}_{path.stem[3:]}.py"
        assert f"notebooks/solutions/{solution}" in last.source, path.name
        assert (NOTEBOOK_DIR / "solutions" / solution).exists(), solution
        assert "*Hint:*" in last.source, path.name
