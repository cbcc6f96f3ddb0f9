"""``qmtl hardware``: IBM Quantum account, backends, pre-flight, runs, jobs and cancel.

With ``--local``, or when no account is set, everything runs in qiskit-ibm-runtime's local testing mode on the
fake backends (Aer with each device's noise model); error-mitigation options are then ignored by the runtime,
and the report says which. Heavy imports (Qiskit, torch) happen inside the handlers, so ``qmtl --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from workbench.errors import UserError
from workbench.spec.bounds import MAX_SEED, user_float, user_int

# Injected by tests (a callable Account -> service); None means QiskitRuntimeService itself.
SERVICE_FACTORY = None


def register(sub) -> None:
    p = sub.add_parser("hardware", help="IBM Quantum: account, backends, pre-flight, runs and jobs",
                       description="Run trained QMTL heads on IBM Quantum through runtime V2 primitives, or in "
                                   "local testing mode on fake backends (--local, or when no account is set).")
    p.add_argument("--runs-dir", default=None, help="runs folder (default: $QMTL_RUNS_DIR or ./runs)")
    ss = p.add_subparsers(dest="hardware_command", metavar="SUBCOMMAND")

    def add(name: str, help: str) -> argparse.ArgumentParser:
        sp = ss.add_parser(name, help=help, description=help)
        sp.add_argument("--runs-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        return sp

    acc = add("account", "set, show or delete the IBM Quantum account (token kept in the OS keyring)")
    acc_sub = acc.add_subparsers(dest="account_command", metavar="ACTION")
    a_set = acc_sub.add_parser("set", help="save the account; the token is read from the terminal (hidden) or "
                                           "from standard input, never from the command line")
    a_set.add_argument("--channel", default="ibm_quantum_platform", help="ibm_quantum_platform (default) or ibm_cloud")
    a_set.add_argument("--instance", default=None, help="instance CRN or name (required for ibm_cloud)")
    a_set.add_argument("--region", default=None, help="us-east or eu-de")
    a_set.add_argument("--check", action="store_true", help="also open the service once to check the account")
    a_show = acc_sub.add_parser("show", help="where the account is kept (never the token)")
    a_show.add_argument("--json", action="store_true")
    acc_sub.add_parser("delete", help="remove the account from the keyring and the account file")

    sp = add("backends", "backends with qubit counts and queue lengths")
    sp.add_argument("--local", action="store_true", help="local testing mode's fake backends")
    sp.add_argument("--min-qubits", type=user_int("min_qubits", 0, 10**6), default=None)
    sp.add_argument("--json", action="store_true")

    for name, help in (("preflight", "estimate depth, two-qubit gates, shots and QPU time; submits nothing"),
                       ("run", "run a trained QMTL run's test samples on a backend and store per-task accuracy")):
        sp = add(name, help)
        sp.add_argument("run", metavar="RUN", help="run id or unique prefix")
        sp.add_argument("--backend", required=True, help="backend name (local: fake_manila, FakeManilaV2, manila)")
        sp.add_argument("--local", action="store_true", help="local testing mode (fake backends)")
        sp.add_argument("--shots", type=int, default=1024)
        sp.add_argument("--samples", type=int, default=64,
                        help="test rows to evaluate (default 64)")
        sp.add_argument("--mode", default="job", choices=("job", "batch", "session"))
        sp.add_argument("--resilience-level", type=int, default=None,
                        help="0, 1 or 2 (default: the service's, 1)")
        sp.add_argument("--measure-mitigation", choices=("on", "off"), default=None, help="TREX on or off")
        sp.add_argument("--zne", action="store_true", help="zero-noise extrapolation (<Z> readouts)")
        sp.add_argument("--dd", action="store_true", help="dynamical decoupling")
        sp.add_argument("--dd-sequence", default="XpXm", help="XX, XpXm (default) or XY4")
        sp.add_argument("--optimization-level", type=int, default=2)
        sp.add_argument("--finetune", choices=("spsa", "shift"), default=None,
                        help="fine-tune the head's angles on the backend first")
        sp.add_argument("--steps", type=int, default=10,
                        help="fine-tuning steps (one job each)")
        sp.add_argument("--batch", type=int, default=8, help="fine-tuning samples per step")
        sp.add_argument("--lr", type=float, default=0.2,
                        help="fine-tuning step size (SPSA: gain a)")
        sp.add_argument("--json", action="store_true")
        if name == "run":
            sp.add_argument("--yes", action="store_true", help="submit without asking")
            sp.add_argument("--timeout", type=float, default=None,
                            help="stop waiting after this many seconds "
                                                                        "(the job ids stay recorded)")
            sp.add_argument("--seed", type=user_int("seed", 0, MAX_SEED), default=None,
                            help="simulator seed (local testing mode)")

    sp = add("jobs", "hardware jobs recorded in the run store")
    sp.add_argument("run", metavar="RUN", nargs="?", help="only this run's jobs")
    sp.add_argument("--reattach", action="store_true", help="refresh pending jobs and collect finished results")
    sp.add_argument("--wait", type=user_float("wait", 0.0, 1e7), default=0.0,
                    help="with --reattach: seconds to wait for pending jobs")
    sp.add_argument("--local", action="store_true", help="do not open IBM's service")
    sp.add_argument("--json", action="store_true")

    sp = add("cancel", "cancel a pending job")
    sp.add_argument("job", metavar="JOB", help="job id")
    sp.add_argument("--local", action="store_true", help="do not open IBM's service")

    p.set_defaults(func=handler)


def handler(args) -> int:
    command = getattr(args, "hardware_command", None)
    if not command:
        raise UserError("hardware: give a subcommand (account, backends, preflight, run, jobs, cancel)")
    from workbench.hardware.redact import install_log_redaction

    install_log_redaction()
    return _HANDLERS[command](args)


def _err(text: str) -> None:
    from workbench.hardware.redact import redact

    print(redact(text), file=sys.stderr)


def _out(text: str) -> None:
    from workbench.hardware.redact import redact

    print(redact(text))


# --------------------------------------------------------------------------------------------- account
def _account_store():
    from workbench.hardware.account import AccountStore

    return AccountStore()


def _read_token() -> str:
    stdin = sys.stdin
    if stdin is not None and stdin.isatty():
        import getpass

        return getpass.getpass("IBM Cloud API key (hidden): ")
    if stdin is None:
        raise UserError("token: no terminal or standard input to read the token from")
    line = stdin.readline()
    if not line.strip():
        raise UserError("token: nothing on standard input (pipe the API key in, or run in a terminal)")
    return line.strip()


def cmd_account(args) -> int:
    action = getattr(args, "account_command", None)
    if action not in ("set", "show", "delete"):
        raise UserError("account: give an action (set, show, delete)")
    store = _account_store()
    if action == "set":
        from workbench.hardware.account import check_channel, check_instance, check_region

        check_channel(args.channel)  # field errors before asking for a secret
        check_instance(args.instance, args.channel)
        check_region(args.region)
        token = _read_token()
        if args.check:
            # check first: an account whose check fails is never saved (and the one saved before stays)
            from workbench.hardware.account import Account, check_token

            candidate = Account(check_channel(args.channel), check_instance(args.instance, args.channel),
                                check_token(token), check_region(args.region), "unsaved", "")
            provider = _connect(local=False, account=candidate)
            n = len(provider.backends())
            _out(f"account checked: {n} backends visible on {candidate.channel}")
        account = store.save(token, args.channel, args.instance, args.region)
        if account.storage == "keyring":
            _out(f"account saved: channel {account.channel}, instance {account.instance or '-'}; token in the OS "
                 f"keyring ({account.location})")
        else:
            _, why = store.keyring_usable()
            _out(f"account saved: channel {account.channel}, instance {account.instance or '-'}; no working OS "
                 f"keyring here ({why}), so the token is in Qiskit's account file {account.location} (mode 0600)")
        return 0
    if action == "show":
        account = store.load()
        if account is None:
            if getattr(args, "json", False):
                print(json.dumps(None))
            else:
                _out("no IBM Quantum account set (qmtl hardware account set); hardware commands use local testing "
                     "mode")
            return 0
        info = account.public()
        if args.json:
            _out(json.dumps(info, indent=2))
        else:
            for k in ("channel", "instance", "region", "storage", "location", "token"):
                _out(f"{k:<9} {info[k] if info[k] is not None else '-'}")
        return 0
    removed = store.delete()
    _out("removed: " + "; ".join(removed) if removed else "no account was saved")
    return 0


# ------------------------------------------------------------------------------------------- providers
def _connect(local: bool, account=None):
    from workbench.hardware.redact import install_log_redaction
    from workbench.hardware.service import connect

    if local:
        provider = connect(local=True)
    else:
        if account is None:
            account = _account_store().load()
        if account is None:
            _err("no IBM Quantum account set: using local testing mode (fake backends); set one with "
                 "`qmtl hardware account set`")
            provider = connect(local=True)
        else:
            provider = connect(account, factory=SERVICE_FACTORY)
    install_log_redaction()  # again: Qiskit's runtime adds its own log handler when first imported
    return provider


def cmd_backends(args) -> int:
    provider = _connect(args.local)
    if args.min_qubits is not None and args.min_qubits < 1:
        raise UserError(f"--min-qubits: must be >= 1, got {args.min_qubits}")
    infos = provider.backends(args.min_qubits)
    if args.json:
        _out(json.dumps([i.as_dict() for i in infos], indent=2))
        return 0
    from workbench.runs.table import render_table

    where = "local testing mode (fake backends, Aer with each device's noise model)" if provider.local \
        else f"IBM Quantum ({provider.channel})"
    _out(f"{len(infos)} backends, {where}")
    _out(render_table(["name", "qubits", "queue", "operational", "2q gates"],
                      [[i.name, i.num_qubits, i.pending_jobs, i.operational, ",".join(i.two_qubit_gates)]
                       for i in infos]))
    return 0


# -------------------------------------------------------------------------------------- preflight / run
def _store(args):
    from workbench.runs.store import DB_NAME, RunStore, default_runs_dir

    root = Path(args.runs_dir).expanduser() if args.runs_dir else default_runs_dir()
    if not (root / DB_NAME).exists():
        raise UserError(f"--runs-dir: no runs in {root}")
    return RunStore(root)


def _settings(args):
    from workbench.hardware.mitigation import Mitigation
    from workbench.hardware.preflight import FineTune
    from workbench.hardware.qmtl import HardwareSettings

    mm = None if args.measure_mitigation is None else args.measure_mitigation == "on"
    mitigation = Mitigation(resilience_level=args.resilience_level, measure_mitigation=mm, zne=args.zne,
                            dd=args.dd, dd_sequence=args.dd_sequence).check()
    ft = FineTune(args.finetune, args.steps, args.batch, args.lr).check() if args.finetune else None
    if args.optimization_level not in (0, 1, 2, 3):
        raise UserError(f"--optimization-level: must be 0..3, got {args.optimization_level}")
    timeout = getattr(args, "timeout", None)
    if timeout is not None and not timeout > 0:
        raise UserError(f"--timeout: must be > 0 seconds, got {timeout}")
    return HardwareSettings(args.backend, mode=args.mode, shots=args.shots, samples=args.samples,
                            optimization_level=args.optimization_level, mitigation=mitigation, finetune=ft,
                            deadline_s=timeout, seed=getattr(args, "seed", None)).check()


def _plan(args):
    from workbench.hardware.qmtl import make_plan

    settings = _settings(args)
    store = _store(args)
    run_id = store.resolve(args.run)
    provider = _connect(args.local)
    plan = make_plan(store, run_id, provider, settings)
    plan.preflight.notes.extend(provider.notes_for(plan.backend.name))
    return store, provider, plan


def cmd_preflight(args) -> int:
    _, _, plan = _plan(args)
    if args.json:
        _out(json.dumps(plan.preflight.as_dict(), indent=2))
    else:
        _out(f"run {plan.run_id}: {len(plan.isa_tasks)} task circuits, {plan.rows[1]} test samples")
        _out(plan.preflight.render())
    return 0


def _confirm(plan) -> None:
    stdin = sys.stdin
    if stdin is None or not stdin.isatty():
        raise UserError("--yes: no terminal to confirm on; re-run with --yes to submit without asking")
    where = "local testing mode" if plan.local else "IBM Quantum"
    answer = input(f"submit to {plan.backend.name} ({where}), estimated QPU time "
                   f"{plan.preflight.total_qpu_s:.1f} s? [y/N] ")
    if answer.strip().lower() not in ("y", "yes"):
        raise UserError("run: not submitted (answer was not yes)")


def cmd_run(args) -> int:
    from workbench.hardware.qmtl import execute_plan

    store, _provider, plan = _plan(args)
    if not args.json:
        _out(plan.preflight.render())
    if not args.yes:
        _confirm(plan)
    report = execute_plan(store, plan, on_event=_err)
    if args.json:
        _out(json.dumps(report.as_dict(), indent=2, default=str))
        return 0
    _out(f"run {report.run_id} on {report.backend} ({'local testing mode' if report.local else 'IBM Quantum'}), "
         f"{report.samples} samples x {report.shots} shots, {report.wall_s:.1f} s")
    _out(f"{'task':<14} {'hardware acc':>12} {'simulator acc':>13}")
    for task, m in report.accuracy.items():
        _out(f"{task:<14} {m['accuracy']:>12.3f} {report.ideal_accuracy.get(task, float('nan')):>13.3f}")
    _out(f"{'mean':<14} {report.mean_accuracy:>12.3f}")
    if report.ignored_in_local_mode:
        _out("local testing mode ignored these settings (they apply on IBM hardware only):")
        for w in report.ignored_in_local_mode:
            _out(f"  {w}")
    _out(f"jobs: {', '.join(report.jobs)}; stored as metrics split hardware:{report.backend}")
    return 0


# ------------------------------------------------------------------------------------------ jobs/cancel
def _maybe_provider(args):
    """IBM's service only when needed and possible; jobs and cancel work offline from the store otherwise."""
    if args.local:
        return None
    account = _account_store().load()
    if account is None:
        return None
    return _connect(False, account)


def cmd_jobs(args) -> int:
    store = _store(args)
    run_id = store.resolve(args.run) if args.run else None
    notes = {}
    if args.reattach:
        from workbench.hardware.qmtl import reattach_run

        remote = any(not j.meta.get("local") and j.pending for j in store.jobs(run_id))
        provider = _maybe_provider(args) if remote else None
        if args.wait < 0:
            raise UserError(f"--wait: must be >= 0 seconds, got {args.wait}")
        for r in reattach_run(store, run_id, provider=provider, deadline_s=args.wait):
            notes[r.job_id] = r.source or r.message
    rows = store.jobs(run_id)
    if args.json:
        from workbench.hardware.execute import job_rows_json

        _out(job_rows_json(rows))
        return 0
    if not rows:
        _out("no hardware jobs recorded" + (f" for run {run_id}" if run_id else ""))
        return 0
    from workbench.runs.table import format_time, render_table

    table = [[r.job_id, r.run_id, r.backend, r.status, r.meta.get("purpose", "-"),
              sum((r.meta.get("bindings") or {}).values()), format_time(r.created),
              notes.get(r.job_id) or r.meta.get("error") or r.meta.get("note") or ""] for r in rows]
    _out(render_table(["job", "run", "backend", "status", "purpose", "bindings", "created", "note"], table))
    return 0


def cmd_cancel(args) -> int:
    from workbench.hardware.execute import cancel_job

    store = _store(args)
    row = next((j for j in store.jobs() if j.job_id == args.job), None)
    provider = _maybe_provider(args) if row is not None and not row.meta.get("local") and row.pending else None
    _out(cancel_job(store, args.job, provider))
    return 0


_HANDLERS = {"account": cmd_account, "backends": cmd_backends, "preflight": cmd_preflight, "run": cmd_run,
             "jobs": cmd_jobs, "cancel": cmd_cancel}
