"""The IBM account: OS keyring or Qiskit's account file (0600), validation, redaction, and service failures
(bad token through the real QiskitRuntimeService, network errors from an injected factory)."""

import logging
import os
import stat

import pytest
import requests
from keyring.backend import KeyringBackend

from workbench.errors import UserError
from workbench.hardware.account import AccountStore
from workbench.hardware.errors import HardwareError
from workbench.hardware.redact import MASK, RedactingFilter, redact, register_secret
from workbench.hardware.service import connect

TOKEN = "QmtlTestKey-7f3a9c1e5b2d4f6a8c0e2b4d6f8a0c2e"  # 44 characters, the shape of an IBM Cloud API key


class MemoryKeyring(KeyringBackend):
    priority = 1

    def __init__(self):
        super().__init__()
        self.items = {}

    def get_password(self, service, username):
        return self.items.get((service, username))

    def set_password(self, service, username, password):
        self.items[(service, username)] = password

    def delete_password(self, service, username):
        self.items.pop((service, username), None)


def test_keyring_is_used_when_it_works(tmp_path):
    kr = MemoryKeyring()
    store = AccountStore(tmp_path / "cfg", keyring_backend=kr)
    acc = store.save(TOKEN, "ibm_quantum_platform", "my-instance")
    assert acc.storage == "keyring" and "MemoryKeyring" in acc.location
    assert kr.items[("qmtl-workbench", "ibm_quantum_platform")] == TOKEN
    assert not store.file_path.exists()
    assert TOKEN not in store.meta_path.read_text()
    loaded = store.load()
    assert loaded.token == TOKEN and loaded.instance == "my-instance" and loaded.storage == "keyring"
    assert TOKEN not in repr(loaded) and TOKEN not in str(loaded.public())
    store.delete()
    assert kr.items == {} and store.load() is None


def test_without_a_keyring_the_token_goes_to_qiskits_file_with_mode_0600(tmp_path):
    import keyring.backends.fail

    store = AccountStore(tmp_path / "cfg", keyring_backend=keyring.backends.fail.Keyring())
    acc = store.save(TOKEN, "ibm_cloud", "crn:v1:bluemix:public:quantum-computing:us-east:a/abc:def::", "us-east")
    assert acc.storage == "file" and acc.location == str(store.file_path)
    if os.name == "posix":
        assert stat.S_IMODE(store.file_path.stat().st_mode) == 0o600
        assert stat.S_IMODE(store.dir.stat().st_mode) == 0o700
    # it is Qiskit's own format: the runtime can read the account back from it
    from qiskit_ibm_runtime import QiskitRuntimeService

    saved = QiskitRuntimeService.saved_accounts(filename=str(store.file_path), name="qmtl-workbench")
    assert saved["qmtl-workbench"]["channel"] == "ibm_cloud"
    assert store.load().token == TOKEN and store.load().region == "us-east"
    assert TOKEN not in store.meta_path.read_text()
    removed = store.delete()
    assert any("qiskit-ibm.json" in r for r in removed) and not store.file_path.exists()


def test_this_machine_falls_back_to_the_file_when_its_keyring_fails(tmp_path):
    store = AccountStore(tmp_path / "cfg")  # the real keyring module: headless here, so 'fail'
    ok, name = store.keyring_usable()
    acc = store.save(TOKEN)
    assert acc.storage == ("keyring" if ok else "file"), name
    store.delete()


@pytest.mark.parametrize("kw, field", [
    ({"token": ""}, "token: empty"),
    ({"token": "has space inside it"}, "token: contains spaces"),
    ({"channel": "ibm_quantum"}, "--channel: 'ibm_quantum'"),
    ({"channel": "cloud"}, "--channel: unknown channel 'cloud'"),
    ({"channel": "ibm_cloud", "instance": None}, "--instance: the ibm_cloud channel needs"),
    ({"instance": "crn:v1:abc"}, "--instance: 'crn:v1:abc' is not a complete CRN"),
    ({"region": "mars"}, "--region: unknown region 'mars'"),
])
def test_bad_account_fields_are_named(tmp_path, kw, field):
    store = AccountStore(tmp_path / "cfg", keyring_backend=MemoryKeyring())
    args = {"token": TOKEN, "channel": "ibm_quantum_platform", "instance": None, "region": None, **kw}
    with pytest.raises(UserError) as e:
        store.save(**args)
    assert str(e.value).startswith(field) and "\n" not in str(e.value)
    assert TOKEN not in str(e.value) and "has space" not in str(e.value)


def test_environment_variables_are_read_when_nothing_is_saved(tmp_path, monkeypatch):
    monkeypatch.setenv("QISKIT_IBM_TOKEN", TOKEN)
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", "inst")
    acc = AccountStore(tmp_path / "cfg", keyring_backend=MemoryKeyring()).load()
    assert acc.storage == "environment" and acc.token == TOKEN and acc.instance == "inst"


def test_redaction_of_text_and_log_records():
    register_secret("s3cr3t-value-xyz")
    assert redact("here: s3cr3t-value-xyz.") == f"here: {MASK}."
    assert MASK in redact("token=abcdef123") and "abcdef123" not in redact("token=abcdef123")
    assert "abc" not in redact('{"apikey": "abc123def"}')
    assert "eyJhbGciOi" not in redact("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.x.y")
    assert redact(f"key {TOKEN} end") == f"key {MASK} end"
    job = "d1f2a3b4c5e6f7a8b9c0"  # job ids and run ids stay readable
    assert redact(f"job {job} run 20260101-1200-abcdef") == f"job {job} run 20260101-1200-abcdef"
    rec = logging.LogRecord("x", logging.WARNING, __file__, 1, "using %s now", ("s3cr3t-value-xyz",), None)
    RedactingFilter().filter(rec)
    assert rec.getMessage() == f"using {MASK} now"


def test_bad_token_through_the_real_service_constructor_is_a_status_line(caplog):
    """Runtime 0.51 validates the key against IBM Cloud while constructing the service; offline, or with a
    rejected key, that fails. Either way: one line, status 'account' or 'network', no token, no traceback."""
    from workbench.hardware.account import Account

    caplog.set_level(logging.DEBUG)
    acc = Account("ibm_quantum_platform", "my-instance", TOKEN)
    with pytest.raises(HardwareError) as e:
        connect(acc)
    assert e.value.status in ("account", "network") and "\n" not in str(e.value)
    assert str(e.value).startswith(("account:", "network:"))
    assert TOKEN not in str(e.value) and TOKEN not in caplog.text
    # a malformed CRN makes runtime 0.51 raise AttributeError inside the constructor: still a status line
    with pytest.raises(HardwareError) as e2:
        connect(Account("ibm_quantum_platform", "crn:v1:abc", TOKEN))
    assert e2.value.status in ("service", "account", "network") and TOKEN not in str(e2.value)


def test_network_error_from_the_service_factory():
    from workbench.hardware.account import Account

    def offline(account):
        raise requests.ConnectionError(f"HTTPSConnectionPool(host='iam.cloud.ibm.com') apikey={account.token}")

    with pytest.raises(HardwareError) as e:
        connect(Account("ibm_quantum_platform", None, TOKEN), factory=offline)
    assert e.value.status == "network" and str(e.value).startswith("network: cannot reach IBM Quantum")
    assert TOKEN not in str(e.value) and "--local" in str(e.value)

    class Unauthorized(Exception):
        pass

    Unauthorized.__name__ = "IBMNotAuthorizedError"

    def rejects(account):
        raise Unauthorized(f"401 Client Error for token {account.token}")

    with pytest.raises(HardwareError) as e:
        connect(Account("ibm_quantum_platform", None, TOKEN), factory=rejects)
    assert e.value.status == "account" and TOKEN not in str(e.value)


def test_local_service_lists_fake_backends_with_queue_lengths():
    p = connect(local=True)
    infos = {b.name: b for b in p.backends()}
    assert len(infos) >= 60
    m = infos["fake_manila"]
    assert m.num_qubits == 5 and m.pending_jobs == 0 and m.two_qubit_gates == ("cx",) and m.local
    assert infos["fake_guadalupe"].num_qubits == 16
    for name in ("fake_manila", "FakeManilaV2", "manila"):
        assert p.backend(name).name == "fake_manila"
    with pytest.raises(HardwareError, match="--backend: no fake backend 'fake_nowhere'"):
        p.backend("fake_nowhere")
