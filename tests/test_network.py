import numpy as np
import pytest

from conftest import random_mask
from lottery_np import MLP, MaskError, ShapeError, ConfigError, init_weights
from lottery_np.fast_layers import TWINS, dense_forward_sparse


def test_initialize_draws_from_n0_std(rng):
    net = MLP.initialize((784, 300, 100, 10), seed=0)
    assert net.sizes == (784, 300, 100, 10) and net.dtype == np.float32
    w = net.weights[0]
    assert abs(w.mean()) < 1e-3 and w.std() == pytest.approx(0.1, rel=0.01)
    assert all(not b.any() for b in net.biases)
    g, _ = init_weights((300, 100), seed=0, init="glorot_normal")
    assert g[0].std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)


def test_same_seed_same_weights_and_generator_accepted():
    a = MLP.initialize((5, 4, 3), seed=7)
    b = MLP.initialize((5, 4, 3), seed=np.random.default_rng(7))
    c = MLP.initialize((5, 4, 3), seed=8)
    assert all(np.array_equal(x, y) for x, y in zip(a.weights, b.weights))
    assert not np.array_equal(a.weights[0], c.weights[0])


def test_weights_biases_masks_from_arrays_and_pruned_weights_zeroed():
    w = [np.ones((2, 3)), np.ones((3, 1))]
    b = [np.zeros(3), np.zeros(1)]
    m = [np.array([[1, 0, 1], [0, 1, 1]]), np.array([[1], [1], [0]])]
    net = MLP(w, b, m, loss="sigmoid_binary_cross_entropy")
    assert net.weights[0].tolist() == [[1, 0, 1], [0, 1, 1]]
    assert w[0].sum() == 6  # the caller's array is untouched
    assert net.n_remaining() == [4, 2] and net.fraction_remaining() == pytest.approx(6 / 9)
    # forward by hand: x=[1,2] -> hidden relu([1, 2, 3]) -> output 1 + 2 = 3
    logits, _ = net.forward(np.array([[1.0, 2.0]]))
    assert logits.tolist() == [[3.0]]


@pytest.mark.parametrize("bad,msg", [
    ([np.ones((4, 3)), np.ones((3, 2))], "mask 0 has shape \\(4, 3\\) but weight 0 has shape \\(5, 3\\)"),
    ([np.ones((5, 3)), np.full((3, 2), 0.5)], "mask 1 holds values other than 0 and 1"),
    ([np.ones((5, 3))], "got 1 masks for 2 layers"),
])
def test_bad_masks_are_clear_errors(bad, msg):
    net = MLP.initialize((5, 3, 2), seed=0)
    with pytest.raises(MaskError, match=msg):
        net.set_masks(bad)


def test_bad_shapes_and_settings_are_clear_errors():
    with pytest.raises(ShapeError, match="layer 1 takes 4 inputs but layer 0 gives 3"):
        MLP([np.ones((2, 3)), np.ones((4, 1))], [np.zeros(3), np.zeros(1)])
    with pytest.raises(ShapeError, match="inputs must be \\(batch, 5\\); got \\(2, 4\\)"):
        MLP.initialize((5, 3, 2), seed=0).evaluate(np.ones((2, 4)), np.zeros(2, int))
    with pytest.raises(ConfigError, match="unknown backend 'gpu'"):
        MLP.initialize((5, 3, 2), seed=0, backend="gpu")
    with pytest.raises(ConfigError, match="sizes must be two or more positive integers"):
        MLP.initialize((5,), seed=0)


def test_state_round_trip(rng):
    net = MLP.initialize((6, 5, 3), seed=1)
    net.set_masks([(rng.random(w.shape) < 0.5) for w in net.weights])
    back = MLP.from_state(net.state())
    for a, b in zip(net.state().values(), back.state().values()):
        assert np.array_equal(a, b)


def test_backends_give_the_same_forward(rng):
    a = MLP.initialize((20, 10, 4), seed=3, dtype=np.float64)
    b = MLP(a.weights, a.biases, a.masks, backend="numba")
    x = rng.standard_normal((9, 20))
    np.testing.assert_allclose(a.forward(x)[0], b.forward(x)[0], rtol=1e-10)


@pytest.mark.parametrize("backend", ["numba", "sparse", "auto"])
def test_every_backend_gives_the_reference_forward_and_gradients(rng, backend):
    """The same network with each backend's kernels, float64: logits, loss and every gradient
    within rounding of backend="numpy" (layers.py); the reference's gradients are not rounded."""
    ref = MLP.initialize((20, 10, 6, 4), seed=3, dtype=np.float64)
    ref.set_masks([random_mask(rng, w.shape, dd) for w, dd in zip(ref.weights, (0.02, 0.5, 1.0))])
    net = MLP(ref.weights, ref.biases, ref.masks, backend=backend)
    x, y = rng.standard_normal((9, 20)), rng.integers(0, 4, 9)
    np.testing.assert_allclose(net.forward(x)[0], ref.forward(x)[0], rtol=1e-10)
    (l0, g0), (l1, g1) = ref.loss_and_grads(x, y), net.loss_and_grads(x, y)
    assert l1 == pytest.approx(l0, rel=1e-12)
    for (dw0, db0), (dw1, db1), m in zip(g0, g1, net.masks):
        np.testing.assert_allclose(dw1, dw0, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(db1, db0, rtol=1e-10, atol=1e-12)
        assert np.all(dw1[m == 0] == 0)


def test_the_kernels_follow_the_masks():
    """The layers' kernels are derived from backend and masks: set_masks picks them again."""
    net = MLP.initialize((30, 20, 3), seed=0, backend="auto")
    assert net.dense == [TWINS["numpy"]] * 2
    net.set_masks([np.eye(30, 20), np.ones((20, 3))])  # the largest layer keeps 20 of 600
    assert [forward.func for forward, _ in net.dense] == [dense_forward_sparse] * 2
    assert net.copy().dense[0][0].keywords["layout"].nnz == 20


def test_the_package_lists_its_public_names():
    """help(lottery_np) shows what __all__ lists: every name in it exists, and every public
    function or class the package imports is in it (modules are listed by help on their own)."""
    import pydoc
    import types
    import lottery_np
    public = {n for n in dir(lottery_np) if not n.startswith("_")
              and not isinstance(getattr(lottery_np, n), types.ModuleType)}
    assert set(lottery_np.__all__) == public
    assert len(lottery_np.__all__) == len(set(lottery_np.__all__))
    lines = pydoc.render_doc(lottery_np, renderer=pydoc.plaintext).splitlines()
    for name in ("dense_forward", "train", "prune_by_magnitude"):  # without __all__, help lists none of them
        assert any(line.startswith(f"    {name}(") for line in lines), name
    for name in ("MLP", "ConfigError"):
        assert any(line.startswith(f"    class {name}(") for line in lines), name
