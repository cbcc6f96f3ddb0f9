"""The experiment files shipped inside the package (``workbench/examples/``), and the one resolver every command
and the GUI use: an argument that is an existing file opens that file, a shipped name (``digits-3task``) opens
the shipped experiment."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from workbench.errors import UserError
from workbench.spec.io import dumps, load
from workbench.spec.model import ExperimentSpec

# ``files()`` of a regular package installed as files (wheel, editable, source tree, PyInstaller's one-folder
# bundle) is a real directory, so callers may treat this as a plain Path.
EXPERIMENTS = Path(str(files("workbench") / "examples"))
DEMO = "digits-3task"


@dataclass(frozen=True)
class Example:
    name: str
    path: Path
    tasks: int
    qubits: int
    description: str


def example_names() -> list[str]:
    return sorted(p.stem for p in EXPERIMENTS.glob("*.toml"))


def example_path(name: str) -> Path | None:
    """The shipped file called ``name`` (with or without ``.toml``), else None."""
    stem = name[:-5] if name.endswith(".toml") else name
    return EXPERIMENTS / f"{stem}.toml" if stem in example_names() else None


def examples() -> list[Example]:
    """Name, task count, qubits and description of each shipped experiment, read without validating it."""
    out = []
    for name in example_names():
        path = EXPERIMENTS / f"{name}.toml"
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        out.append(Example(name, path, len(data.get("tasks", [])), int(data.get("quantum", {}).get("qubits", 0)),
                           str(data.get("description", "")).splitlines()[0] if data.get("description") else ""))
    return out


# Where the shipped experiments lived before they moved into the package: commands, notes and scripts written
# then (``qmtl train resources/experiments/digits-3task.toml``) keep working when no such file exists.
FORMER_FOLDER = ("resources", "experiments")


def find_experiment(arg: str | Path) -> Path | None:
    """An existing file wins over a shipped example of the same name; None when ``arg`` is neither."""
    path = Path(arg).expanduser()
    try:
        if path.is_file():
            return path
    except OSError:  # a name the file system refuses (too long, ...): not a file, maybe an example
        pass
    if path.parent.parts[-2:] == FORMER_FOLDER:
        return example_path(path.name)
    return example_path(str(arg))


def resolve_experiment(arg: str | Path, field: str = "spec") -> Path:
    """The file ``arg`` names, or a UserError naming the valid shipped examples."""
    path = find_experiment(arg)
    if path is None:
        raise UserError(f"{field}: no such experiment file or shipped example: {str(arg)!r} "
                        f"(shipped: {', '.join(example_names())})")
    return path


def experiment_or_none(source: str, field: str) -> tuple[ExperimentSpec, Path] | None:
    """For commands that take an experiment or a run id: the experiment ``source`` names, loaded and validated,
    with its file; None when ``source`` is no experiment (so it may be a run id). A name that ends in .toml or
    .json is an experiment that must exist: a UserError naming ``field`` and the shipped examples."""
    from workbench.spec.validate import validate

    path = find_experiment(source)
    if path is None and Path(source).suffix.lower() in (".toml", ".json"):
        path = resolve_experiment(source, field)
    if path is None:
        return None
    spec = load(path)
    validate(spec)
    return spec, path


def small_synthetic(*, samples: int = 300, epochs: int = 3, batch: int = 32, seed: int = 7,
                    name: str | None = None) -> ExperimentSpec:
    """The tiny two-task synthetic experiment, with its size and training length set."""
    spec = load(EXPERIMENTS / "small-synthetic.toml")
    spec.dataset.options["samples"] = samples
    spec.training.epochs, spec.training.batch_size, spec.training.seed = epochs, batch, seed
    if name:
        spec.name = name
    return spec


def small_synthetic_text(**kw) -> str:
    return dumps(small_synthetic(**kw))
