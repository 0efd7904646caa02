"""Section 6 sweeps: which experiments each makes, the winning-ticket-size rule, and a tiny real sweep."""
import pytest

from lottery_np import ConfigError
from lottery_np.paper.cli import main
from lottery_np.paper.settings import ExperimentConfig
from lottery_np.paper.sweeps import rounds_for, sweep_configs, ticket_size


def test_sweeps_vary_one_setting():
    base = ExperimentConfig(controls=0, experiment="iterative")
    stds = sweep_configs("init-std", base)
    assert [c.init_std for _, c in stds] == [0.025, 0.05, 0.1, 0.2, 0.4]
    assert all(c.replace(init_std=0.1) == base for _, c in stds)
    sizes = sweep_configs("size", base)
    assert ("oneshot-100-33", (784, 100, 33, 10)) in [(n, c.sizes) for n, c in sizes]
    assert {c.experiment for _, c in sizes} == {"oneshot", "iterative"}
    assert [n for n, _ in sweep_configs("reset", base)] == ["oneshot-init", "oneshot-none", "iterative-init", "iterative-none"]
    assert [c.reset_iteration for _, c in sweep_configs("late-reset", base.replace(iterations=1000))] == [0, 100, 500]
    with pytest.raises(ConfigError, match="unknown sweep"):
        sweep_configs("depth", base)


def test_rate_sweep_reaches_about_the_same_size():
    assert rounds_for(0.2) == 18 and rounds_for(0.5) == 6 and rounds_for(0.1) == 38
    for v in (0.1, 0.35, 0.5, 0.7):
        left = (1 - v) ** rounds_for(v)
        assert 0.5 * 0.8 ** 18 < left < 2 * 0.8 ** 18


def row(level, pct, conv, acc, kind="ticket"):
    return dict(kind=kind, level=level, percent_remaining=pct, convergence_iteration=conv, test_accuracy=acc,
                diverged=False)


def test_ticket_size_is_fastest_and_smallest_most_accurate():
    rows = [row(0, 100, 900, 0.970), row(1, 50, 500, 0.975), row(2, 20, 400, 0.975), row(3, 5, 800, 0.960),
            row(2, 20, 100, 0.5, kind="reinit")]  # controls do not count
    assert ticket_size(rows) == (20, 20)
    rows[2]["test_accuracy"] = 0.974
    assert ticket_size(rows) == (20, 50)


def test_tiny_reset_sweep_end_to_end(tmp_path):
    out = tmp_path / "sweep"
    args = ["sweep", "reset", "--iterations", "60", "--eval-every", "20", "--trials", "1", "--rounds", "1",
            "--levels", "30", "--sizes", "784", "40", "10", "--out", str(out), "--quiet", "--jobs", "2"]
    assert main(args) == 0
    text = (out / "sweep.md").read_text()
    for name in ("oneshot-init", "oneshot-none", "iterative-init", "iterative-none"):
        assert f"| {name} | 1 |" in text and (out / name / "summary.csv").exists()
    assert (out / "sweep.png").stat().st_size > 10000
    assert main(args) == 0  # a second run finds everything done and only redraws
