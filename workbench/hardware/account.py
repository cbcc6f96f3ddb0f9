"""The IBM Quantum account: kept in the OS keyring, or in Qiskit's account file (mode 0600) where none works.

What is stored where:

- the token (an IBM Cloud API key) goes to the OS keyring (service ``qmtl-workbench``) when a keyring backend
  works; on a machine without one (a headless Linux box has none) it goes to Qiskit's own account file,
  ``<config dir>/qiskit-ibm.json``, written through ``QiskitRuntimeService.save_account(filename=...)`` with
  the file created 0600 and its folder 0700. ``Account.storage`` says which was used.
- the channel, instance and region (not secrets) go to ``<config dir>/ibm-account.json`` with the storage used.
- ``QISKIT_IBM_TOKEN`` / ``QISKIT_IBM_CHANNEL`` / ``QISKIT_IBM_INSTANCE`` are read when nothing is saved.

The token is never written to run records, logs or exceptions: ``Account`` hides it from ``repr``, every
message passes through ``redact`` and the token is registered as a secret the moment it is read.
The config dir is ``$QMTL_CONFIG_DIR``, else the platform's per-user config folder + ``qmtl-workbench``.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from workbench.errors import UserError
from workbench.hardware.errors import describe
from workbench.hardware.redact import register_secret

CHANNELS = ("ibm_quantum_platform", "ibm_cloud")
REGIONS = ("us-east", "eu-de")
KEYRING_SERVICE = "qmtl-workbench"
QISKIT_ACCOUNT_NAME = "qmtl-workbench"
META_FILE = "ibm-account.json"
QISKIT_FILE = "qiskit-ibm.json"


def config_dir() -> Path:
    env = os.environ.get("QMTL_CONFIG_DIR")
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "qmtl-workbench"


@dataclass(frozen=True)
class Account:
    channel: str
    instance: str | None
    token: str = field(repr=False)
    region: str | None = None
    storage: str = ""  # "keyring" | "file" | "environment"
    location: str = ""  # the keyring backend, or the file's path

    def public(self) -> dict:
        """Everything about the account that may be shown or stored: no token, only whether one is set."""
        return {"channel": self.channel, "instance": self.instance, "region": self.region,
                "storage": self.storage, "location": self.location,
                "token": f"set ({len(self.token)} characters, hidden)" if self.token else "missing"}


# ------------------------------------------------------------------------------------------ validation
def check_channel(channel: str) -> str:
    if channel == "ibm_quantum":
        raise UserError("--channel: 'ibm_quantum' (IBM Quantum Platform Classic) was retired on 1 July 2025; "
                        f"use one of {', '.join(CHANNELS)}")
    if channel not in CHANNELS:
        raise UserError(f"--channel: unknown channel {channel!r} (valid: {', '.join(CHANNELS)})")
    return channel


def check_token(token: str | None) -> str:
    """The token, stripped; never echoed in the error (a mistyped key is still mostly a key)."""
    if token is None or not isinstance(token, str):
        raise UserError("token: no token given")
    t = token.strip()
    if not t:
        raise UserError("token: empty")
    if any(c.isspace() for c in t) or not t.isprintable():
        raise UserError(f"token: contains spaces or control characters ({len(t)} characters read); paste the "
                        "IBM Cloud API key alone")
    if not 8 <= len(t) <= 512:
        raise UserError(f"token: {len(t)} characters is not the length of an IBM Cloud API key")
    return t


def check_instance(instance: str | None, channel: str) -> str | None:
    if instance is None or not str(instance).strip():
        if channel == "ibm_cloud":
            raise UserError("--instance: the ibm_cloud channel needs the instance's CRN (crn:v1:bluemix:...)")
        return None
    inst = str(instance).strip()
    if any(c.isspace() for c in inst):
        raise UserError(f"--instance: {inst!r} contains spaces")
    if inst.startswith("crn:") and len(inst.split(":")) < 8:
        raise UserError(f"--instance: {inst!r} is not a complete CRN (crn:v1:bluemix:public:quantum-computing:"
                        "REGION:a/ACCOUNT:INSTANCE::)")
    return inst


def check_region(region: str | None) -> str | None:
    if region in (None, ""):
        return None
    if region not in REGIONS:
        raise UserError(f"--region: unknown region {region!r} (valid: {', '.join(REGIONS)})")
    return region


# ---------------------------------------------------------------------------------------------- store
class AccountStore:
    """Saves, loads and deletes the one IBM account of this user. ``keyring_backend`` is for tests."""

    def __init__(self, directory: str | Path | None = None, keyring_backend=None):
        self.dir = Path(directory).expanduser() if directory else config_dir()
        self._backend = keyring_backend

    @property
    def meta_path(self) -> Path:
        return self.dir / META_FILE

    @property
    def file_path(self) -> Path:
        return self.dir / QISKIT_FILE

    # -- keyring
    def _keyring(self):
        if self._backend is not None:
            return self._backend
        import keyring

        return keyring.get_keyring()

    def keyring_usable(self) -> tuple[bool, str]:
        """(usable, backend name). The 'fail' and 'null' backends of ``keyring`` store nothing."""
        try:
            kr = self._keyring()
        except Exception as exc:  # a broken keyring install must not stop the file fallback
            return False, describe(exc)
        name = f"{type(kr).__module__}.{type(kr).__name__}"
        if type(kr).__module__.startswith(("keyring.backends.fail", "keyring.backends.null")):
            return False, name
        return True, name

    def _keyring_set(self, username: str, token: str) -> tuple[bool, str]:
        ok, name = self.keyring_usable()
        if not ok:
            return False, name
        try:
            self._keyring().set_password(KEYRING_SERVICE, username, token)
            if self._keyring().get_password(KEYRING_SERVICE, username) != token:
                return False, f"{name} (read-back mismatch)"
        except Exception as exc:  # locked or unavailable keyring: fall back to the file
            return False, f"{name} ({type(exc).__name__})"
        return True, name

    # -- files
    def _prepare_dir(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        if os.name == "posix":
            os.chmod(self.dir, 0o700)

    def _touch_private(self, path: Path) -> None:
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
        if os.name == "posix":
            os.chmod(path, 0o600)
        if path.stat().st_size == 0:
            path.write_text("{}", encoding="utf-8")

    def _write_meta(self, meta: dict) -> None:
        self._prepare_dir()
        tmp = self.meta_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        if os.name == "posix":
            os.chmod(tmp, 0o600)  # no secret in it, but nobody else needs to read which account this is
        os.replace(tmp, self.meta_path)

    def _save_file(self, token: str, channel: str, instance: str | None, region: str | None) -> None:
        from qiskit_ibm_runtime import QiskitRuntimeService

        self._prepare_dir()
        self._touch_private(self.file_path)  # Qiskit rewrites the file in place, so the mode stays 0600
        try:
            QiskitRuntimeService.save_account(token=token, channel=channel, instance=instance, region=region,
                                              filename=str(self.file_path), name=QISKIT_ACCOUNT_NAME,
                                              overwrite=True)
        except Exception as exc:
            raise UserError(f"account: Qiskit refused to save it ({describe(exc)})") from None
        finally:
            if os.name == "posix" and self.file_path.exists():
                os.chmod(self.file_path, 0o600)

    # -- public
    def save(self, token: str, channel: str = "ibm_quantum_platform", instance: str | None = None,
             region: str | None = None) -> Account:
        channel = check_channel(channel)
        token = check_token(token)
        register_secret(token)
        instance = check_instance(instance, channel)
        region = check_region(region)
        self.delete()  # one account: a new one replaces the old wherever that was kept
        ok, backend = self._keyring_set(channel, token)
        if ok:
            storage, location = "keyring", backend
        else:
            self._save_file(token, channel, instance, region)
            storage, location = "file", str(self.file_path)
        self._write_meta({"channel": channel, "instance": instance, "region": region, "storage": storage,
                          "location": location, "keyring_service": KEYRING_SERVICE,
                          "keyring_unavailable": None if ok else backend})
        return Account(channel, instance, token, region, storage, location)

    def load(self) -> Account | None:
        """The saved account (token read from where it was kept), else one from QISKIT_IBM_* variables."""
        if self.meta_path.exists():
            try:
                meta = json.loads(self.meta_path.read_text(encoding="utf-8"))
                channel, storage = meta["channel"], meta["storage"]
            except (OSError, ValueError, KeyError) as exc:
                raise UserError(f"account: {self.meta_path} is unreadable ({describe(exc)}); run "
                                "`qmtl hardware account delete` and set it again") from None
            token = self._read_token(channel, storage)
            if token is None:
                raise UserError(f"account: the token is missing from the {storage} "
                                f"({meta.get('location', '')}); run `qmtl hardware account set` again")
            register_secret(token)
            return Account(channel, meta.get("instance"), token, meta.get("region"), storage,
                           meta.get("location", ""))
        env_token = os.environ.get("QISKIT_IBM_TOKEN")
        if env_token:
            register_secret(env_token)
            channel = os.environ.get("QISKIT_IBM_CHANNEL") or "ibm_quantum_platform"
            return Account(check_channel(channel), os.environ.get("QISKIT_IBM_INSTANCE"), check_token(env_token),
                           None, "environment", "QISKIT_IBM_TOKEN")
        return None

    def _read_token(self, channel: str, storage: str) -> str | None:
        if storage == "keyring":
            try:
                return self._keyring().get_password(KEYRING_SERVICE, channel)
            except Exception as exc:
                raise UserError(f"account: the keyring cannot be read ({describe(exc)})") from None
        if storage == "file":
            try:
                data = json.loads(self.file_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return None
            return (data.get(QISKIT_ACCOUNT_NAME) or {}).get("token")
        return None

    def delete(self) -> list[str]:
        """Remove the account from the keyring, the account file and the metadata; returns what was removed."""
        removed = []
        ok, name = self.keyring_usable()
        if ok:
            for channel in CHANNELS:
                try:
                    if self._keyring().get_password(KEYRING_SERVICE, channel) is not None:
                        self._keyring().delete_password(KEYRING_SERVICE, channel)
                        removed.append(f"keyring {name} ({channel})")
                except Exception:  # nothing stored there, or the keyring went away: nothing to remove
                    pass
        if self.file_path.exists():
            try:
                data = json.loads(self.file_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = None
            if isinstance(data, dict) and QISKIT_ACCOUNT_NAME in data:
                del data[QISKIT_ACCOUNT_NAME]
            if not data:
                self.file_path.unlink()
            else:
                self.file_path.write_text(json.dumps(data, indent=4, sort_keys=True), encoding="utf-8")
            removed.append(f"file {self.file_path}")
        if self.meta_path.exists():
            self.meta_path.unlink()
            removed.append(f"file {self.meta_path}")
        return removed
