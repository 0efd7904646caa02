"""Sparse (survivors-only) kernels against their NumPy twins and the dense kernels, and the
sparse and auto backends against the reference inside a whole network."""
import numpy as np
import pytest

from conftest import SHAPES, random_mask
from lottery_np import MLP, Optimizer
from lottery_np.gradcheck import numerical_gradient, rel_error
from lottery_np.errors import ConfigError
from lottery_np.fast_layers import SPARSE_BELOW, TWINS, dense_forward_sparse, dense_twins, resolve_backend
from lottery_np.kernels import KERNELS
from lottery_np.sparse import SPARSE_KERNELS, layout_from_mask, to_dense

DENSITIES = [0.0, 0.02, 0.3, 1.0]
TOL = {np.float32: dict(rtol=2e-4, atol=2e-5), np.float64: dict(rtol=1e-10, atol=1e-12)}


def inputs(rng, n, d, m, density, dtype):
    x = rng.standard_normal((n, d)).astype(dtype)
    x[rng.random((n, d)) < 0.3] = 0
    mask = random_mask(rng, (d, m), density, dtype)
    if d > 2 and m > 2:
        mask[1, :] = 0  # an empty row (an input with no connection left)
        mask[:, 1] = 0  # an empty column (a unit with no input left)
    w = rng.standard_normal((d, m)).astype(dtype) * mask
    dy = rng.standard_normal((n, m)).astype(dtype)
    return x, w, mask, dy


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("density", DENSITIES)
@pytest.mark.parametrize("shape", SHAPES)
def test_sparse_kernels_match_numpy_twins_and_dense_kernels(rng, shape, density, dtype):
    x, w, m, dy = inputs(rng, *shape, density, dtype)
    lay = layout_from_mask(m)
    values = w.reshape(-1)[lay.flat]
    args = {"matmul": (x, values), "matmul_t": (dy, values), "weight_grad": (x, dy)}
    dense = {"matmul": KERNELS["numpy"]["masked_matmul"](x, w, m),
             "matmul_t": KERNELS["numpy"]["masked_matmul_t"](dy, w, m),
             "weight_grad": KERNELS["numpy"]["masked_weight_grad"](x, dy, m).reshape(-1)[lay.flat]}
    for name, a in args.items():
        want = SPARSE_KERNELS["numpy"][name](*a, lay.indptr, lay.cols, lay.shape)
        got = SPARSE_KERNELS["numba"][name](*a, lay.indptr, lay.cols, lay.shape)
        assert got.shape == want.shape and got.dtype == want.dtype, name
        np.testing.assert_allclose(got, want, **TOL[dtype], err_msg=name)
        np.testing.assert_allclose(want, dense[name], **TOL[dtype], err_msg=name)


def test_layout_round_trip(rng):
    m = random_mask(rng, (9, 7), 0.3)
    lay = layout_from_mask(m)
    assert lay.nnz == m.sum() and lay.density == pytest.approx(m.mean())
    np.testing.assert_array_equal(to_dense(np.ones(lay.nnz), lay), m)
    np.testing.assert_array_equal(lay.rows() * 7 + lay.cols, lay.flat)
    empty = layout_from_mask(np.zeros((4, 3)))
    assert empty.nnz == 0 and list(empty.indptr) == [0] * 5


def masked_net(rng, backend, dtype=np.float64, densities=(0.1, 0.5, 1.0)):
    sizes = (12, 9, 7, 4)
    ws = [rng.standard_normal((a, b)).astype(dtype) * 0.5 for a, b in zip(sizes, sizes[1:])]
    bs = [rng.standard_normal(b).astype(dtype) * 0.1 for b in sizes[1:]]
    ms = [random_mask(rng, w.shape, dd, dtype) for w, dd in zip(ws, densities)]
    return MLP(ws, bs, ms, backend=backend)


@pytest.mark.parametrize("backend", ["sparse", "auto"])
def test_sparse_backends_give_the_reference_loss_and_gradients(backend):
    x = np.random.default_rng(1).standard_normal((6, 12))
    y = np.array([0, 1, 2, 3, 1, 0])
    ref = masked_net(np.random.default_rng(0), "numpy")
    net = masked_net(np.random.default_rng(0), backend)
    (l0, g0), (l1, g1) = ref.loss_and_grads(x, y), net.loss_and_grads(x, y)
    assert l1 == pytest.approx(l0, rel=1e-12)
    for (dw0, db0), (dw1, db1) in zip(g0, g1):
        np.testing.assert_allclose(dw1, dw0, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(db1, db0, rtol=1e-10, atol=1e-12)


def test_whole_sparse_network_passes_a_finite_difference_check():
    rng = np.random.default_rng(3)
    net = masked_net(rng, "sparse")
    x, y = rng.standard_normal((5, 12)), np.array([0, 3, 2, 1, 1])
    _, grads = net.loss_and_grads(x, y)
    for i, w in enumerate(net.weights):
        num = numerical_gradient(lambda: net.loss_and_grads(x, y)[0], w)  # 0 at pruned entries: unused
        assert rel_error(grads[i][0], num) < 1e-7


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_sparse_training_keeps_pruned_weights_at_zero_and_matches_reference(optimizer):
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((20, 12)), rng.integers(0, 4, 20)
    nets = {b: masked_net(np.random.default_rng(7), b) for b in ("numpy", "sparse")}
    for b, net in nets.items():
        opt = Optimizer(optimizer, lr=0.05)
        for _ in range(25):
            opt.step(net, net.loss_and_grads(x, y)[1])
    for w, m in zip(nets["sparse"].weights, nets["sparse"].masks):
        assert np.all(w[m == 0] == 0)
    for a, b in zip(nets["numpy"].weights, nets["sparse"].weights):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-11)


def test_auto_goes_sparse_with_the_largest_layer_and_layouts_change_only_with_masks(rng):
    big, small = np.ones((300, 100)), np.ones((100, 10))
    thin = (rng.random((300, 100)) < SPARSE_BELOW / 2).astype(float)
    assert resolve_backend("auto", [thin, small]) == "sparse" and resolve_backend("auto", [big, small]) == "numpy"
    assert resolve_backend("numba", [thin, small]) == "numba"
    with pytest.raises(ConfigError, match="unknown backend 'cuda'; choose one of numpy, numba, sparse, auto"):
        dense_twins("cuda", [small])
    net = masked_net(rng, "auto", densities=(SPARSE_BELOW / 3, 1.0, 1.0))
    assert all(forward.func is dense_forward_sparse for forward, _ in net.dense)  # one choice for every layer
    first = net.dense[0][0].keywords["layout"]
    np.testing.assert_array_equal(to_dense(np.ones(first.nnz), first), net.masks[0])
    x, y = rng.standard_normal((4, 12)), np.array([0, 1, 2, 3])
    Optimizer("sgd", lr=0.1).step(net, net.loss_and_grads(x, y)[1])
    assert net.dense[0][0].keywords["layout"] is first  # not rebuilt by a training step
    for (dw, _), w in zip(net.loss_and_grads(x, y)[1], net.weights):
        assert type(dw) is np.ndarray and dw.shape == w.shape  # the optimizer gets plain arrays
    net.set_masks([np.ones_like(m) for m in net.masks])
    assert net.dense == [TWINS["numpy"]] * 3
