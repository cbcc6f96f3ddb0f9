"""The one top-level handler: bad input exit 2, Ctrl-C at any moment 130, a bug exit 1 with a traceback log."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import workbench
from workbench.cli import main
from workbench.errors import UserError
from workbench.spec.examples import small_synthetic_text
from workbench.toplevel import guarded

REPO = Path(workbench.__file__).resolve().parent.parent


def test_user_error_is_one_escaped_line(capsys):
    def bad():
        raise UserError("field: value 'a\x1b[31m\u202e\nb'" + "x" * 5000)

    assert guarded("qmtl x", bad) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "\x1b" not in err and "\u202e" not in err and len(err) < 800


def test_a_bug_is_exit_1_with_a_log_of_its_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("QMTL_LOG_DIR", str(tmp_path / "logs"))
    import workbench.commands.params as params

    def broken(args):
        raise ZeroDivisionError("a genuine bug")

    monkeypatch.setattr(params, "run", broken)
    code = main(["params", "whatever.toml"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert "internal error ZeroDivisionError: a genuine bug" in err
    (log,) = (tmp_path / "logs").iterdir()
    assert str(log) in err and "Traceback" in log.read_text() and "def broken" not in err


def test_argument_errors_are_one_line(capsys):
    code = main(["train", "--seed", "x" * 10000])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and len(err) < 400


def _env():
    return dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")


# The interpreter itself (before any workbench code runs) is out of reach, so the clock starts when it is up:
# the wrapper prints "go" and then runs ``python -m workbench.cli`` exactly as runpy does.
LAUNCH = ("import runpy, sys; sys.stdout.write('go\\n'); sys.stdout.flush(); "
          "sys.argv = ['qmtl'] + sys.argv[1:]; runpy.run_module('workbench.cli', run_name='__main__')")


@pytest.mark.parametrize("delay", [0.02, 0.1, 0.3, 0.6, 1.0, 2.0, 4.0])
def test_ctrl_c_at_any_moment_of_start_up_is_130_and_one_line(tmp_path, delay):
    spec = tmp_path / "s.toml"
    # long enough to be still training at the last delay (4 s): the engine finishes 50 of these epochs in about 2 s
    spec.write_text(small_synthetic_text(samples=2000, epochs=1000))
    proc = subprocess.Popen([sys.executable, "-c", LAUNCH, "train", str(spec), "--runs-dir", str(tmp_path / "runs")],
                            env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "go\n"
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, (proc.returncode, err[-2000:])
    assert "Traceback" not in err, err[-2000:]
    lines = err.strip().splitlines()
    # before training starts: exactly one line; once it runs, the cancel is reported on stdout with the resume hint
    if "resume with" not in out:
        assert len(lines) == 1 and "interrupted" in lines[0], err[-500:]


def test_workbench_entry_runs_under_the_handler(tmp_path):
    # the GUI entry's argument errors and a missing file go through the same handler, before Qt is imported
    run = subprocess.run([sys.executable, "-m", "workbench", "--theme", "plaid"], env=_env(), capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 2 and "Traceback" not in run.stderr


def test_a_ctrl_c_that_c_code_turned_into_another_error_is_still_an_interrupt(capsys, monkeypatch):
    # numpy's import, hit by Ctrl-C, fails with "PyCapsule_Import could not import module datetime"
    import workbench.toplevel as top

    monkeypatch.setattr(top, "_sigint_seen", False)

    def import_numpy_hit_by_ctrl_c():
        try:
            top._keyboard_interrupt(2, None)
        except KeyboardInterrupt as exc:
            raise ImportError("Importing the numpy C-extensions failed") from exc

    assert top.guarded("qmtl train", import_numpy_hit_by_ctrl_c) == 130
    assert capsys.readouterr().err.strip() == "qmtl train: interrupted"
    monkeypatch.setattr(top, "_sigint_seen", False)
    assert top.guarded("qmtl train", lambda: 1 / 0) == 1  # without a Ctrl-C an error stays an error
