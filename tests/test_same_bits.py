"""The same training gives the same bits whatever the CPU-dependent choices of the machine.

The engine's promise (``lottery_np/engine/__init__.py``, "The same bits on every x86-64 CPU"):
no BLAS, no libm, no ``fastmath``, every sum in an order fixed by the code. This test runs the
same short trainings of LeNet-300-100 — at 100%, 21% and 3.6% of the weights, so that every
kernel runs (layers RRC, RCC and CCC) — in fresh processes under settings that change what a
CPU-dependent engine would compute:

* ``OPENBLAS_CORETYPE=Haswell`` and ``=Sandybridge``: OpenBLAS's kernels for AVX2+FMA and for AVX
  (what the old engine's hidden layers and evaluation used: 3 different weight hashes);
* ``NUMBA_CPU_NAME=generic``: Numba compiles for x86-64 without AVX or FMA (SSE2 vectors). Numba
  keys cached code by target (triple, CPU name, features), so a kernel cached for the host is never
  loaded here; this setting still gets a cache directory of its own (kept in the temporary
  directory between runs, so that only the first run pays the compilation), because two processes
  writing one cache at once could mix their entries;
* ``GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA``: the C library's exp and log as on a CPU without
  FMA (their last bits differ from the FMA variants glibc picks on this CPU).

Each process reports that its setting took effect (OpenBLAS's core type by threadpoolctl, Numba's
target by the registers of a probe kernel, glibc's log by its bits) and the trainings' weight
hashes, every loss and the convergence iteration; all must be identical.
"""
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

RUN = r'''
import hashlib, json, math, re, sys
import numpy as np, numba
from numba import njit
import lottery_np as lt
from lottery_np.data import Dataset
from lottery_np.train import TrainConfig

report = {"numba_cpu": numba.config.CPU_NAME}
try:
    from threadpoolctl import threadpool_info
    report["openblas"] = sorted({str(i.get("architecture")) for i in threadpool_info() if i.get("internal_api") == "openblas"})
except ImportError:
    report["openblas"] = None

@njit
def probe(a, b):  # compiled here, for this process's target: its vector registers tell which
    for i in range(a.size):
        a[i] += 2 * b[i]
probe(np.zeros(64), np.ones(64))
asm = probe.inspect_asm(probe.signatures[0])
report["vectors"] = "zmm" if "%zmm" in asm else "ymm" if "%ymm" in asm else "xmm"

@njit
def libm(x):  # the C library's log and exp, as Numba's np.log and np.exp call them
    out = np.empty((2, x.size))
    for i in range(x.size):
        out[0, i], out[1, i] = np.log(x[i]), np.exp(-x[i])
    return out
report["libm"] = hashlib.sha256(libm(np.random.default_rng(0).random(1_000_000) * 10 + 1e-3).tobytes()).hexdigest()

# A learnable MNIST-like task: 10 sparse prototypes over 784 inputs, noisy, about 20% nonzero.
rng = np.random.default_rng(0)
centers = rng.random((10, 784)) * (rng.random((10, 784)) < 0.25)
def part(k):
    y = rng.integers(0, 10, k)
    x = np.clip(centers[y] + 0.4 * rng.standard_normal((k, 784)), 0, 1) * (rng.random((k, 784)) < 0.8)
    return x.astype(np.float32), y
data = Dataset(*part(1200), *part(300), *part(300))
trainings = {}
for f in (1.0, 0.21, 0.036):
    k = math.log(f) / math.log(0.8)  # rounds of 20% (output layer 10%) pruning that leave f of the weights
    net = lt.MLP.initialize((784, 300, 100, 10), seed=0)
    mrng = np.random.default_rng(1)
    net.set_masks([(mrng.random(w.shape) < p).astype(np.float32) for w, p in zip(net.weights, (0.8 ** k, 0.8 ** k, 0.9 ** k))])
    h = lt.train_fused(net, data, TrainConfig(iterations=300, eval_every=50, record_test_curve=True), seed=0)
    trainings[str(f)] = {"weights": hashlib.sha256(b"".join(a.tobytes() for a in net.weights + net.biases)).hexdigest(),
                         "modes": "".join("RC"[m] for m in lt.engine.pack(net).modes),
                         "train_loss": [v.hex() for v in h.train_loss], "val_loss": [v.hex() for v in h.val_loss],
                         "test_acc": h.test_acc, "convergence_iteration": h.convergence_iteration}
report["trainings"] = trainings
print(json.dumps(report))
'''

SETTINGS = {  # name: environment added to the default one
    "default": {},
    "OpenBLAS Haswell": {"OPENBLAS_CORETYPE": "Haswell"},
    "OpenBLAS Sandybridge": {"OPENBLAS_CORETYPE": "Sandybridge"},
    "Numba generic": {"NUMBA_CPU_NAME": "generic"},
    "glibc without FMA": {"GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX2,-FMA"},
}


def run(extra, cache_dir):
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES",
                                                            "GLIBC_TUNABLES", "NUMBA_DISABLE_JIT")}
    env.update(extra, PYTHONPATH=os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    if cache_dir:
        env["NUMBA_CACHE_DIR"] = str(cache_dir)
    done = subprocess.run([sys.executable, "-c", RUN], capture_output=True, text=True, env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


COMPILED = pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="compiled kernels only")


@pytest.fixture(scope="module")
def default_run():
    """The trainings in this machine's own setting (which fills, or reads, the usual Numba cache)."""
    return run(SETTINGS["default"], None)


@COMPILED
def test_the_engine_trains_to_the_bits_of_the_paper_scale_run(default_run):
    """The bits of the engine that trains the paper-scale run in docs/ (code 7de5d0a): `lottery-np recheck`
    gives its trainings again on any CPU only while the engine's sums stay as they are."""
    assert {f: t["weights"] for f, t in default_run["trainings"].items()} == ENGINE_BITS, (
        "the engine trains to other bits than the one of the paper-scale run (or NumPy's random streams "
        "changed): its committed trainings would no longer recheck bit for bit; keep the engine's sums as they are, "
        "or train the paper's scale again and pin the new hashes here")


ENGINE_BITS = {  # sha256 of the weights and biases after the 300 iterations of RUN, made by code 7de5d0a
    "1.0": "2b673a41c944a42f0050fc0c19788d33936d2d6d71953d140ce30f0adf69d90d",
    "0.21": "f7233326b0f4f107cac3a6801bc48475d334e8e48ce42f7b8c4e9db63263978d",
    "0.036": "de9647f0dcdf1043beb3946255042a18362cf62b2e252c2197b3a2199db03e9b",
}


@COMPILED
def test_same_bits_under_every_blas_kernel_numba_target_and_libm(default_run):
    pytest.importorskip("threadpoolctl")  # to see OpenBLAS's core type
    # the generic target compiles into a cache of its own; the other settings read the usual one, which the
    # default run has filled
    generic_cache = Path(tempfile.gettempdir()) / f"lottery_np-numba-generic-{os.getuid()}"
    default = default_run
    with ThreadPoolExecutor(2) as pool:
        generic = pool.submit(run, SETTINGS["Numba generic"], generic_cache)
        others = {name: pool.submit(run, env, None) for name, env in SETTINGS.items()
                  if name not in ("default", "Numba generic")}
        got = {"default": default, "Numba generic": generic.result(), **{k: f.result() for k, f in others.items()}}

    # each setting took effect
    assert got["OpenBLAS Haswell"]["openblas"] == ["Haswell"], got["OpenBLAS Haswell"]["openblas"]
    assert got["OpenBLAS Sandybridge"]["openblas"] == ["Sandybridge"], got["OpenBLAS Sandybridge"]["openblas"]
    assert got["Numba generic"]["numba_cpu"] == "generic" and got["Numba generic"]["vectors"] == "xmm"
    if default["vectors"] != "xmm":  # a host with AVX: the generic run really compiled for another target
        assert default["vectors"] != got["Numba generic"]["vectors"]
    if default["vectors"] in ("ymm", "zmm") and default["libm"] == got["glibc without FMA"]["libm"]:
        pytest.fail("GLIBC_TUNABLES did not change glibc's exp and log on this FMA machine: the libm setting was not tested")

    # the first and the hidden layer ran both paths (the output layer always runs COLS), and every setting
    # trained to the same bits
    modes = [t["modes"] for t in default["trainings"].values()]
    assert {m[0] for m in modes} == {m[1] for m in modes} == {"R", "C"}, modes
    full = default["trainings"]["1.0"]
    assert float.fromhex(full["val_loss"][-1]) < float.fromhex(full["val_loss"][0]) - 0.5  # it learned something
    for name, r in got.items():
        assert r["trainings"] == default["trainings"], f"{name} trained to other bits than the default setting"


@COMPILED
def test_a_committed_paper_scale_training_trains_again_to_its_committed_numbers_here(record_property):
    """One training of the committed paper-scale run (docs/paper-scale, code 7de5d0a, made on an AMD EPYC
    Zen 4), trained again from what its compact folder keeps on whatever CPU runs this suite: an iterative
    ticket at round 18 of the smallest network of the size sweep (50,000 iterations, about 10 s). Its
    convergence iteration, test accuracy and minimum validation loss must be the committed ones exactly; the
    suite's summary names the CPU (``conftest.pytest_terminal_summary``), so every run of the suite on
    another CPU model is a recheck of the committed run on that model."""
    from lottery_np.paper.recheck import recheck, table
    from lottery_np.paper.report import cpu_of
    from lottery_np.paper.reproduce import machine
    folder = ROOT / "docs" / "paper-scale" / "sweep-size" / "iterative-100-33"
    (row,) = recheck(folder, ["ticket-t0-l18"], jobs=1, log=lambda *a: None)  # writes nothing
    said = table([row])  # what `lottery-np recheck` prints: the row, and "1 of 1 the same as committed, bit for bit"
    record_property("paper_scale_recheck", f"sweep-size/iterative-100-33 ticket-t0-l18 on {cpu_of(machine())}: "
                    + said.splitlines()[-1])
    assert row["now"] == row["committed"], (
        "a committed paper-scale training trains to other numbers on this CPU: the engine's sums are not the "
        f"ones that made the run (or a package version differs).\n{said}")
