import json
import subprocess
import sys

from lottery_np.paper.cli import main


def test_help_lists_commands(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "demo" in out and "fetch-mnist" in out


def test_python_dash_m_help():
    done = subprocess.run([sys.executable, "-m", "lottery_np", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "usage: lottery-np" in done.stdout


def test_demo_writes_report_figure_and_json(tmp_path):
    assert main(["demo", "--out", str(tmp_path), "--iterations", "60"]) == 0
    result = json.loads((tmp_path / "demo.json").read_text())
    assert [round(r["percent_remaining"], 1) for r in result["levels"]] == [100.0, 55.1, 25.1, 10.2, 2.7]
    report = (tmp_path / "REPORT.md").read_text()
    assert "| 100.00 |" in report and "demo.png" in report
    assert (tmp_path / "demo.png").stat().st_size > 10000


def test_bad_input_is_a_message_not_a_traceback(tmp_path, monkeypatch, capsys):
    (tmp_path / "mnist.npz").write_bytes(b"garbage")
    monkeypatch.setenv("LOTTERY_NP_DATA", str(tmp_path))
    assert main(["fetch-mnist"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lottery-np: error: the MNIST cache") and "Delete" in err and "Traceback" not in err
