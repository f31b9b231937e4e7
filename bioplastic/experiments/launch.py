"""From a protocol file to a checked experiment or a run folder, through the table of kinds.

Example
-------
>>> import json, pathlib, tempfile
>>> from bioplastic.cli import PROTOCOLS_DIR
>>> protocol_file = PROTOCOLS_DIR / "lif_single.toml"                # one LIF neuron, 400 ms
>>> run_dir = run_protocol(protocol_file, pathlib.Path(tempfile.mkdtemp()), ["simulation.duration_ms=5"],
...                        progress=False)
>>> json.loads((run_dir / "metrics.json").read_text())["simulated_ms"]      # 50 steps of 0.1 ms
5.0
"""

from __future__ import annotations

import dataclasses
import pathlib
import shlex
from typing import Callable, Optional

from pydantic.json_schema import models_json_schema

from bioplastic._checks import BadInput
from bioplastic.experiments.kind import Kind
from bioplastic.experiments.kinds import KINDS
from bioplastic.experiments.size import Limits, check_size
from bioplastic.protocol.errors import ProtocolError
from bioplastic.protocol.load import resolve, validate
from bioplastic.runs import open_run_folder, run_work


def kind_of(raw: dict) -> Kind:
    """The kind of a protocol table: the kind whose table it has, else the default kind.

    Example
    -------
    >>> kind_of({"name": "x", "theta": {}}).table
    'theta'
    """
    default = next(kind for kind in KINDS.values() if kind.default)
    return next((kind for kind in KINDS.values() if not kind.default and kind.table in raw), default)


def load_protocol(path, overrides=()):
    """Read, resolve and validate a protocol file against the schema of its kind.

    Parameters
    ----------
    path : str or pathlib.Path
        The protocol file.
    overrides : sequence of str
        ``"key.path=value"`` assignments applied before validation (``--set``).

    Returns
    -------
    tuple
        ``(protocol, resolved table)``: the validated protocol (of its kind's schema) and
        the table with its model file merged in and the overrides applied.

    Example
    -------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "dp.toml").write_text('''
    ... name = "dp"
    ... [training]
    ... dataset = "mnist"
    ... rule = "dual_propagation"
    ... sizes = [784, 10]
    ... learning_rate = 0.001
    ... epochs = 1
    ... ''')
    >>> protocol, _ = load_protocol(folder / "dp.toml", overrides=["training.epochs=3"])
    >>> type(protocol).__name__, protocol.training.epochs
    ('TrainingProtocol', 3)
    >>> load_protocol(folder / "dp.toml", overrides=["training.epochs=0"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bioplastic.protocol.errors.ProtocolError: ...dp.toml: training.epochs: got 0; allowed: greater than or equal to 1
    """
    kind, protocol, resolved = _load(path, overrides)
    return protocol, resolved


def _load(path, overrides):
    resolved = resolve(path, overrides)
    if "sweep" in resolved:
        raise ProtocolError(str(path), "sweep", "a [sweep] table",
                            "a protocol without one (run its points with bioplastic sweep FILE)")
    kind = kind_of(resolved)
    return kind, validate(resolved, kind.schema, str(path)), resolved


def _build(kind: Kind, protocol, path, data_dir, limits: Limits):
    """The kind's size estimate checked against ``limits``, then its build step: ``(estimate, experiment)``."""
    estimate = kind.estimate(protocol)
    check_size(str(path), estimate, limits)
    return estimate, kind.build(protocol, str(path), data_dir)


def validate_protocol(path, overrides=(), data_dir=None, limits: Limits = Limits()):
    """Every check :func:`run_protocol` makes before running, without running; the built experiment.

    Parameters
    ----------
    path : str or pathlib.Path
        Protocol TOML file.
    overrides : sequence of str
        ``key.path=value`` assignments applied before validation.
    data_dir : str or pathlib.Path, optional
        Dataset cache (default: ``bioplastic.data.cache.data_dir()``).
    limits : Limits
        The most memory and steps the run may take (default: the memory available, 10^9 steps).

    Raises
    ------
    ProtocolError
        The first problem found; a run beyond ``limits`` at the key path that sets the excess.

    Example
    -------
    >>> from bioplastic.cli import PROTOCOLS_DIR
    >>> protocol_file = PROTOCOLS_DIR / "lif_single.toml"                # one LIF neuron, 400 ms
    >>> experiment = validate_protocol(protocol_file)
    >>> experiment.n_steps, experiment.dt                 # 400 ms at 0.1 ms
    (4000, 0.1)
    >>> validate_protocol(protocol_file, ["simulation.dt_ms=-0.1"])        # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bioplastic.protocol.errors.ProtocolError: .../lif_single.toml: simulation.dt_ms: got -0.1; allowed: ...
    >>> validate_protocol(protocol_file, limits=Limits(max_steps=1000))      # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bioplastic.protocol.errors.ProtocolError: .../lif_single.toml: simulation.duration_ms: got 4,000 time steps; allowed: at most 1,000 (--max-steps raises the limit)
    """
    kind, protocol, _ = _load(path, overrides)
    return _build(kind, protocol, path, data_dir, limits)[1]


def describe(path, overrides=(), data_dir=None, limits: Limits = Limits()) -> str:
    """What ``bioplastic validate`` prints for a valid protocol: the file, "valid", its kind's summary, its size.

    Example
    -------
    >>> from bioplastic.cli import PROTOCOLS_DIR
    >>> print(describe(PROTOCOLS_DIR / "lif_single.toml"))     # doctest: +ELLIPSIS
    /.../lif_single.toml: valid (4000 steps of 0.1 ms, 1 populations, 0 projections)
      size: about 33.1 kB of memory, 4,000 time steps
    """
    kind, protocol, _ = _load(path, overrides)
    estimate, experiment = _build(kind, protocol, path, data_dir, limits)
    return f"{path}: valid ({kind.summary(experiment)})\n  size: {estimate.describe()}"


def run_protocol(
    path,
    out_dir="runs",
    overrides=(),
    resume=None,
    progress: bool = True,
    on_unit: Optional[Callable[[int, object], None]] = None,
    command: Optional[list] = None,
    data_dir=None,
    limits: Limits = Limits(),
) -> pathlib.Path:
    """Run the protocol at ``path``; return its run folder.

    Parameters
    ----------
    path : path
        Protocol TOML file.
    out_dir : path
        Where a new run folder is created (ignored with ``resume``).
    overrides : list of str
        ``key.path=value`` assignments applied before validation.
    resume : path, optional
        A stopped run's folder, to continue from its checkpoint.
    progress : bool
        Show a progress bar on standard error.
    on_unit : callable, optional
        Called with ``(units done, state)`` after each unit of work (chunk, epoch, task,
        (repeat, learner) run or stage) is checkpointed, and with ``(0, start state)`` before
        the first unit of a new run.
    command : list of str, optional
        The command line, for the manifest.
    data_dir : path, optional
        Dataset cache (default: ``bioplastic.data.cache.data_dir()``).
    limits : Limits
        The most memory and steps the run may take (default: the memory available, 10^9 steps).

    Returns
    -------
    pathlib.Path
        The run folder, ``out_dir/NAME-YYYYmmdd-HHMMSS`` (or ``resume``).

    Raises
    ------
    ProtocolError
        The protocol (with its overrides) is invalid; nothing is written.
    RunError
        The run stopped (a non-finite state, a resume that does not match); what finished is kept.
    RunInterrupted
        Ctrl-C; what finished is kept, and the message names the command that resumes the run.

    Example
    -------
    >>> import pathlib, tempfile
    >>> from bioplastic.cli import PROTOCOLS_DIR
    >>> protocol_file = PROTOCOLS_DIR / "lif_single.toml"
    >>> run_dir = run_protocol(protocol_file, tempfile.mkdtemp(), ["simulation.duration_ms=5"], progress=False)
    >>> run_protocol(protocol_file, resume=run_dir, progress=False)       # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: --resume ...: got a protocol (with its --set overrides) that differs from the one of that run; allowed: the same protocol and overrides
    """
    kind, protocol, resolved = _load(path, overrides)
    experiment = _build(kind, protocol, path, data_dir, limits)[1]
    run_dir, manifest = open_run_folder(path, protocol.name, protocol.seed, resolved, out_dir, resume, command)
    again = ["bioplastic", "run", str(path), *(part for o in overrides for part in ("--set", o)),
             *(["--data-dir", str(data_dir)] if data_dir is not None else []), "--resume", str(run_dir)]
    run_work(kind.work(experiment), run_dir, manifest, name=protocol.name, resume_command=shlex.join(again),
             progress=progress, resume=resume is not None, on_unit=on_unit)
    return run_dir


def check_batchable(path, overrides=()) -> Kind:
    """The kind of the protocol at ``path`` if it can run seeds batched (``--batch-seeds``), else a BadInput.

    Example
    -------
    >>> from bioplastic.cli import PROTOCOLS_DIR
    >>> check_batchable(PROTOCOLS_DIR / "coba.toml").table
    'simulation'
    >>> check_batchable(PROTOCOLS_DIR / "dp_mnist.toml")
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: --batch-seeds: got a training protocol; allowed: a protocol whose kind runs seeds batched: simulation
    """
    return _batchable(_load(path, overrides)[0])


def _batchable(kind: Kind) -> Kind:
    """``kind`` if it can run seeds batched, else the :class:`BadInput` of :func:`check_batchable`."""
    if kind.batch is None:
        raise BadInput("--batch-seeds", f"a {kind.table} protocol", "a protocol whose kind runs seeds batched: "
                       + ", ".join(k.table for k in KINDS.values() if k.batch is not None))
    return kind


def run_seeds_batched(
    path,
    seeds,
    folders,
    out_dir,
    overrides=(),
    resume=None,
    progress: bool = True,
    data_dir=None,
    limits: Limits = Limits(),
    resume_command: Optional[str] = None,
) -> list:
    """Run the protocol at ``path`` for every seed at once (one compiled, vectorised program); their run folders.

    Seed ``seeds[i]`` gets an ordinary run folder inside ``folders[i]``, as ``bioplastic run
    --set seed=S`` would make it. The batch itself -- its checkpoint, its chunks while it
    runs, and a manifest that lists the seeds' run folders (``batch``) -- is a run folder
    inside ``out_dir``; ``resume`` (such a folder) continues a batch that stopped.

    Parameters
    ----------
    path : path
        Protocol file of a kind that can batch seeds (a simulation).
    seeds : sequence of int
        The seeds; each run is the protocol with ``seed = S`` and ``overrides``.
    folders : sequence of path
        Where each seed's run folder is made (ignored with ``resume``).
    out_dir : path
        Where the batch's run folder is made (ignored with ``resume``).
    overrides, progress, data_dir, limits
        As for :func:`run_protocol`; ``limits`` bounds the memory of all the seeds together.
    resume_command : str, optional
        The command that resumes the batch, named when it stops (default: this call with
        ``resume`` set to the batch's folder).

    Returns
    -------
    list of pathlib.Path
        The seeds' run folders, in the order of ``seeds``.

    Raises
    ------
    BadInput
        A kind that cannot batch seeds, seeds whose shapes differ, or more memory than ``limits``.
    RunError, RunInterrupted
        As for :func:`run_protocol`; the message names the command that resumes the batch.
    """
    seeds = [int(seed) for seed in seeds]
    loaded = [_load(path, [*overrides, f"seed={seed}"]) for seed in seeds]
    kind = _batchable(loaded[0][0])
    estimate = kind.estimate(loaded[0][1])
    check_size(str(path), dataclasses.replace(estimate, memory={key: value * len(seeds) for key, value
                                                                in estimate.memory.items()}), limits)
    name = loaded[0][1].name
    if resume is None:
        opened = [open_run_folder(path, name, seed, resolved, folder, None, None)
                  for seed, (_, _, resolved), folder in zip(seeds, loaded, folders)]
        run_dirs = [run_dir for run_dir, _ in opened]
        batch_dir, manifest = open_run_folder(path, f"{name}-seeds", seeds[0], loaded[0][2], out_dir, None, None)
        manifest["batch"] = {"seeds": seeds, "run_dirs": [str(run_dir) for run_dir in run_dirs]}
    else:
        batch_dir, manifest = open_run_folder(path, f"{name}-seeds", seeds[0], loaded[0][2], None, resume, None)
        run_dirs = [pathlib.Path(run_dir) for run_dir in manifest["batch"]["run_dirs"]]
    work = kind.batch([protocol for _, protocol, _ in loaded], str(path), data_dir, run_dirs)
    run_work(work, batch_dir, manifest, name=f"{name} (seeds {', '.join(map(str, seeds))})",
             resume_command=resume_command or f"run_seeds_batched(..., resume={str(batch_dir)!r})",
             progress=progress, resume=resume is not None)
    return run_dirs


def protocol_json_schema(kind: Optional[str] = None) -> dict:
    """The JSON Schema of protocol files: of every kind (one of them), or of ``kind`` alone.

    Example
    -------
    >>> schema = protocol_json_schema()
    >>> len(schema["oneOf"]), protocol_json_schema("training")["title"]
    (6, 'TrainingProtocol')
    """
    if kind is not None:
        return KINDS[kind].schema.model_json_schema()
    refs, top = models_json_schema([(k.schema, "validation") for k in KINDS.values()],
                                   title="bioplastic protocol")
    top["oneOf"] = [refs[(k.schema, "validation")] for k in KINDS.values()]
    return top
