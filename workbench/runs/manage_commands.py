"""``qmtl runs table | rename | delete | restore | trash``: the metrics table, names and the trash."""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
from collections.abc import Callable

from workbench.runs.errors import RunStoreError
from workbench.runs.metrics_table import filter_rows, metrics_table, sort_rows
from workbench.runs.naming import rename, run_label
from workbench.runs.records import json_safe
from workbench.runs.store import RunStore
from workbench.runs.table import format_time, render_table, render_transposed, table_width
from workbench.runs.trash import TRASH_DAYS, move_to_trash, purge_expired, restore, trashed_runs


def register(add: Callable[[str, str], argparse.ArgumentParser]) -> None:
    sp = add("table", "metrics of runs side by side: test metrics, head and circuit size, wall time, noise")
    sp.add_argument("--sort", metavar="COL", help="column key or title to sort by (runs without a value last)")
    sp.add_argument("--desc", action="store_true", help="sort descending")
    sp.add_argument("--filter", metavar="EXPR", default="",
                    help="terms that must all hold: COLUMN<op>VALUE (= != < <= > >=) or a word in the row, "
                         "e.g. 'head=qmtl mean_accuracy>0.8'")
    sp.add_argument("--tag", help="only runs with this tag")
    out = sp.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print JSON")
    out.add_argument("--csv", action="store_true", help="print CSV")

    sp = add("rename", "give a run a new name (its id and files stay)")
    sp.add_argument("run", help="run id or a unique prefix of it")
    sp.add_argument("name", nargs="+", metavar="NAME")

    sp = add("delete", f"move runs to the trash (kept {TRASH_DAYS} days; `qmtl runs restore` brings them back)")
    sp.add_argument("runs", nargs="+", metavar="RUN")

    sp = add("restore", "bring runs back from the trash")
    sp.add_argument("runs", nargs="+", metavar="RUN")

    sp = add("trash", f"list the trash; --purge deletes for good what is older than {TRASH_DAYS} days")
    sp.add_argument("--purge", action="store_true")
    sp.add_argument("--json", action="store_true", help="print JSON")


def _table(store: RunStore | None, args: argparse.Namespace) -> int:
    table = metrics_table(store, store.list_runs(tag=args.tag)) if store else None
    if table is None or not table.rows:
        print("[]" if args.json else "" if args.csv else "no runs")
        return 0
    try:
        rows = filter_rows(table, args.filter)
    except RunStoreError as exc:
        raise RunStoreError(f"--filter: {exc}") from None
    if args.sort:
        try:
            key = table.column(args.sort).key
        except RunStoreError as exc:
            raise RunStoreError(f"--sort: {exc}") from None
        rows = sort_rows(rows, key, args.desc)
    # columns no listed run has would only be empty
    columns = [c for c in table.columns if any(r.get(c.key) not in (None, "", []) for r in rows)] or table.columns
    if args.json:
        print(json.dumps(json_safe([{c.key: r.get(c.key) for c in columns} for r in rows]), indent=2,
                         allow_nan=False))
        return 0
    if args.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([c.key for c in columns])
        for r in rows:
            writer.writerow(["" if r.get(c.key) is None else " ".join(r[c.key]) if isinstance(r[c.key], list)
                             else r[c.key] for c in columns])
        return 0
    headers = [c.title for c in columns]
    cells = [[" ".join(r[c.key]) if isinstance(r.get(c.key), list) else r.get(c.key) for c in columns] for r in rows]
    wide = table_width(headers, cells) > shutil.get_terminal_size((120, 24)).columns
    print(render_transposed(headers, cells) if wide else render_table(headers, cells))
    print(f"{len(rows)} of {len(table.rows)} runs" if len(rows) != len(table.rows) else f"{len(rows)} runs")
    return 0


def _rename(store: RunStore, args: argparse.Namespace) -> int:
    run_id = store.resolve(args.run)
    rename(store, run_id, " ".join(args.name))
    print(f"{run_id}: {run_label(store.get(run_id))}")
    return 0


def _delete(store: RunStore, args: argparse.Namespace) -> int:
    run_ids = list(dict.fromkeys(store.resolve(r) for r in args.runs))  # every id checked before any moves
    for run_id in run_ids:
        move_to_trash(store, run_id)
        print(f"{run_id}: {run_label(store.get(run_id))} moved to the trash (`qmtl runs restore {run_id}` undoes it)")
    return 0


def _restore(store: RunStore, args: argparse.Namespace) -> int:
    run_ids = list(dict.fromkeys(store.resolve(r) for r in args.runs))
    for run_id in run_ids:
        restore(store, run_id)
        print(f"{run_id}: {run_label(store.get(run_id))} restored")
    return 0


def _trash(store: RunStore | None, args: argparse.Namespace) -> int:
    purged = purge_expired(store) if store and args.purge else []
    items = trashed_runs(store) if store else []
    if args.json:
        print(json.dumps({"purged": purged, "trash": [
            {"id": t.info.id, "label": run_label(t.info), "deleted": t.deleted.isoformat(),
             "purge_after": t.purge_after.isoformat()} for t in items]}, indent=2))
        return 0
    if args.purge:
        print(f"purged {len(purged)} run(s) deleted over {TRASH_DAYS} days ago" + (": " + ", ".join(purged)
                                                                                    if purged else ""))
    if not items:
        print("the trash is empty")
        return 0
    rows = [[t.info.id, run_label(t.info), format_time(t.deleted.isoformat()), format_time(t.purge_after.isoformat())]
            for t in items]
    print(render_table(["id", "run", "deleted", "purged after"], rows))
    return 0


# name -> (handler, whether it needs runs to exist)
HANDLERS = {"table": (_table, False), "rename": (_rename, True), "delete": (_delete, True),
            "restore": (_restore, True), "trash": (_trash, False)}
