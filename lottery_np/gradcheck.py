"""Finite-difference gradient checking, shared by the tests and the notebooks.

Run it in float64: with centered differences and h = 1e-6 the relative error
of a correct gradient is typically below 1e-7; float32 cannot get near that.
"""
import numpy as np


def numerical_gradient(f, x, h=1e-6):
    """∂f/∂x by centered differences, (f(x + h e_i) − f(x − h e_i)) / 2h, for every
    entry of the array ``x`` (changed in place during the call, restored after)."""
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        f_plus = f()
        x[i] = old - h
        f_minus = f()
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def numerical_gradient_array(f, x, dout, h=1e-6):
    """Gradient of the scalar Σ f(x) ⊙ dout with respect to x, for a layer
    function ``f`` returning an array (how a backward pass is checked)."""
    return numerical_gradient(lambda: float(np.sum(f() * dout)), x, h)


def rel_error(a, b):
    """‖a − b‖ / (‖a‖ + ‖b‖) over the whole array (0 for equal arrays).

    Taken over the whole array rather than entry by entry, so that an entry
    that is exactly 0 on one side (a pruned weight's gradient) and 1e-11 of
    rounding noise on the other does not count as a 100% error.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)
