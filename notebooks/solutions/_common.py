"""What every solution shares: quick mode and the MNIST budget.

``LOTTERY_NP_QUICK=1`` (the test suite sets it) shrinks every training to a few hundred
iterations, so each solution runs in seconds; without it the solutions use budgets that
show the effect the exercise asks about (minutes, not hours).
"""
import os

QUICK = os.environ.get("LOTTERY_NP_QUICK") == "1"


def budget(quick, real):
    """``quick`` under the test suite, ``real`` otherwise."""
    return quick if QUICK else real
