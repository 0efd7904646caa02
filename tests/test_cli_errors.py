"""Bad command lines end in one line on stderr that names the option, exit code 2, and an untouched disk.

Every case runs ``main`` in this process with the working directory and the data
folder inside ``tmp_path``, so a command that slipped through would write there.
The functions that do the work (load MNIST, train, run XOR, draw) are replaced by
ones that raise ``Reached``: a case that is not refused before them fails loudly
instead of training.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lottery_np import data
from lottery_np.paper import cli, compact, demo, examine, export, plots, reproduce, runner, xor
from lottery_np.errors import ConfigError
from lottery_np.paper.experiments import Unit
from lottery_np.paper.settings import ExperimentConfig
from lottery_np.paper.folders import ResultsFolder
from lottery_np.paper.validate import in_cli_words

ROOT = Path(__file__).resolve().parent.parent
TINY = "--iterations 20 --eval-every 10 --trials 1 --controls 0 --sizes 784 30 10"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


class Reached(Exception):
    """A bad command line got as far as real work."""


# (command line, what the message must name). {file} is a file, {stuff} a folder that is
# not a results folder, {it}/{os} iterative/one-shot results folders with a finished ticket,
# {bare} an iterative results folder with nothing finished.
CASES = [
    # demo
    ("demo --iterations 0", "--iterations"),
    ("demo --iterations 5", "--iterations"),
    ("demo --iterations many", "--iterations"),
    ("demo --seed -1", "--seed"),
    ("demo --backend gpu", "--backend"),
    ("demo --out {file}", "--out"),
    ("demo --out {file}/sub", "--out"),
    # xor
    ("xor --trials 0", "--trials"),
    ("xor --trials -3", "--trials"),
    ("xor --trials 1.5", "--trials"),
    ("xor --seed -1", "--seed"),
    ("xor --out {file}", "--out"),
    # mnist oneshot / iterative: every option
    ("mnist oneshot --iterations 0", "--iterations"),
    ("mnist oneshot --iterations -5", "--iterations"),
    ("mnist iterative --iterations 2.5", "--iterations"),
    ("mnist oneshot --eval-every 0", "--eval-every"),
    ("mnist iterative --eval-every -1", "--eval-every"),
    ("mnist oneshot --iterations 100 --eval-every 200", "--eval-every"),
    ("mnist oneshot --batch-size 0", "--batch-size"),
    ("mnist iterative --batch-size 55001", "--batch-size"),
    ("mnist oneshot --trials 0", "--trials"),
    ("mnist oneshot --controls -1", "--controls"),
    ("mnist oneshot --jobs 0", "--jobs"),
    ("mnist iterative --jobs -1", "--jobs"),
    ("mnist oneshot --lr 0", "--lr"),
    ("mnist oneshot --lr -0.1", "--lr"),
    ("mnist oneshot --lr nan", "--lr"),
    ("mnist iterative --lr inf", "--lr"),
    ("mnist oneshot --lr fast", "--lr"),
    ("mnist oneshot --init-std 0", "--init-std"),
    ("mnist oneshot --init-std nan", "--init-std"),
    ("mnist oneshot --sizes 100 30 10", "--sizes"),
    ("mnist oneshot --sizes 784 300 100", "--sizes"),
    ("mnist iterative --sizes 784 10", "--sizes"),
    ("mnist oneshot --sizes 784 0 10", "--sizes"),
    ("mnist oneshot --optimizer rmsprop", "--optimizer"),
    ("mnist oneshot --init uniform", "--init"),
    ("mnist oneshot --reset sometimes", "--reset"),
    ("mnist oneshot --reset-iteration -1", "--reset-iteration"),
    ("mnist oneshot --iterations 100 --eval-every 10 --reset-iteration 100", "--reset-iteration"),
    ("mnist iterative --reset-iteration 150", "--reset-iteration"),
    ("mnist iterative --reset-iteration 100 --reset none", "--reset-iteration"),
    ("mnist oneshot --control-kinds reinit reinit", "--control-kinds"),
    ("mnist oneshot --control-kinds swap", "--control-kinds"),
    ("mnist oneshot --seed -1", "--seed"),
    ("mnist oneshot --backend gpu", "--backend"),
    ("mnist oneshot --levels 0", "--levels"),
    ("mnist oneshot --levels 50 150", "--levels"),
    ("mnist oneshot --levels nan", "--levels"),
    ("mnist oneshot --levels half", "--levels"),
    ("mnist iterative --levels 50", "--levels"),  # a one-shot option
    ("mnist oneshot --levels 0.5", "--levels: takes percents: 0.5 would keep 0.5% of the weights; did you mean 50?"),
    ("mnist oneshot --levels 50 0.25", "did you mean 25?"),
    ("mnist oneshot --levels 5%%", "--levels"),
    ("mnist oneshot --pruning best", "--pruning"),
    ("sweep rate --pruning pooled", "--pruning"),
    ("mnist oneshot --control-levels 3 3", "--control-levels"),
    ("mnist oneshot --control-levels 10", "--control-levels must be distinct pruned levels from 1 to 9"),
    ("mnist oneshot --sizes 784", "--sizes"),
    ("mnist iterative --rounds 0", "--rounds"),
    ("mnist iterative --rate 1.5", "--rate"),
    ("mnist iterative --rate 0", "--rate"),
    ("mnist iterative --rate 1", "--rate"),
    ("mnist iterative --rate nan", "--rate"),
    ("mnist iterative --output-rate 1", "--output-rate"),
    ("mnist iterative --output-rate -0.1", "--output-rate"),
    ("mnist oneshot --out {file}", "--out"),
    ("mnist oneshot --out {file}/sub", "--out"),
    ("mnist oneshot --out {stuff}", "--out"),  # a folder with other files in it
    ("mnist iterative --out {it} " + TINY + " --rounds 1 --lr 0.05", "--out"),  # another configuration's folder
    ("mnist oneshot --data-dir {file}", "--data-dir"),
    ("mnist iterative --data-dir {file}/sub", "--data-dir"),
    # mnist plot
    ("mnist plot {missing}", "{missing}"),
    ("mnist plot {file}", "{file}"),
    ("mnist plot {stuff}", "{stuff}"),
    ("mnist plot {it} {bare}", "{bare}"),
    ("mnist plot {it} {os} --out {file}", "--out"),
    # examine
    ("examine {missing}", "{missing}"),
    ("examine {file}", "{file}"),
    ("examine {stuff}", "{stuff}"),
    ("examine {os}", "{os}"),
    ("examine {bare}", "{bare}"),
    ("examine {it} --trial -1", "--trial"),
    ("examine {it} --trial 1", "--trial"),
    ("examine {it} --out {file}", "--out"),
    ("examine", "folder"),
    # sweep
    ("sweep rate --values fast", "--values"),
    ("sweep rate --values 0.2 1.5", "--values"),
    ("sweep size --values 300x100", "--values"),
    ("sweep size --values 0-30", "--values"),
    ("sweep init-std --values -0.1", "--values"),
    ("sweep init-std --values nan", "--values"),
    ("sweep late-reset --values 150", "--values"),
    ("sweep late-reset --iterations 1000 --values 0 1000", "--values"),
    ("sweep late-reset --values 100 100", "--values"),
    ("sweep reset --values 1", "--values"),
    ("sweep late-reset --reset none", "--reset"),
    ("sweep reset --reset-iteration 100", "--reset-iteration"),
    ("sweep widths", "sweep"),
    ("sweep rate --experiment both", "--experiment"),
    ("sweep rate --jobs 0", "--jobs"),
    ("sweep rate --rounds 0", "--rounds"),
    ("sweep size --eval-every 0", "--eval-every"),
    ("sweep rate --out {file}", "--out"),
    # reproduce
    ("reproduce --jobs 0", "--jobs"),
    ("reproduce --jobs -1", "--jobs"),
    ("reproduce --seed -1", "--seed"),
    ("reproduce --backend gpu", "--backend"),
    ("reproduce --quick --full", "--full"),
    ("reproduce --out {file}", "--out"),
    ("reproduce --scheduler tcp://:port", "--scheduler"),  # ours when Dask is there, "needs Dask" when not
    # fetch-mnist
    ("fetch-mnist --data-dir {file}", "--data-dir"),
    ("fetch-mnist --data-dir {file}/sub", "--data-dir"),
    # export and compact
    ("export {it} --level 0 --out {file}/t.npz", "--out"),
    ("export {it} --level 0 --out stuff", "--out"),
    ("export {it} --level 5 --out t.npz", "--level"),
    ("export {it} --level 0 --trial 3 --out t.npz", "--trial"),
    ("export {it} --level 0 --kind reinit --out t.npz", "--level 0"),
    ("export {it} --level 1 --kind shuffle --draw 2 --out t.npz", "--kind shuffle --draw 2"),
    ("export {bare} --level 0 --out t.npz", "{bare}"),
    ("export {missing} --level 0 --out t.npz", "{missing}"),
    ("export {it} --out t.npz", "--level"),
    ("export {it} --level -1 --out t.npz", "--level"),
    ("compact {missing}", "{missing}"),
    ("compact {stuff}", "{stuff}"),
    ("compact {bare}", "{bare}"),
    ("compact {it} --masks some", "--masks"),
    ("recheck {missing}", "{missing}"),
    ("recheck {it} --trainings ticket-t9-l00", "--trainings"),
    ("recheck {it} --trainings ticket-t0-l01", "--trainings"),
    ("recheck {it} --jobs 0", "--jobs"),
    # Dask on every command that trains
    ("mnist oneshot --scheduler tcp://:port", "--scheduler"),
    ("sweep rate --scheduler tcp://:port", "--scheduler"),
    # no abbreviations: a mistyped option is refused, not read as another
    ("mnist iterative --iteration 200", "--iteration"),
    ("mnist oneshot --level 50", "--level"),
    ("reproduce --ful", "--ful"),
    ("sweep rate --value 0.2", "--value"),
    # the top level
    ("mnist oneshot --shots 3", "--shots"),
    ("train", "train"),
]

UNWRITABLE = [
    ("mnist oneshot --out {locked}/results", "--out"),
    ("demo --out {locked}", "--out"),
    ("xor --out {locked}/xor", "--out"),
    ("fetch-mnist --data-dir {locked}/mnist", "--data-dir"),
]


def results_folder(path, experiment, finished):
    cfg = ExperimentConfig(experiment=experiment, iterations=20, eval_every=10, trials=1, controls=0, rounds=1,
                           sizes=(784, 30, 10))
    folder = ResultsFolder(path, cfg, store=path / "trainings").open()  # its own store: the folders share no training
    if finished:
        folder.store.file(folder.key(Unit(0, "ticket", 0))).write_bytes(b"")  # only its existence is looked at before the work
    return path


@pytest.fixture
def places(tmp_path, monkeypatch):
    """A working directory with a file, a non-results folder and results folders; no real work possible."""
    for module, name in ((data, "load_mnist_raw"), (xor, "write_xor"), (demo, "run_demo"), (runner, "run"),
                         (plots, "plot_folders"), (runner, "run_sweep"), (reproduce, "reproduce"),
                         (examine, "examine_folder"), (export, "ticket_of"), (compact, "compact")):
        def reached(*args, _name=name, **kwargs):
            raise Reached(f"{_name} was called: the command line was not refused")
        monkeypatch.setattr(module, name, reached)
        if hasattr(cli, name):  # the command line's own reference to it, imported at the top of cli.py
            monkeypatch.setattr(cli, name, reached)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOTTERY_NP_DATA", str(tmp_path / "mnist-data"))
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "stuff").mkdir()
    (tmp_path / "stuff" / "photo.jpg").write_bytes(b"\xff\xd8")
    return {"file": "notes.txt", "stuff": "stuff", "missing": "nowhere",
              "it": results_folder(tmp_path / "it", "iterative", True).name,
              "os": results_folder(tmp_path / "os", "oneshot", True).name,
              "bare": results_folder(tmp_path / "bare", "iterative", False).name}


def listing(root):
    """Every path under ``root`` with its kind, size and modification time."""
    return sorted((str(p.relative_to(root)), p.is_dir(), p.stat().st_size, p.stat().st_mtime_ns)
                  for p in Path(root).rglob("*"))


def refuse(argv, root, capsys):
    """Run the command line; check it is refused in one line with exit 2 and that ``root`` is unchanged."""
    before = listing(root)
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert code == 2, (argv, out, err)
    assert err.startswith("lottery-np: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err and out == ""
    assert listing(root) == before, "the disk changed"
    return err


@pytest.mark.parametrize("line, names", CASES)
def test_bad_command_line_is_one_line_naming_the_option(line, names, places, tmp_path, capsys):
    err = refuse(line.format(**places).split(), tmp_path, capsys)
    assert names.format(**places) in err, err


@pytest.mark.skipif(IS_ROOT, reason="root may write anywhere, so no folder is unwritable")
@pytest.mark.parametrize("line, names", UNWRITABLE)
def test_unwritable_folder_is_refused(line, names, places, tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        err = refuse(line.format(locked="locked", **places).split(), tmp_path, capsys)
    finally:
        locked.chmod(0o700)
    assert names in err and "cannot be written" in err, err


@pytest.mark.parametrize("line, names", UNWRITABLE)
def test_unwritable_folder_is_refused_even_for_root(line, names, places, tmp_path, capsys, monkeypatch):
    """The same cases with the permission check answering as it would for a normal user."""
    (tmp_path / "locked").mkdir()
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p).name != "locked" and real(p, mode))
    err = refuse(line.format(locked="locked", **places).split(), tmp_path, capsys)
    assert names in err and "cannot be written" in err, err


GOOD = ["demo --iterations 10", "xor --trials 1", "mnist oneshot", f"mnist iterative {TINY} --rounds 1 --out it",
        "mnist plot it os --out compare", "examine it --out ex", "sweep size --values 100-33 --quiet",
        "sweep late-reset --iterations 1000 --values 0 500", "reproduce --jobs 1", "reproduce --full --seed 3",
        "fetch-mnist --data-dir fresh", "mnist oneshot --pruning global --levels 50 0.5% --out g",
        "mnist iterative --pruning layerwise --out l", "sweep rate --pruning global"]


@pytest.mark.parametrize("line", GOOD)
def test_good_command_line_gets_past_the_checks(line, places, tmp_path):
    """The checks refuse what they should, not everything: a good command reaches the work,
    and has written nothing before it (resuming {it} included)."""
    before = listing(tmp_path)
    with pytest.raises(Reached):
        cli.main(line.split())
    assert listing(tmp_path) == before


def test_library_names_become_options():
    with pytest.raises(ConfigError) as e:
        ExperimentConfig(iterations=1000, eval_every=100, reset_iteration=150)
    said = in_cli_words(str(e.value))
    assert said.startswith("--reset-iteration ") and "--eval-every" in said and "_" not in said
    assert in_cli_words("iterations must be a positive whole number; got 0").startswith("--iterations must")
    prose = "trial 3 is not in folder (it has trials 0..1)"
    assert in_cli_words(prose) == prose  # plain words inside a sentence are left alone


@pytest.mark.parametrize("line", ["demo", "reproduce", "mnist oneshot", "fetch-mnist"])
def test_data_folder_from_the_environment_is_named(line, places, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LOTTERY_NP_DATA", str(tmp_path / "notes.txt"))
    assert "$LOTTERY_NP_DATA" in refuse(line.split(), tmp_path, capsys)


@pytest.mark.parametrize("line", ["mnist oneshot --eval-every 0", "mnist oneshot --sizes 100 30 10 --iterations 20"])
def test_real_process_says_one_line_and_writes_nothing(line, tmp_path):
    """As a user sees it: a fresh process, its real stderr, no results folder afterwards."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LOTTERY_NP_DATA": str(tmp_path / "mnist-data")}
    done = subprocess.run([sys.executable, "-m", "lottery_np", *line.split()], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("lottery-np: error: --") and done.stderr.count("\n") == 1, done.stderr
    assert list(tmp_path.iterdir()) == []


def test_student_rough_edges_of_the_command_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("lottery-np ")
    assert cli.main(["mnist", "oneshot", "--levels", "50", "50", "--out", str(tmp_path / "o")]) == 2
    assert "--levels names 50 more than once" in capsys.readouterr().err and not (tmp_path / "o").exists()
    with pytest.raises(SystemExit):
        cli.main(["mnist", "iterative", "--help"])
    text = capsys.readouterr().out
    assert "prune 20% (output 10%)" in text and "%%" not in text
    assert "the root of every random number" in text.split("--seed SEED")[-1]


def test_levels_are_percents_and_a_bare_value_below_one_is_refused(capsys):
    from lottery_np.paper.cli import build_parser
    from lottery_np.paper.validate import mnist_config
    parse = build_parser().parse_args
    assert mnist_config(parse("mnist oneshot --levels 50 2.5 1 0.5%".split()), "oneshot").fractions == (0.5, 0.025,
                                                                                                       0.01, 0.005)
    assert cli.main("mnist oneshot --levels 0.5".split()) == 2
    err = capsys.readouterr().err
    assert "0.5 would keep 0.5% of the weights; did you mean 50? (write 0.5% if you mean 0.5%)" in err


def test_every_setting_is_an_option_with_its_help_and_default(capsys):
    """The options of the experiment commands are made from ExperimentConfig's fields: each field with an
    option is on the commands of its experiments, says its help and default, and no option given is the
    dataclass's defaults (``sweep``: with controls=0)."""
    from lottery_np.paper.cli import build_parser
    from lottery_np.paper.validate import mnist_config
    from lottery_np.paper.settings import SETTINGS, option_of
    parser = build_parser()
    for command, experiment in (("mnist oneshot", "oneshot"), ("mnist iterative", "iterative"), ("sweep rate", "")):
        with pytest.raises(SystemExit):
            parser.parse_args(command.split() + ["--help"])
        text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
        for name, s in SETTINGS.items():
            option = option_of(name)
            if option is None:
                continue
            on = experiment == "" or experiment in s.experiments
            assert (f"{option} " in text) == on, (command, option)
            if on:
                assert " ".join(s.help.split()) in text, (command, option)
        args = parser.parse_args(command.split())
        want = ExperimentConfig(experiment=experiment or "iterative", controls=0 if not experiment else 3)
        assert mnist_config(args, experiment or args.experiment) == want
    args = parser.parse_args("mnist iterative --pruning global --no-test-curve --keep-weights --rate 0.3".split())
    got = mnist_config(args, "iterative")
    assert (got.pruning, got.record_test_curve, got.keep_weights, got.rate) == ("global", False, True, 0.3)
