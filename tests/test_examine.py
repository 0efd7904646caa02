"""Section 5 analyses on hand-built tickets whose answers are known, and on a real results folder."""
import numpy as np
import pytest

from lottery_np import ResultsError
from lottery_np.paper.cli import main
from lottery_np.paper.examine import (beyond_two_sigma, incoming_connections, load_iterative_tickets, nearest_levels,
                                plot_connections, plot_initial_values, survivor_initial_values, ticket_summary,
                                units_removed)


def hand_ticket():
    w0 = [np.array([[0.3, -0.05, 0.0], [0.01, 0.25, -0.4]]), np.array([[0.1], [-0.3], [0.02]])]
    masks = [np.array([[1, 0, 0], [0, 1, 0]]), np.array([[1], [1], [0]])]
    return w0, masks


def test_survivors_connections_and_removed_units():
    w0, masks = hand_ticket()
    vals = survivor_initial_values(w0, masks)
    np.testing.assert_array_equal(vals[0], [0.3, 0.25])
    np.testing.assert_array_equal(vals[1], [0.1, -0.3])
    np.testing.assert_array_equal(incoming_connections(masks)[0], [1, 1, 0])  # sorted, most first
    assert units_removed(masks) == [1, 0]  # unit 2 of the hidden layer has no input left
    assert beyond_two_sigma(vals[0], std=0.1) == 1.0 and beyond_two_sigma(vals[1], std=0.1) == 0.5
    rows = ticket_summary(w0, [masks], [50.0], std=0.1)
    assert [(r["layer"], r["survivors"], r["units_removed"]) for r in rows] == [("first hidden", 2, 1), ("second hidden", 2, 0)]


def test_nearest_levels_picks_the_closest_percent():
    percents = [100, 80.0, 64.1, 51.3, 41.0, 16.9, 5.6]
    assert nearest_levels(percents, [100, 51.2, 16.8, 5.5, 3]) == [0, 3, 5, 6, 6]


def test_gaussian_has_about_4_5_percent_beyond_two_sigma():
    v = np.random.default_rng(0).normal(0, 0.1, 200_000)
    assert beyond_two_sigma(v, 0.1) == pytest.approx(0.0455, abs=0.002)


def test_plots_write_pngs(tmp_path):
    rng = np.random.default_rng(0)
    w0 = [rng.normal(0, 0.1, (20, 8)), rng.normal(0, 0.1, (8, 6)), rng.normal(0, 0.1, (6, 3))]
    levels = [[(rng.random(w.shape) < f).astype(float) for w in w0] for f in (1.0, 0.5, 0.2, 0.05)]
    pcts = [100 * np.mean(np.concatenate([m.ravel() for m in ms])) for ms in levels]
    plot_initial_values(w0, levels, pcts, 0.1, path=tmp_path / "a.png")
    plot_connections(levels, pcts, path=tmp_path / "b.png")
    assert (tmp_path / "a.png").stat().st_size > 5000 and (tmp_path / "b.png").stat().st_size > 5000


def test_real_iterative_folder(tmp_path):
    out = tmp_path / "it"
    args = ["mnist", "iterative", "--iterations", "100", "--eval-every", "50", "--trials", "1", "--controls", "0",
            "--rounds", "3", "--out", str(out), "--quiet"]
    assert main(args) == 0
    w0, masks, pcts, std = load_iterative_tickets(out)
    assert len(masks) == 4 and pcts[0] == 100 and w0[0].shape == (784, 300)
    assert all(np.all(b <= a) for x, y in zip(masks, masks[1:]) for a, b in zip(x, y))  # masks only shrink
    assert main(["examine", str(out), "--out", str(tmp_path / "ex")]) == 0
    assert (tmp_path / "ex" / "first_layer.png").exists()
    assert (tmp_path / "ex" / "initial_values.png").exists() and "first hidden" in (tmp_path / "ex" / "summary.md").read_text()
    with pytest.raises(ResultsError, match="trial 3"):
        load_iterative_tickets(out, trial=3)


def test_summary_table_has_as_many_cells_in_every_row_as_in_its_header():
    import re
    from lottery_np.paper.examine import summary_markdown
    w0, masks = hand_ticket()
    lines = summary_markdown(ticket_summary(w0, [masks], [50.0], std=0.1)).strip().splitlines()
    cells = [len(re.split(r"(?<!\\)\|", line)) for line in lines if line.startswith("|")]
    assert len(cells) >= 3 and len(set(cells)) == 1, cells


def test_examining_a_folder_that_is_not_results_writes_nothing(tmp_path):
    from lottery_np import ResultsError
    from lottery_np.paper.examine import examine_folder
    with pytest.raises(ResultsError):
        examine_folder(tmp_path / "missing", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_pixel_connections_are_the_first_masks_row_sums_as_a_picture():
    from lottery_np.paper.examine import pixel_connections
    m = np.zeros((784, 5))
    m[0, :] = 1          # top-left pixel keeps all 5 connections
    m[28 * 14 + 14, 2] = 1  # the centre pixel keeps one
    kept = pixel_connections(m)
    assert kept.shape == (28, 28) and kept[0, 0] == 5 and kept[14, 14] == 1 and kept.sum() == 6
    assert pixel_connections(np.ones((6, 3))).shape == (6,)  # not a square picture: one count per input


def test_a_level_near_two_targets_is_drawn_once(tmp_path):
    """A run that stops at 16.9% has one level nearest both 16.8% and 5.5%: each figure draws it once."""
    import matplotlib
    matplotlib.use("Agg")
    from lottery_np.paper.examine import levels_to_draw, plot_first_layer
    percents = [100.0, 80.0, 64.1, 51.3, 41.0, 32.9, 26.3, 21.1, 16.9]
    assert levels_to_draw(percents, (100, 51.2, 16.8, 5.5)) == [0, 3, 8]
    rng = np.random.default_rng(1)
    levels = [[(rng.random((784, 12)) < p / 100).astype(float), np.ones((12, 10))] for p in percents]
    w0 = [rng.normal(0, 0.1, (784, 12)), rng.normal(0, 0.1, (12, 10))]
    titles = lambda fig: [ax.get_title() for ax in fig.axes if ax.get_title()]  # noqa: E731
    assert titles(plot_initial_values(w0, levels, percents, 0.1)) == ["100.0% remaining", "51.3% remaining",
                                                                       "16.9% remaining"]
    assert len(titles(plot_first_layer(levels, percents))) == len(levels_to_draw(percents, (100, 51.2, 21.0, 8.6, 3.6, 1.8)))
    plot_first_layer(levels, percents, path=tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 3000
