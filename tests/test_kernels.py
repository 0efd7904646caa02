"""Every Numba kernel against its NumPy twin (the reference that reads like the math)."""
import numpy as np
import pytest

from lottery_np.kernels import KERNELS
from conftest import SHAPES, random_mask

DENSITIES = [0.0, 0.05, 0.5, 1.0]
TOL = {np.float32: dict(rtol=2e-4, atol=2e-5), np.float64: dict(rtol=1e-10, atol=1e-12)}


def inputs(rng, n, d, m, density, dtype):
    x = rng.standard_normal((n, d)).astype(dtype)
    x[rng.random((n, d)) < 0.3] = 0  # zeros, as ReLU outputs and MNIST pixels have
    w = rng.standard_normal((d, m)).astype(dtype)
    mask = random_mask(rng, (d, m), density, dtype)
    dy = rng.standard_normal((n, m)).astype(dtype)
    return x, w, mask, dy


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("density", DENSITIES)
@pytest.mark.parametrize("shape", SHAPES)
def test_numba_kernels_match_numpy(rng, shape, density, dtype):
    x, w, m, dy = inputs(rng, *shape, density, dtype)
    ref, fast = KERNELS["numpy"], KERNELS["numba"]
    cases = {
        "masked_matmul": (x, w, m),
        "masked_matmul_t": (dy, w, m),
        "masked_weight_grad": (x, dy, m),
    }
    for name, args in cases.items():
        want, got = ref[name](*args), fast[name](*args)
        assert got.shape == want.shape and got.dtype == want.dtype, name
        np.testing.assert_allclose(got, want, **TOL[dtype], err_msg=name)


def test_weight_grad_is_exactly_zero_where_masked(rng):
    x, w, m, dy = inputs(rng, 9, 12, 6, 0.4, np.float32)
    for backend in KERNELS:
        dw = KERNELS[backend]["masked_weight_grad"](x, dy, m)
        assert np.all(dw[m == 0] == 0), backend


def test_all_zero_mask_gives_zero_products(rng):
    x, w, m, dy = inputs(rng, 4, 6, 3, 0.0, np.float64)
    for backend in KERNELS:
        k = KERNELS[backend]
        assert not k["masked_matmul"](x, w, m).any()
        assert not k["masked_matmul_t"](dy, w, m).any()
        assert not k["masked_weight_grad"](x, dy, m).any()


def test_numpy_reference_is_the_math(rng):
    """The reference equals the textbook expressions written out entry by entry."""
    x, w, m, dy = inputs(rng, 2, 3, 2, 0.5, np.float64)
    k = KERNELS["numpy"]
    y = np.array([[sum(x[n, d] * w[d, j] * m[d, j] for d in range(3)) for j in range(2)] for n in range(2)])
    np.testing.assert_allclose(k["masked_matmul"](x, w, m), y)
    dw = np.array([[m[d, j] * sum(x[n, d] * dy[n, j] for n in range(2)) for j in range(2)] for d in range(3)])
    np.testing.assert_allclose(k["masked_weight_grad"](x, dy, m), dw)


def test_the_backend_names_are_those_of_fast_layers():
    """One home: ``fast_layers.BACKENDS`` (``lottery_np.BACKENDS`` hands it on)."""
    import lottery_np
    from lottery_np.fast_layers import BACKENDS
    assert lottery_np.BACKENDS is BACKENDS and BACKENDS == ("numpy", "numba", "sparse", "auto")
