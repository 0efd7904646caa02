"""The figures' rough edges: tick labels on a narrow log axis, training curves kept whole in view, and
`lottery-np mnist plot` of two experiments of one kind."""
import shutil
from pathlib import Path

import numpy as np
import pytest

from lottery_np.paper import plots
from lottery_np.paper.cli import main

ROOT = Path(__file__).resolve().parent.parent


def ticket_rows(percents, trials=2):
    """Summary rows of tickets at ``percents`` (level i at the i-th), two trials each."""
    return [dict(experiment="iterative", kind="ticket", trial=t, draw=0, level=i, percent_remaining=float(p),
                 convergence_iteration=1000 + 100 * i + 10 * t, test_accuracy=0.97 + 0.001 * t, min_val_loss=0.1,
                 diverged=False)
            for i, p in enumerate(percents) for t in range(trials)]


def tick_labels(ax):
    lo, hi = sorted(ax.get_xlim())
    return [t.get_text() for t, x in zip(ax.get_xticklabels(), ax.get_xticks()) if lo <= x <= hi]


def test_a_log_axis_spanning_100_to_64_percent_is_labelled_at_its_levels():
    fig = plots.plot_levels(ticket_rows([100, 80, 64]), log_x=True)
    fig.canvas.draw()
    for ax in fig.axes:
        assert tick_labels(ax) == ["100", "80.0", "64.0"]  # round numbers alone would give "100" only
    plots.plt.close(fig)


def test_a_long_log_axis_labels_levels_that_do_not_crowd_and_ends_at_the_sparsest():
    percents = [100 * 0.8 ** k for k in range(19)]  # 18 rounds of 20%: 100% down to 1.8%
    ticks = plots.percent_ticks(percents)
    assert ticks[0] == 100 and ticks[-1] == percents[-1] and 3 <= len(ticks) <= 9
    gaps = np.diff(np.log(ticks[::-1]))
    assert gaps.min() >= np.log(100 / percents[-1]) / 8 - 1e-12
    assert [plots.percent_label(v) for v in (100, 51.2, 3.62, 0.356)] == ["100", "51.2", "3.6", "0.36"]
    fig = plots.plot_compare([("a", ticket_rows(percents))])
    fig.canvas.draw()
    assert tick_labels(fig.axes[0]) == [plots.percent_label(t) for t in ticks]
    plots.plt.close(fig)


def curve_record(level, percent, accuracies, kind="ticket"):
    its = list(range(0, 100 * len(accuracies), 100))
    return dict(level=level, kind=kind, trial=0, draw=0, diverged=False, percent_remaining=percent,
                history=dict(iterations=its, test_acc=list(accuracies), val_loss=[0.1] * len(its)))


def test_training_curves_keep_every_plotted_curve_in_view():
    """The unpruned network's curve starts far lower than the pruned tickets' (as it does when the first
    evaluation comes after some training): no part of it may fall below the y limit."""
    rise = np.linspace(0.50, 0.97, 20)
    records = [curve_record(0, 100.0, rise)] + [
        curve_record(lv, p, np.linspace(0.93, 0.98, 20)) for lv, p in ((1, 51.2), (2, 21.0), (3, 7.0))]
    records += [curve_record(3, 7.0, np.linspace(0.90, 0.96, 20), kind="reinit")]
    fig = plots.plot_curves(records, levels=[0, 1, 2, 3])
    lo, hi = fig.axes[0].get_ylim()
    values = np.concatenate([line.get_ydata() for ax in fig.axes for line in ax.get_lines()])
    assert lo <= values.min() == pytest.approx(50.0) and hi >= values.max() and 0 <= lo and hi <= 100
    assert lo > 0  # the limits follow the curves, not a fixed 0–100
    plots.plt.close(fig)


def test_plot_of_two_iterative_folders_draws_their_tickets_on_one_figure(tmp_path, capsys):
    a, b = tmp_path / "quick" / "mnist-iterative", tmp_path / "paper-scale" / "mnist-iterative"
    shutil.copytree(ROOT / "docs" / "quick" / "mnist-iterative", a)
    shutil.copytree(ROOT / "docs" / "paper-scale" / "mnist-iterative", b)
    assert main(["mnist", "plot", str(a), str(b), "--out", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == str(tmp_path / "tickets_compared.png") and len(lines) == 3
    assert (tmp_path / "tickets_compared.png").stat().st_size > 10000
    assert not (tmp_path / "oneshot_vs_iterative.png").exists()


def test_comparison_labels_tell_folders_of_the_same_name_apart(tmp_path):
    assert plots.folder_labels([tmp_path / "quick" / "mnist-iterative", tmp_path / "full" / "mnist-iterative"]) == [
        "quick/mnist-iterative", "full/mnist-iterative"]
    assert plots.folder_labels([tmp_path / "a", tmp_path / "b"]) == ["a", "b"]
    rows = ticket_rows([100, 80, 64])
    path = plots.compare_experiments([(tmp_path / "x", "oneshot", rows), (tmp_path / "y", "iterative", rows)], tmp_path)
    assert path == tmp_path / "oneshot_vs_iterative.png" and path.exists()  # the paper's comparison keeps its name
