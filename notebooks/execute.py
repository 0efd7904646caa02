"""Execute notebooks in place, for real, and record what produced their outputs.

    python notebooks/execute.py                      # every notebook, in reading order
    python notebooks/execute.py 00 01_xor            # some of them, by name or number prefix
    LOTTERY_NP_RESULTS=/path/to/results python notebooks/execute.py 02 03 04 05

The committed notebooks carry the outputs of a real run (not the test suite's quick
mode), so a student sees figures and numbers without running anything. To keep those
outputs honest, every code cell gets, in its metadata, the SHA-256 of the source that
produced them and the number of outputs it gave::

    cell.metadata["lottery_np"] = {"source_sha256": "…", "n_outputs": 3}

``tests/test_notebooks.py`` recomputes the hashes: a cell edited after the notebook was
executed (or never executed, or whose outputs were cleared) fails the test, and the fix
is to run this script on that notebook again.

Notebooks 02–05 read results from ``$LOTTERY_NP_RESULTS`` (default ``results/`` at the
top of the checkout); when a folder they look for is missing they run a smaller
experiment there instead, which takes long. Quick mode (``LOTTERY_NP_QUICK=1``) is
refused here: quick outputs are for the test suite, not for the committed notebooks.
"""
import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent
CHECKOUT = NOTEBOOKS.parent


def source_sha256(cell):
    """The hash recorded for a code cell: SHA-256 of its source text, UTF-8."""
    return hashlib.sha256(cell.source.encode("utf-8")).hexdigest()


def stale_cells(nb):
    """Problems that make a notebook's outputs untrustworthy, one string per code cell
    (an empty list means every code cell's outputs came from its current source)."""
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        recorded = cell.metadata.get("lottery_np", {})
        first = cell.source.strip().splitlines()[0][:60] if cell.source.strip() else "(empty)"
        where = f"cell {i} ({first!r})"
        if "source_sha256" not in recorded:
            problems.append(f"{where}: no recorded hash; it was never executed by notebooks/execute.py")
        elif recorded["source_sha256"] != source_sha256(cell):
            problems.append(f"{where}: edited after it was executed")
        elif cell.get("execution_count") is None or len(cell.get("outputs", [])) != recorded.get("n_outputs"):
            problems.append(f"{where}: outputs missing (cleared or stripped after execution)")
        elif any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            problems.append(f"{where}: its recorded outputs contain an error")
    return problems


def find(names):
    """Notebook paths for names like ``00``, ``01_xor`` or ``01_xor.ipynb``; all when empty."""
    every = sorted(NOTEBOOKS.glob("*.ipynb"))
    if not names:
        return every
    chosen = []
    for name in names:
        stem = Path(name).stem
        hits = [p for p in every if p.stem == stem or p.stem.startswith(stem + "_")]
        if len(hits) != 1:
            raise SystemExit(f"{name!r} matches {len(hits)} notebooks; choose from {', '.join(p.stem for p in every)}")
        chosen += hits
    return chosen


def execute(path, timeout=None):
    """Run one notebook top to bottom in a fresh kernel and write it back with hashes."""
    import nbclient
    import nbformat

    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                                     resources={"metadata": {"path": str(path.parent)}})
    start = time.time()
    client.execute()  # raises CellExecutionError, naming the cell; the file is then left as it was
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.metadata["lottery_np"] = {"source_sha256": source_sha256(cell), "n_outputs": len(cell.outputs)}
    nb.metadata["lottery_np"] = {"mode": "real", "seconds": round(time.time() - start)}
    problems = stale_cells(nb)
    if problems:
        raise SystemExit(f"{path.name}: " + "; ".join(problems))
    tmp = path.with_suffix(".ipynb.tmp")
    nbformat.write(nb, tmp)
    os.replace(tmp, path)  # never a half-written notebook
    return nb.metadata["lottery_np"]["seconds"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="notebooks to run (default: all), e.g. 00 01_xor")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per cell (default: no limit)")
    args = parser.parse_args(argv)
    if os.environ.get("LOTTERY_NP_QUICK") == "1":
        raise SystemExit("LOTTERY_NP_QUICK=1 is set: committed notebooks carry real outputs; unset it")
    # the kernel imports this checkout's lottery_np, figures go inline (not to a file backend)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CHECKOUT), os.environ.get("PYTHONPATH")]))
    os.environ.pop("MPLBACKEND", None)
    if os.environ.get("LOTTERY_NP_RESULTS"):  # the kernel's working directory is notebooks/
        results = Path(os.environ["LOTTERY_NP_RESULTS"]).resolve()
        inside = results.is_relative_to(CHECKOUT)  # then relative, so the outputs name no machine's folders
        os.environ["LOTTERY_NP_RESULTS"] = os.path.relpath(results, NOTEBOOKS) if inside else str(results)
    for path in find(args.names):
        print(f"{path.name} ...", end=" ", flush=True)
        print(f"{execute(path, args.timeout)} s")


if __name__ == "__main__":
    sys.exit(main())
