"""The machinery that reproduces the paper with the algorithm of ``lottery_np``.

The algorithm (layers, kernels, network, optimizers, pruning, training, the
training engine, the lottery loop, data) lives one level up and never imports
from here. This package turns it into the paper's experiments:

* ``experiments`` — one training of an experiment as a pure unit of work
* ``runner``      — units in parallel, resumable, into a results folder
* ``sweeps``      — section 6: families of experiments differing in one setting
* ``xor``         — section 2: the XOR tables
* ``examine``     — section 5: initial values and connections of tickets
* ``stats``       — per-level means and min–max of summary rows, shared by figures, tables and verdicts
* ``claims``      — the paper's claims, judged only where a run can decide them
* ``plans``       — the plans of ``reproduce`` (quick, standard, full) and their folders
* ``estimate``    — how long a plan takes on this machine, measured before it starts
* ``reproduce``   — every experiment in order: runs, resumes or regenerates a plan
* ``report``      — the text of REPORT.md beside the paper
* ``plots``       — the figures
* ``demo``, ``validate``, ``cli`` — the ``lottery-np`` command
"""
