import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def random_mask(rng, shape, density, dtype=np.float64):
    """A 0/1 mask keeping about ``density`` of the entries (0 → all pruned, 1 → none)."""
    return (rng.random(shape) < density).astype(dtype)
