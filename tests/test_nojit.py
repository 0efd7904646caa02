"""The fast checks again with NUMBA_DISABLE_JIT=1: the Numba kernels run as plain Python,
so their loops are checked as written (and the suite works where Numba cannot compile)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

# The engine's float64 step against the readable path in every layout and case, divergence and the
# unsupported settings (the float32 trainings of test_engine.py take about 7 minutes without the JIT).
ENGINE = ["tests/test_engine.py", "-k", "float64 or divergence or unsupported or sparse_rows"]
FAST = ["tests/test_kernels.py", "tests/test_sparse.py", "tests/test_layers.py", "tests/test_network.py", "tests/test_optim.py",
        "tests/test_pruning.py", "tests/test_train.py"]
# The same files as one run had them, in parts of about equal length, so that the parts run on several
# cores at once (pytest-xdist); every file of FAST is in one part.
PARTS = {"kernels": FAST[:2], "layers, network, optimizer, pruning, training": FAST[2:], "engine": ENGINE}


def test_the_parts_are_the_whole_fast_subset():
    assert sorted(f for part in PARTS.values() for f in part if f.endswith(".py")) == sorted(FAST + ENGINE[:1])


@pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="already running without the JIT")
@pytest.mark.parametrize("part", PARTS)
def test_fast_subset_passes_without_jit(part):
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    # -n 0: one process, as before; the suite around it already keeps the cores busy
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-n", "0", *PARTS[part]],
                          cwd=root, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout
