"""Compact a results folder: keep in it what its figures, section 5 and later rounds need, so that it
can be read, redrawn and grown without its store (e.g. from a clone of the repository).

A compact folder keeps the curves its figures draw (``curves.json``) and its tickets' masks
(``tickets.npz``) beside its ``summary.csv``, and says ``"compact": true`` in its config; it still
names its store, which is used wherever that is at hand (``folders.ResultsFolder`` reads both).
"""
import io
import json
from pathlib import Path

import numpy as np

from ..errors import ResultsError
from .experiments import Unit, plan
from .folders import CURVES_FILE, TICKETS_FILE, open_existing
from .levels import curve_levels
from .store import atomic_write


def rounded_curve(curve):
    """A curve as a compact folder keeps it: losses to 6 significant digits (they are float32 sums, good to
    about 7; a figure reads 3), accuracies (whole test-set counts) and iterations as they are."""
    return {k: [v if k != "val_loss" or v is None else float(f"{v:.6g}") for v in vs] for k, vs in curve.items()}


def compact(path, masks="all"):
    """Make ``path`` readable without its store: keep the curves its figures draw and the tickets'
    masks in the folder itself, and mark it compact. ``masks="all"`` keeps every ticket's (what section 5
    and the controls of any level need); ``"last"`` only each ticket's last round's, enough to add
    rounds later (a sweep's claims read its summary alone). Masks a compact folder beside it already keeps
    (``ResultsFolder.beside``) are not kept twice. Returns the sizes written, in bytes."""
    if masks not in ("all", "last"):
        raise ResultsError(f"--masks must be all or last, not {masks!r}")
    path = Path(path)
    folder = open_existing(path)
    if folder.compact:
        raise ResultsError(f"{path} is compact already")
    records = folder.records()
    if not records:
        raise ResultsError(f"{path} has no finished trainings to keep")
    levels = (curve_levels(records) or []) if folder.config.record_test_curve else []  # none drawn: none kept
    lent = {u.id for u in plan(folder.config) if folder.lent(u)}  # kept where they were made
    curves = {r["id"]: rounded_curve({k: r["history"][k] for k in ("iterations", "val_loss", "test_acc")})
              for r in records if r["level"] in levels and "history" in r and r["id"] not in lent}
    tickets = [u for u in plan(folder.config) if u.kind == "ticket" and folder.done(u)]
    if masks == "last":
        last = {}
        for u in tickets:
            last[u.trial] = u  # plan order: a trial's levels in order
        tickets = list(last.values())
    arrays = {}
    for u in tickets:
        if u.id in lent:
            continue  # kept by the compact folder that lends it, if anywhere
        for k, v in folder.load(u, arrays=True)[1].items():
            if k.startswith(("mask_", "next_mask_")):
                arrays[f"{u.id}__{k}"] = v
    for u in tickets:  # a round's next masks are the next round's own masks: kept once (load derives them)
        after = Unit(u.level + 1, "ticket", u.trial).id
        for k in [k for k in arrays if k.startswith(f"{u.id}__next_mask_")]:
            same = f"{after}__mask_{k.rsplit('_', 1)[1]}"
            if same in arrays and np.array_equal(arrays[same], arrays[k]):
                del arrays[k]
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    written = {}
    if curves:
        atomic_write(path / CURVES_FILE, json.dumps(curves).encode())
        written[CURVES_FILE] = (path / CURVES_FILE).stat().st_size
    if arrays:
        atomic_write(path / TICKETS_FILE, buf.getvalue())
        written[TICKETS_FILE] = len(buf.getvalue())
    folder.write_summary(records)
    folder.compact = True  # it still names its store, used wherever that is at hand
    folder.write_config()
    return written
