"""exp and log from + − × ÷ alone: the same bits on every CPU.

The loss needs exp (softmax) and log (cross-entropy). The C library's ``exp`` and ``log`` —
which Numba's ``np.exp``/``np.log`` call — are not the same function on every x86-64 CPU:
glibc picks a variant compiled for FMA when the CPU has it, and the two variants differ in the
last bit for some inputs (measured: glibc 2.36, ``GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA``
changes the bits of ``np.log`` in a Numba kernel). A last bit of the softmax changes ∂L/∂logits
and so every weight after it. These two functions use only IEEE-754 operations, each rounded
exactly, in an order fixed by the code (Numba compiles them without ``fastmath``, so LLVM may
neither reorder the sums nor fuse a multiply and an add): their result is the same everywhere.

Both work in float64 and are accurate to a few units in the last place of a float64 (the tests
compare them with NumPy's); ``exp_for`` stops the series earlier when the result is rounded to
float32 anyway (the softmax of a float32 network), which halves the loss's cost.
"""
import math

import numpy as np

from ..jit import njit

LN2_HI = 6.93147180369123816490e-01  # ln 2 split in two: LN2_HI has 32 trailing zero bits, so k · LN2_HI is exact
LN2_LO = 1.90821492927058770002e-10
INV_LN2 = 1.44269504088896338700e+00
INV_FACTORIAL = tuple(1.0 / math.factorial(i) for i in range(14))  # 1/0!, 1/1!, ..., 1/13!, each correctly rounded
POW2 = np.ldexp(1.0, np.arange(-1074, 1024))  # 2**k for every k a float64 can hold, exact


@njit(cache=True)
def exp_terms(x, degree):
    """e**x for a float64 x with a Taylor polynomial of ``degree`` after the range reduction:
    x = k ln 2 + r with k = round(x / ln 2) and |r| ≤ ln 2 / 2; then e**r · 2**k."""
    if x != x:
        return x  # NaN
    if x > 709.8:
        return math.inf
    if x < -745.2:
        return 0.0
    k = int(math.floor(x * INV_LN2 + 0.5))
    r = (x - k * LN2_HI) - k * LN2_LO
    p = INV_FACTORIAL[degree]
    for i in range(degree - 1, -1, -1):
        p = p * r + INV_FACTORIAL[i]  # Horner: (... (p r + 1/2!) r + 1/1!) r + 1/0!
    if k > 1023:
        return (p * 2.0) * POW2[1023 + 1074]
    if k < -1074:
        return (p * 0.5) * POW2[0]
    return p * POW2[k + 1074]


@njit(cache=True)
def exp(x):
    """e**x for a float64 x, to r¹³/13! (the first term left out is below 2e-16 of the sum)."""
    return exp_terms(x, 13)


@njit(cache=True)
def exp_for(x, itemsize):
    """e**x as a float64, accurate enough for a result of ``itemsize`` bytes: float32 (4) to
    r⁸/8! (relative error below 3e-10, far under float32's 6e-8), float64 to r¹³/13!."""
    return exp_terms(x, 8 if itemsize == 4 else 13)


@njit(cache=True)
def log(x):
    """The natural logarithm of a float64 x.

    x = m · 2**e with m in [√½, √2) (``math.frexp``, exact); log m = 2 atanh(f) with
    f = (m − 1)/(m + 1), |f| ≤ 0.172, by its series to f²¹/21 (a term below 2e-17); plus e ln 2."""
    if not x > 0:
        return math.nan if x != 0 else -math.inf  # log 0 = −inf; negative or NaN: NaN
    if x == math.inf:
        return x
    m, e = math.frexp(x)  # x = m 2**e, m in [0.5, 1)
    if m < 0.7071067811865476:
        m, e = 2.0 * m, e - 1
    f = (m - 1.0) / (m + 1.0)
    f2 = f * f
    s = 1.0 / 21.0
    for k in (19.0, 17.0, 15.0, 13.0, 11.0, 9.0, 7.0, 5.0, 3.0, 1.0):
        s = s * f2 + 1.0 / k  # Horner in f²: 1 + f²/3 + f⁴/5 + ... + f²⁰/21
    return (2.0 * f * s + e * LN2_LO) + e * LN2_HI
