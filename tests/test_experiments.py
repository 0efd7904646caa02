"""The units of an experiment: what each needs, and that each is a pure function of its inputs.

These run in-process on a small synthetic problem (20 inputs, 4 classes), so they
check the bookkeeping — masks passed from ticket to ticket, seeds, controls, late
resetting, no-reset — without MNIST.
"""
import numpy as np
import pytest

from lottery_np import ConfigError
from lottery_np.data import Dataset
from lottery_np.paper.experiments import Unit, inputs_for, plan, run_unit, source, theta0
from lottery_np.paper.settings import ExperimentConfig
from lottery_np.pruning import percent_remaining


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(20, 4))

    def split(n):
        x = rng.random((n, 20)).astype(np.float32)
        return x, np.argmax(x @ w, axis=1)
    return Dataset(*split(600), *split(200), *split(200))


def tiny(**kw):
    base = dict(sizes=(20, 16, 8, 4), iterations=60, eval_every=20, batch_size=30, trials=2, controls=2,
                rounds=3, fractions=(0.5, 0.2), record_test_curve=False)
    return ExperimentConfig(**{**base, **kw})


def run_all(config, data):
    """Run every unit in plan order, feeding each its source ticket's arrays."""
    results = {}
    for u in plan(config):
        s = source(config, u)
        results[u] = run_unit(config, u, inputs_for(config, u, lambda t: results[t][1]) if s else {}, data=data)
    return results


def test_plan_counts_and_sources():
    it = tiny(experiment="iterative")
    units = plan(it)
    assert len(units) == 2 * (4 + 3 * 2 * 2)  # trials × (tickets + pruned levels × kinds × draws)
    assert source(it, Unit(3, "shuffle", 1, 1)) == Unit(2, "ticket", 1)
    assert source(it, Unit(0, "ticket", 1)) is None
    one = tiny(experiment="oneshot")
    assert source(one, Unit(2, "reinit", 0, 0)) == Unit(0, "ticket", 0)
    assert len({u.id for u in units}) == len(units)  # ids name units uniquely
    for u in units:  # every source comes before the units that need it
        s = source(it, u)
        assert s is None or units.index(s) < units.index(u)


def test_control_levels_pick_the_levels_with_controls_and_change_no_key():
    from lottery_np.paper.experiments import unit_key
    every, some = tiny(experiment="iterative"), tiny(experiment="iterative", control_levels=(3, 1))
    assert some.control_levels == (1, 3)
    assert {u.level for u in plan(some) if u.kind != "ticket"} == {1, 3}
    assert [u for u in plan(every) if u.kind == "ticket" or u.level in (1, 3)] == plan(some)
    assert all(unit_key(some, u) == unit_key(every, u) for u in plan(some))  # the same trainings either way
    assert ExperimentConfig.from_dict(some.to_dict()) == some


def test_iterative_levels_shrink_and_controls_share_the_ticket_mask(data):
    config = tiny(experiment="iterative")
    res = run_all(config, data)
    pct = [res[Unit(level, "ticket", 0)][0]["percent_remaining"] for level in range(4)]
    assert pct[0] == 100 and all(a > b for a, b in zip(pct, pct[1:]))
    ticket_masks = [res[Unit(2, "ticket", 0)][1][f"mask_{i}"] for i in range(3)]
    assert np.isclose(pct[2], percent_remaining(ticket_masks))
    for kind in ("reinit", "shuffle"):
        r = res[Unit(2, kind, 0, 1)][0]
        assert r["percent_remaining"] == pytest.approx(pct[2])  # same count per layer
    # masks only shrink from round to round
    for level in range(1, 4):
        before = res[Unit(level - 1, "ticket", 0)][1]
        after = res[Unit(level, "ticket", 0)][1]
        for i in range(3):
            assert not np.any(after[f"mask_{i}"] & ~before[f"mask_{i}"])


def test_units_are_pure_functions_of_their_inputs(data):
    config = tiny(experiment="oneshot")
    ticket = run_unit(config, Unit(0, "ticket", 1), {}, data=data)
    again = run_unit(config, Unit(0, "ticket", 1), {}, data=data)
    strip = lambda r: {k: v for k, v in r.items() if k != "seconds"}  # noqa: E731
    assert strip(ticket[0]) == strip(again[0])
    inputs = inputs_for(config, Unit(1, "reinit", 1, 0), lambda t: ticket[1])
    a = run_unit(config, Unit(1, "reinit", 1, 0), inputs, data=data)[0]
    b = run_unit(config, Unit(1, "reinit", 1, 1), inputs, data=data)[0]
    assert strip(a) == strip(run_unit(config, Unit(1, "reinit", 1, 0), inputs, data=data)[0])
    assert a["history"]["val_loss"] != b["history"]["val_loss"]  # different draws differ


def test_trials_have_their_own_initialization():
    config = tiny()
    assert not np.array_equal(theta0(config, 0).weights[0], theta0(config, 1).weights[0])
    np.testing.assert_array_equal(theta0(config, 1).weights[0], theta0(config, 1).weights[0])


def test_late_resetting_passes_the_iteration_k_weights_along(data):
    config = tiny(experiment="iterative", reset_iteration=20, trials=1, controls=0, rounds=2)
    res = run_all(config, data)
    rewind = res[Unit(0, "ticket", 0)][1]["rewind_w_0"]
    assert not np.array_equal(rewind, theta0(config, 0).weights[0])  # θk is not θ0
    inputs = inputs_for(config, Unit(2, "ticket", 0), lambda t: res[t][1])
    np.testing.assert_array_equal(inputs["start_w_0"], rewind)  # every round starts from the unpruned net's θk


def test_no_reset_continues_from_the_trained_weights(data):
    config = tiny(experiment="iterative", reset="none", trials=1, controls=0, rounds=1)
    res = run_all(config, data)
    t0 = res[Unit(0, "ticket", 0)][1]
    inputs = inputs_for(config, Unit(1, "ticket", 0), lambda t: t0)
    np.testing.assert_array_equal(inputs["start_w_1"], t0["trained_w_1"])
    # the pruned network starts where the unpruned one ended, so it starts far better than θ0 did
    h0, h1 = (res[Unit(level, "ticket", 0)][0]["history"] for level in (0, 1))
    assert h1["val_loss"][0] < h0["val_loss"][0]


@pytest.mark.parametrize("bad, message", [
    (dict(rate=1.5), "pruning rate"),
    (dict(experiment="both"), "oneshot"),
    (dict(fractions=(0.5, 1.5)), "fraction"),
    (dict(reset_iteration=30), "multiple of eval_every"),
    (dict(trials=0), "trials"),
    (dict(control_kinds=("reinit", "flip")), "control kind"),
    (dict(iterations=0), "iterations"),
    (dict(control_levels=(0,)), "control_levels"),
    (dict(control_levels=(1, 1)), "distinct"),
    (dict(experiment="iterative", control_levels=(4,)), "from 1 to 3"),
])
def test_bad_settings_are_named(bad, message):
    with pytest.raises(ConfigError, match=message):
        tiny(**bad)


# Keys computed by the code before the settings were defined once and before ``pruning`` existed
# (commit a02d976). A change here would orphan every training already stored: the runner would
# train them all again.
PINNED_KEYS = [
    ("oneshot", {}, Unit(0), "459f8af8a18a8ee01597"),
    ("oneshot", {}, Unit(3, "ticket", 1), "3292033693227397f4fb"),
    ("oneshot", {}, Unit(2, "reinit", 1, 2), "1a7cf059a754a4bd0a2c"),
    ("iterative", {}, Unit(5, "ticket", 0), "b92ebb370dc05aa449f1"),
    ("iterative", {}, Unit(18, "shuffle", 4, 2), "97fa2a5af8f944ff60f1"),
    ("iterative", dict(iterations=1000, reset_iteration=200), Unit(0), "92729c6e2a9a8891b546"),
    ("iterative", dict(iterations=1000, reset_iteration=200), Unit(4, "ticket", 2), "1547dd145eb2a12d4e05"),
    ("iterative", dict(reset="none", output_rate=0.15), Unit(2, "ticket", 0), "2da46865cb68332f8968"),
]


@pytest.mark.parametrize("experiment, settings, unit, key", PINNED_KEYS)
def test_keys_of_the_trainings_made_before_are_unchanged(experiment, settings, unit, key):
    from lottery_np.paper.experiments import identity, unit_key
    config = ExperimentConfig(experiment=experiment, **settings)
    assert unit_key(config, unit) == unit_key(config.replace(pruning="layerwise"), unit) == key
    assert "pruning" not in identity(config, unit)


def test_global_pruning_is_in_the_identity_of_pruned_units_only():
    from lottery_np.paper.experiments import identity, unit_key
    for experiment in ("oneshot", "iterative"):
        layerwise = tiny(experiment=experiment)
        pooled = layerwise.replace(pruning="global")
        assert unit_key(pooled, Unit(0)) == unit_key(layerwise, Unit(0))  # the unpruned network is shared
        for u in plan(pooled):
            if u.level > 0:
                assert identity(pooled, u) == {**identity(layerwise, u), "pruning": "global"}
        assert ExperimentConfig.from_dict(pooled.to_dict()) == pooled
        assert ExperimentConfig.from_dict({k: v for k, v in pooled.to_dict().items() if k != "pruning"}) == layerwise


def test_global_pruning_experiment_cuts_its_masks_by_global_pruning(data):
    from lottery_np.pruning import full_masks, layer_rates, oneshot_rates, prune_global
    for experiment in ("oneshot", "iterative"):
        config = tiny(experiment=experiment, pruning="global", trials=1, controls=1, rounds=2)
        res = run_all(config, data)
        trained = [res[Unit(0, "ticket", 0)][1][f"trained_w_{i}"] for i in range(3)]
        rates = oneshot_rates(0.5, 3) if experiment == "oneshot" else layer_rates(0.2, 3)
        want = prune_global(trained, full_masks(trained), rates)
        got = [res[Unit(1, "ticket", 0)][1][f"mask_{i}"] for i in range(3)]
        assert all(np.array_equal(a.astype(bool), b) for a, b in zip(want, got))
        if experiment == "iterative":  # the next round's masks too, from the round's own trained weights
            ticket = res[Unit(1, "ticket", 0)][1]
            nxt = [ticket[f"next_mask_{i}"] for i in range(3)]
            assert all(np.all(b <= a) for a, b in zip(got, nxt)) and sum(m.sum() for m in nxt) < sum(m.sum() for m in got)
        layerwise = tiny(experiment=experiment, trials=1, controls=1, rounds=2)
        masks = inputs_for(layerwise, Unit(1, "ticket", 0), lambda t: res[t][1])
        assert any(not np.array_equal(masks[f"mask_{i}"], got[i]) for i in range(2))  # layerwise cuts others


def test_a_setting_is_said_in_python_words_and_in_the_options():
    from lottery_np.paper.settings import SettingError
    with pytest.raises(SettingError) as e:
        tiny(experiment="oneshot", fractions=(0.5, 0.2, 0.5))
    assert str(e.value) == "fractions names 0.5 more than once; give each level once"
    assert e.value.in_cli_words == "--levels names 50 more than once; give each level once"
    with pytest.raises(SettingError) as e:
        tiny(pruning="best")
    assert "pruning must be one of layerwise, global; got 'best'" == str(e.value)
    with pytest.raises(SettingError, match="eval_every 100 is more than iterations 60") as e:
        tiny(eval_every=100)
    assert e.value.in_cli_words.startswith("--eval-every 100 is more than --iterations 60")


def test_the_training_settings_are_train_configs_handed_on_once():
    """The training settings are TrainConfig's fields, with its defaults; ``train_config`` hands on exactly
    them, so TrainConfig's defaults and checks are the experiments' too."""
    from dataclasses import fields
    from lottery_np.paper.settings import TRAINING
    from lottery_np.train import TrainConfig
    assert set(TRAINING) <= {f.name for f in fields(TrainConfig)}
    assert ExperimentConfig().train_config() == TrainConfig()
    cfg = ExperimentConfig(iterations=300, batch_size=30, lr=0.05, optimizer="adam", eval_every=50)
    assert cfg.train_config(test_curve=True) == TrainConfig(iterations=300, batch_size=30, lr=0.05, optimizer="adam",
                                                            eval_every=50, record_test_curve=True)


def test_an_experiments_rates_are_the_algorithms_pruning_rates():
    """What a pruning rate is, is ``pruning.is_rate``'s alone: every rate setting takes only such rates."""
    from lottery_np.paper.settings import SETTINGS
    from lottery_np.pruning import is_rate
    for v in (-0.5, -1e-9, 0, 1e-9, 0.2, 0.5, 1 - 1e-9, 1, 1.5, float("nan"), float("inf")):
        for name in ("rate", "output_rate", "fractions"):
            assert is_rate(v) or not SETTINGS[name].ok(v), (name, v)
