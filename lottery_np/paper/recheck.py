"""``lottery-np recheck FOLDER``: train a few of a results folder's trainings again from what the folder
keeps, and compare the numbers with its summary.

A compact committed folder keeps, for each ticket, the masks it trained with; θ0 and the order of the
minibatches come from the seed. So a ticket or a control of any level can be trained again on any machine
without the store, and its convergence iteration, test accuracy and minimum validation loss set beside the
committed ones. The training engine's float32 sums do not depend on the CPU (no BLAS, a fixed order, no fused
multiply-add: ``tests/test_same_bits.py``), so with the same versions of Python, NumPy and Numba they are the
same bit for bit on any CPU. A folder made with the readable path, or by the engine before it left BLAS, can
differ on another CPU model by an evaluation or two and a few hundredths of a point. ``recheck`` reports what it
finds and judges nothing; ``--record`` keeps the comparison in the folder (``rechecks.json``), where the
plan's report shows it.
"""
import json
import time

from ..errors import ResultsError
from .experiments import nan_to_none, unpack
from .experiments import Unit, inputs_for, mnist_for, plan, run_unit
from .folders import RECHECKS_FILE, open_existing
from .reproduce import code_version, machine
from .store import atomic_write
from .workers import local_data_dir, local_executor, work

COLUMNS = ("convergence_iteration", "test_accuracy", "min_val_loss")


def default_trainings(folder):
    """The unpruned network, a middle level and the last level of the first ticket that is done, of those
    the folder can train again (a folder compacted with ``--masks last`` keeps no middle level's masks)."""
    tickets = [u for u in plan(folder.config) if u.kind == "ticket" and u.trial == 0 and folder.done(u)]
    if not tickets:
        return []
    picks = [tickets[0], tickets[len(tickets) // 2], tickets[-1]]
    return [u for u in {u.id: u for u in picks}.values() if retrainable(folder, u)]


def retrainable(folder, unit):
    try:
        inputs_from_record(folder, unit)
    except ResultsError:
        return False
    return True


def chosen(folder, ids):
    """The Units named by ``ids`` (or the defaults), each checked: known, done, and retrainable here."""
    by_id = {u.id: u for u in plan(folder.config)}
    if not ids:
        units = default_trainings(folder)
        if not units:
            raise ResultsError(f"{folder.path} has no finished ticket of trial 0 to train again")
        return units
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        example = ", ".join(list(by_id)[:3])
        raise ResultsError(f"--trainings: {folder.path} has no training {unknown[0]!r}; give ids as kind-tTRIAL-lLEVEL "
                           f"(a control adds -dDRAW), e.g. {example}")
    missing = [i for i in ids if not folder.done(by_id[i])]
    if missing:
        raise ResultsError(f"--trainings: {missing[0]} is not finished in {folder.path}; choose a finished one")
    return [by_id[i] for i in ids]


def inputs_from_record(folder, unit):
    """What ``unit`` starts from, rebuilt from the folder: the masks its level's ticket trained with."""
    cfg = folder.config
    if unit.level == 0:
        return {}
    if cfg.reset == "none" or cfg.reset_iteration:
        raise ResultsError(f"{folder.path} starts its pruned networks from trained weights (reset none, or late "
                           f"resetting), which a compact folder does not keep; recheck its unpruned networks "
                           f"(level 0) or a folder reset to θ0")
    ticket = Unit(unit.level, "ticket", unit.trial)
    masks = unpack("mask_", folder.load(ticket, arrays=True)[1])
    if not masks:
        raise ResultsError(f"{folder.path} keeps no masks of {ticket.id} (compacted with --masks last?); "
                           f"recheck the last round of each ticket, or a folder that keeps every mask")
    return inputs_for(cfg, unit, None, masks=masks)


def trained_weights(folder, unit, data_dir=None):
    """A finished training's trained weights and biases, ``(weights, biases)``: from the store where it is at
    hand, else trained again from what the folder keeps (a compact committed folder keeps no weights; on the
    CPU model that made it the numbers are the same, bit for bit, else within the tolerance the report states)."""
    arrays = folder.load(unit, arrays=True)[1]
    if "trained_w_0" not in arrays:
        arrays = run_unit(folder.config, unit, inputs_from_record(folder, unit), data_dir=data_dir, curve=False,
                          keep_weights=True)[1]
    return unpack("trained_w_", arrays), unpack("trained_b_", arrays)


def recheck(path, ids=None, jobs=1, data_dir=None, log=print):
    """Train ``ids`` (default: ``default_trainings``) of the folder ``path`` again and compare with what it
    records. Returns ``[{"id", "committed": {...}, "now": {...}, "seconds"}]``; writes nothing."""
    folder = open_existing(path)
    units = chosen(folder, ids)
    inputs = {u.id: inputs_from_record(folder, u) for u in units}  # every one checked before any training
    mnist_for(folder.config, data_dir)
    log(f"training {len(units)} of {path}'s trainings again ({', '.join(u.id for u in units)}) with {jobs} job(s)")
    out = []
    with local_executor(jobs) as pool:
        start = time.time()
        futures = [(u, pool.submit(work, folder.config.to_dict(), (u.level, u.kind, u.trial, u.draw), inputs[u.id],
                                   local_data_dir(data_dir), False, False)) for u in units]
        for u, fut in futures:
            record, _ = fut.result()
            committed = folder.load(u)
            out.append({"id": u.id, "committed": {k: committed[k] for k in COLUMNS},
                        "now": {k: record[k] for k in COLUMNS}, "seconds": time.time() - start})
    return out


def record(path, rows):
    """Add ``rows`` (what ``recheck`` returned) to ``path/rechecks.json`` with this machine, the code and the
    date; the plan's REPORT.md shows them (``report.reproducibility``). Returns the file's path."""
    file = open_existing(path).path / RECHECKS_FILE
    kept = json.loads(file.read_text())["rechecks"] if file.exists() else []
    when, where, code = time.strftime("%Y-%m-%d"), machine(), code_version()

    def plain(d):  # what JSON can hold: a diverged training's NaN as null
        return dict(zip(COLUMNS, nan_to_none([d[k] for k in COLUMNS])))
    kept += [{"id": r["id"], "committed": plain(r["committed"]), "now": plain(r["now"]), "machine": where,
              "code": code, "date": when} for r in rows]
    atomic_write(file, json.dumps({"rechecks": kept}, indent=1, default=float).encode())
    return file


def table(rows):
    """The comparison as Markdown, and one line saying how many are the same."""
    lines = ["| training | convergence (committed → now) | test accuracy % (committed → now) "
             "| min val loss, relative difference |", "|---|---|---|---|"]
    same = 0
    for r in rows:
        c, n = (dict(zip(COLUMNS, nan_to_none([d[k] for k in COLUMNS]))) for d in (r["committed"], r["now"]))
        identical = all(c[k] == n[k] for k in COLUMNS)  # a training that diverged: None on both sides
        same += identical
        if identical:
            rel = "identical"
        elif c["min_val_loss"] is None or n["min_val_loss"] is None:
            rel = "diverged on one side"
        else:
            rel = f"{abs(n['min_val_loss'] - c['min_val_loss']) / abs(c['min_val_loss']):.1e}"
        lines.append(f"| {r['id']} | {c['convergence_iteration']} → {n['convergence_iteration']} | "
                     f"{_percent(c['test_accuracy'])} → {_percent(n['test_accuracy'])} | {rel} |")
    lines.append("")
    lines.append(f"{same} of {len(rows)} the same as committed, bit for bit"
                 + ("" if same == len(rows) else "; the others differ (the engine's numbers depend on the versions of "
                                                 "Python, NumPy and Numba, not the CPU; a run made with BLAS, by the "
                                                 "readable path or an older engine, also on the CPU model)"))
    return "\n".join(lines)


def _percent(v):
    return "diverged" if v is None else f"{100 * v:.2f}"
