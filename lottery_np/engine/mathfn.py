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
compare them with NumPy's), well below what a float32 training can see.
"""
import math

from numba import njit

LN2_HI = 6.93147180369123816490e-01  # ln 2 split in two: LN2_HI has 32 trailing zero bits, so k · LN2_HI is exact
LN2_LO = 1.90821492927058770002e-10
INV_LN2 = 1.44269504088896338700e+00


@njit(cache=True)
def exp(x):
    """e**x for a float64 x.

    x = k ln 2 + r with k = round(x / ln 2) and |r| ≤ ln 2 / 2; e**r by its Taylor series to
    r¹³/13! (a term below 2e-16 of the sum), then scaled by 2**k (``math.ldexp``, exact)."""
    if x != x:
        return x  # NaN
    if x > 709.8:
        return math.inf
    if x < -745.2:
        return 0.0
    k = math.floor(x * INV_LN2 + 0.5)
    r = (x - k * LN2_HI) - k * LN2_LO
    p = 1.0 / 6227020800.0  # 1/13!
    for f in (479001600.0, 39916800.0, 3628800.0, 362880.0, 40320.0, 5040.0, 720.0, 120.0, 24.0, 6.0, 2.0, 1.0, 1.0):
        p = p * r + 1.0 / f  # Horner: ... (p r + 1/2!) r + 1/1!) r + 1/0!
    return math.ldexp(p, int(k))


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
