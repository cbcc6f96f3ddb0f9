"""``qmtl hardware account``: ``show --json`` prints the token's state (not a masked word), and ``set --check``
never keeps an account whose check failed."""

import io
import json
import sys

import pytest

from workbench.cli import main
from workbench.hardware.account import AccountStore
from workbench.hardware.redact import redact

TOKEN = "QmtlShowKey-0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"
OTHER = "QmtlOtherKey-9f8e7d6c5b4a39281706f5e4d3c2b1a0"


@pytest.fixture
def env(tmp_path, monkeypatch):
    import workbench.commands.hardware as hw

    monkeypatch.setenv("QMTL_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("QISKIT_IBM_TOKEN", raising=False)
    monkeypatch.setattr(hw, "SERVICE_FACTORY", None)
    return tmp_path


def _set(monkeypatch, capsys, token, *extra):
    monkeypatch.setattr(sys, "stdin", io.StringIO(token + "\n"))
    capsys.readouterr()
    code = main(["hardware", "account", "set", "--instance", "my-instance", *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_show_json_says_the_token_is_set(env, monkeypatch, capsys):
    assert _set(monkeypatch, capsys, TOKEN)[0] == 0
    assert main(["hardware", "account", "show", "--json"]) == 0
    out = capsys.readouterr().out
    info = json.loads(out)
    assert info["token"] == f"set ({len(TOKEN)} characters, hidden)"
    assert TOKEN not in out
    # the redactor still masks real values after the same key
    assert redact('"token": "set-abc123"') == '"token": "[REDACTED]"'
    assert redact("token=missing-1234") == "token=[REDACTED]"


def test_failed_check_keeps_no_account_and_the_old_one_stays(env, monkeypatch, capsys):
    import workbench.commands.hardware as hw

    assert _set(monkeypatch, capsys, TOKEN)[0] == 0

    def refusing(account):
        raise PermissionError("401 Unauthorized: the API key was not accepted")

    monkeypatch.setattr(hw, "SERVICE_FACTORY", refusing)
    code, out, err = _set(monkeypatch, capsys, OTHER, "--check")
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "account saved" not in out and OTHER not in out + err
    kept = AccountStore().load()
    assert kept is not None and kept.token == TOKEN  # the failed one was not saved over it


def test_failed_check_with_nothing_saved_leaves_nothing(env, monkeypatch, capsys):
    import workbench.commands.hardware as hw

    monkeypatch.setattr(hw, "SERVICE_FACTORY", lambda account: (_ for _ in ()).throw(OSError("offline")))
    code, _, err = _set(monkeypatch, capsys, OTHER, "--check")
    assert code == 2 and AccountStore().load() is None


def test_passing_check_saves(env, monkeypatch, capsys):
    import workbench.commands.hardware as hw

    class Service:
        def __init__(self, account):
            self.account = account

        def backends(self, *a, **kw):
            return []

    monkeypatch.setattr(hw, "SERVICE_FACTORY", Service)
    code, out, err = _set(monkeypatch, capsys, TOKEN, "--check")
    assert code == 0, err
    assert "account checked" in out and AccountStore().load().token == TOKEN
