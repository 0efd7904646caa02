"""The machinery that reproduces the paper with the algorithm of ``lottery_np``.

The algorithm (layers, kernels, network, optimizers, pruning, training, the
training engine, the lottery loop, data) lives one level up and never imports
from here. This package turns it into the paper's experiments:

* ``settings``    — an experiment's settings (``ExperimentConfig``), each defined once, and their options' words
* ``experiments`` — one training of an experiment as a pure unit of work
* ``levels``      — what each level of an experiment keeps, and which levels a figure draws
* ``store``       — finished trainings, one file each, named by content; files written whole
* ``folders``     — an experiment's folder: open, grow, read its trainings (lent by others too), its summary
* ``compact``     — a folder that keeps what it needs to be read without its store
* ``workers``     — single-threaded worker processes, and what one runs for a training
* ``runner``      — every missing training of a set of folders, each once, in parallel, resumable
* ``export``      — one finished training as a ``lottery_np.Ticket`` file
* ``sweeps``      — section 6: families of experiments differing in one setting
* ``xor``         — section 2: the XOR tables
* ``examine``     — section 5: initial values and connections of tickets
* ``stats``       — per-level means and min–max of summary rows, shared by figures, tables and verdicts
* ``claims``      — the paper's claims, judged only where a run can decide them
* ``plans``       — the plans of ``reproduce`` (quick, standard, full) and their folders
* ``estimate``    — how long a plan takes on this machine, measured before it starts
* ``reproduce``   — every experiment in order: runs, resumes or regenerates a plan
* ``report``      — the text of REPORT.md beside the paper
* ``plots``       — the figures, and a finished folder's figures and table
* ``after``       — after the paper: stability to SGD noise, signs and supermasks, random pruning
* ``demo``, ``validate``, ``cli`` — the ``lottery-np`` command
"""
