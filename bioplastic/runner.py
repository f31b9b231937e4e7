"""Running a protocol: chunks, progress, checkpoints, resume, NaN watch, results.

:func:`run_protocol` loads and checks a protocol, builds it, and simulates it chunk by
chunk (``simulation.chunk_ms``). After every chunk it shows progress (simulated time,
elapsed time and an estimate of what is left), checks the state for NaN or inf, and
writes ``checkpoint.npz`` atomically, so an interrupted run loses at most one chunk.
``resume=RUN_DIR`` continues from that checkpoint; because every chunk is a pure
function of the state it starts from (inputs are indexed by the global step), the
result is bit-for-bit the one of an uninterrupted run. At the end it writes
``recordings.npz``, ``metrics.json``, the learned weights of plastic projections
(``weights.npz``), the figures, and completes ``manifest.json``.

Example
-------
>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "p.toml").write_text('''
... name = "demo"
... [simulation]
... dt_ms = 0.1
... duration_ms = 20.0
... [model.populations.cells]
... neuron = "lif"
... size = 2
... [inputs.drive]
... target = "cells"
... type = "constant"
... current_mv = 30.0
... ''')
>>> run_dir = run_protocol(folder / "p.toml", out_dir=folder / "runs", progress=False)
>>> sorted(path.name for path in run_dir.iterdir())
['manifest.json', 'metrics.json', 'protocol.toml', 'recordings.npz']
"""

from __future__ import annotations

import json
import pathlib
import sys
import time
from typing import Callable, Optional

import jax
import jax.numpy as jnp
import numpy as np

from bioplastic import results
from bioplastic.protocol.build import Experiment, build_experiment
from bioplastic.protocol.load import load_protocol
from bioplastic.protocol.schema import ContinualProtocol, PredictionProtocol, ThetaProtocol, TrainingProtocol
from bioplastic.protocol.training import build_training
from bioplastic.rules.training import SCORES, evaluate_test, run_epoch, validation_loss
from bioplastic.simulation import drive_at, simulate

CHECKPOINT = "checkpoint.npz"


class RunError(RuntimeError):
    """A run stopped (non-finite state, mismatched resume); the message says why and where.

    The command line prints it after ``run stopped:`` and exits with code 1.

    Example
    -------
    >>> import pathlib, tempfile
    >>> from bioplastic.cli import PROTOCOLS_DIR
    >>> protocol_file = PROTOCOLS_DIR / "lif_single.toml"                # one LIF neuron, 400 ms
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> run_protocol(protocol_file, resume=folder, progress=False)     # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bioplastic.runner.RunError: --resume ...: got a folder that is not a run folder; allowed: a folder made by bioplastic run
    >>> issubclass(RunError, RuntimeError)
    True
    """


def run_protocol(
    path,
    out_dir="runs",
    overrides=(),
    resume=None,
    progress: bool = True,
    on_chunk: Optional[Callable[[int], None]] = None,
    on_epoch: Optional[Callable[[int, object], None]] = None,
    command: Optional[list] = None,
    data_dir=None,
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
        A run folder with a checkpoint to continue.
    progress : bool
        Show a progress line on standard error.
    on_chunk : callable, optional
        Called with the number of finished chunks after each checkpoint: epochs (training), tasks (continual),
        (repeat, learner) runs (prediction) or repeats (theta).
    on_epoch : callable, optional
        Training protocols only: called with ``(epochs done, learned layers)`` after each
        epoch's checkpoint, and with ``(0, initial layers)`` before a new run's first epoch,
        to record anything else about the network as it learns.
    command : list of str, optional
        The command line, for the manifest.
    data_dir : path, optional
        Dataset cache (default: ``bioplastic.data.cache.data_dir()``).

    Returns
    -------
    pathlib.Path
        The run folder, ``out_dir/NAME-YYYYmmdd-HHMMSS`` (or ``resume``).

    Raises
    ------
    ProtocolError
        The protocol (with its overrides) is invalid; nothing is written.
    RunError
        The run stopped: a non-finite state (the results so far are kept) or a resume
        that does not match.

    Example
    -------
    >>> import pathlib, tempfile
    >>> from bioplastic.cli import PROTOCOLS_DIR
    >>> protocol_file = PROTOCOLS_DIR / "lif_single.toml"                # one LIF neuron, 400 ms
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> run_dir = run_protocol(protocol_file, folder / "runs", overrides=["simulation.duration_ms=5"], progress=False)
    >>> json.loads((run_dir / "metrics.json").read_text())["simulated_ms"]      # 50 steps of 0.1 ms
    5.0
    >>> run_protocol(protocol_file, resume=run_dir, progress=False)       # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bioplastic.runner.RunError: --resume ...: got a protocol (with its --set overrides) that differs from the one of that run; allowed: the same protocol and overrides
    """
    protocol, resolved = load_protocol(path, overrides)
    if isinstance(protocol, TrainingProtocol):
        return _run_training(path, protocol, resolved, out_dir, resume, progress, on_chunk, on_epoch, command, data_dir)
    if isinstance(protocol, ContinualProtocol):
        from bioplastic.continual_run import run_continual

        return run_continual(path, protocol, resolved, out_dir, resume, progress, on_chunk, command, data_dir)
    if isinstance(protocol, PredictionProtocol):
        from bioplastic.prediction_run import run_prediction

        return run_prediction(path, protocol, resolved, out_dir, resume, progress, on_chunk, command)
    if isinstance(protocol, ThetaProtocol):
        from bioplastic.theta_run import run_theta

        return run_theta(path, protocol, resolved, out_dir, resume, progress, on_chunk, command)
    experiment = build_experiment(protocol, str(path), data_dir)
    run_dir, manifest = open_run_folder(path, protocol, resolved, out_dir, resume, command)
    if resume is None:
        state, records, steps_done = experiment.state, {name: [] for name in experiment.probes}, 0
    else:
        state, records, steps_done = _load_checkpoint(run_dir, experiment)

    chunks = _chunk_bounds(experiment.n_steps, experiment.chunk_steps)
    shown = _Progress(protocol.name, experiment.n_steps, experiment.dt, "ms simulated", enabled=progress)
    for index, (start, stop) in enumerate(chunks):
        if stop <= steps_done:
            continue
        before = state
        state, chunk_records = simulate(
            experiment.network.step, state, stop - start, params=experiment.params, drive=experiment.drive,
            probes=experiment.probes, dt=experiment.dt, start_step=start,
        )
        bad = _nonfinite(state)
        if bad is not None:
            message = _locate_nonfinite(experiment, before, start, stop)
            _finish(run_dir, experiment, before, records, start, manifest, status=f"failed: {message}")
            raise RunError(f"{message}; results up to step {start} are in {run_dir}")
        for name, value in chunk_records.items():
            records[name].append(np.asarray(value))
        steps_done = stop
        _save_checkpoint(run_dir, state, records, steps_done)
        shown.update(steps_done)
        if on_chunk is not None:
            on_chunk(index + 1)
    shown.close()
    _finish(run_dir, experiment, state, records, steps_done, manifest, status="completed")
    (run_dir / CHECKPOINT).unlink(missing_ok=True)
    return run_dir


def _chunk_bounds(n_steps: int, chunk_steps: int):
    return [(start, min(start + chunk_steps, n_steps)) for start in range(0, n_steps, chunk_steps)]


# ----------------------------------------------------------------- checkpoints


def _save_checkpoint(run_dir, state, records, steps_done):
    leaves = jax.tree_util.tree_leaves(state)
    arrays = {f"state_{i}": np.asarray(leaf) for i, leaf in enumerate(leaves)}
    for name, parts in records.items():
        arrays[f"record_{name}"] = np.concatenate(parts) if parts else np.zeros((0,))
    arrays["steps_done"] = np.asarray(steps_done)
    results.write_npz(run_dir / CHECKPOINT, arrays)


def _load_checkpoint(run_dir, experiment: Experiment):
    checkpoint = run_dir / CHECKPOINT
    if not checkpoint.exists():
        raise RunError(f"--resume {run_dir}: got a run folder without {CHECKPOINT}; allowed: a stopped run's folder")
    data = results.read_npz(checkpoint)
    leaves, treedef = jax.tree_util.tree_flatten(experiment.state)
    restored = [jnp.asarray(data[f"state_{i}"], dtype=leaf.dtype) for i, leaf in enumerate(leaves)]
    state = jax.tree_util.tree_unflatten(treedef, restored)
    records = {}
    for name in experiment.probes:
        saved = data[f"record_{name}"]
        records[name] = [saved] if saved.size else []
    return state, records, int(data["steps_done"])


def open_run_folder(path, protocol, resolved: dict, out_dir, resume, command) -> tuple[pathlib.Path, dict]:
    """A new run folder with the resolved protocol and a manifest, or (``resume``) the stopped one and its manifest.

    Used by every kind of run before it simulates.

    Parameters
    ----------
    path : str or pathlib.Path
        The protocol file, recorded in the manifest (with the git commit of its folder).
    protocol : Protocol
        Any kind of validated protocol; its ``name`` starts the folder's name, its ``seed`` goes in the manifest.
    resolved : dict
        The protocol table as :func:`~bioplastic.protocol.load.load_protocol` returns it with its overrides;
        written to ``protocol.toml``. A resume with a different one is a :class:`RunError`.
    out_dir : str or pathlib.Path
        Where the new folder ``NAME-YYYYmmdd-HHMMSS`` is created (ignored with ``resume``).
    resume : str or pathlib.Path or None
        A run folder to reopen; None makes a new one.
    command : list of str or None
        The command line, for a new manifest.

    Returns
    -------
    tuple
        ``(run folder, manifest dict)``; on resume the stored manifest, unchanged.

    Raises
    ------
    RunError
        ``resume`` is not a run folder, or its protocol differs from ``resolved``.

    Example
    -------
    >>> import pathlib, tempfile
    >>> from bioplastic.cli import PROTOCOLS_DIR
    >>> protocol_file = PROTOCOLS_DIR / "lif_single.toml"                # one LIF neuron, 400 ms
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> protocol, resolved = load_protocol(protocol_file)
    >>> run_dir, manifest = open_run_folder(protocol_file, protocol, resolved, folder / "runs", None, ["bioplastic"])
    >>> sorted(p.name for p in run_dir.iterdir()), run_dir.name.startswith("lif_single-")
    (['manifest.json', 'protocol.toml'], True)
    >>> manifest["seed"], manifest["command"]
    (0, ['bioplastic'])
    >>> open_run_folder(protocol_file, protocol, resolved, None, run_dir, None) == (run_dir, manifest)
    True
    """
    if resume is None:
        run_dir = results.new_run_folder(out_dir, protocol.name)
        results.write_text(run_dir / "protocol.toml", results.to_toml(resolved))
        manifest = results.manifest(path, protocol.seed, command or [], results.now())
        results.write_json(run_dir / "manifest.json", manifest)
        return run_dir, manifest
    run_dir = pathlib.Path(resume)
    return run_dir, _resume_manifest(run_dir, resolved)


def _resume_manifest(run_dir: pathlib.Path, resolved: dict) -> dict:
    try:
        stored = results.read_toml_table(run_dir / "protocol.toml")
        manifest = json.loads((run_dir / "manifest.json").read_text())
    except FileNotFoundError:
        raise RunError(f"--resume {run_dir}: got a folder that is not a run folder; allowed: a folder made by bioplastic run") from None
    if stored != json.loads(json.dumps(resolved)):
        raise RunError(
            f"--resume {run_dir}: got a protocol (with its --set overrides) that differs from the one of that run; "
            "allowed: the same protocol and overrides"
        )
    return manifest


# ----------------------------------------------------------------- NaN watch


def _nonfinite(state) -> Optional[str]:
    for path, leaf in jax.tree_util.tree_flatten_with_path(state)[0]:
        if jnp.issubdtype(leaf.dtype, jnp.floating) and not bool(jnp.all(jnp.isfinite(leaf))):
            return jax.tree_util.keystr(path)
    return None


def _locate_nonfinite(experiment: Experiment, state, start: int, stop: int) -> str:
    """Replay a chunk step by step to name the first non-finite variable and its step."""
    paths = [
        (path, leaf)
        for path, leaf in jax.tree_util.tree_flatten_with_path(state)[0]
        if jnp.issubdtype(leaf.dtype, jnp.floating)
    ]

    def flags(s):
        leaves = {jax.tree_util.keystr(p): leaf for p, leaf in jax.tree_util.tree_flatten_with_path(s)[0]}
        return jnp.stack([jnp.all(jnp.isfinite(leaves[jax.tree_util.keystr(p)])) for p, _ in paths])

    def body(s, n):
        s, _ = experiment.network.step(experiment.params, s, drive_at(experiment.drive, n, experiment.dt), experiment.dt)
        return s, flags(s)

    _, finite = jax.jit(lambda s: jax.lax.scan(body, s, jnp.arange(start, stop)))(state)
    finite = np.asarray(finite)
    step = int(np.argwhere(~finite)[0][0])
    named = [[str(getattr(k, "key", getattr(k, "name", k))) for k in path] for path, _ in paths]
    # Of the variables that broke in that step, name a neuron variable before derived ones.
    candidates = [named[i] for i in np.nonzero(~finite[step])[0]]
    keys = next((c for c in candidates if c[0] == "populations"), candidates[0])
    step_number = start + step
    if keys[0] == "populations" and len(keys) >= 3:
        where = f"variable {keys[2]!r} of population {keys[1]!r}"
    else:
        where = f"state {'.'.join(keys)}"
    return f"{where} became NaN or inf at step {step_number} (t = {(step_number + 1) * experiment.dt:g} ms)"


# ----------------------------------------------------------------- results


def _finish(run_dir, experiment: Experiment, state, records, steps_done, manifest, status):
    arrays = {
        name.removeprefix("recording."): np.concatenate(parts) if parts else np.zeros((0,))
        for name, parts in records.items()
        if name.startswith("recording.")
    }
    arrays.update(experiment.dataset_arrays)
    results.write_npz(run_dir / "recordings.npz", arrays)
    weights = {
        name: experiment.network.connectivity(experiment.params, state, name) for name in state["plastic"]
    }
    if weights:
        results.write_npz(run_dir / "weights.npz", {
            f"{name}.{field}": np.asarray(getattr(conn, field)) for name, conn in weights.items() for field in ("targets", "weights")
        })
    results.write_json(run_dir / "metrics.json", _metrics(experiment, records, steps_done, weights))
    if steps_done > 0:
        from bioplastic.protocol.plots import draw_protocol_plots

        draw_protocol_plots(run_dir, experiment, arrays, state)
    manifest = dict(manifest, finished=results.now(), status=status, steps_done=steps_done)
    results.write_json(run_dir / "manifest.json", manifest)


def _metrics(experiment: Experiment, records, steps_done, weights) -> dict:
    metrics = {"simulated_ms": steps_done * experiment.dt}
    if "mean_weight" in experiment.protocol.metrics:
        for name, conn in weights.items():
            metrics[f"mean_weight_{name}"] = float(np.asarray(conn.weights)[np.asarray(conn.mask)].mean())
    if "mean_rate_hz" not in experiment.protocol.metrics or steps_done == 0:
        return metrics
    seconds = steps_done * experiment.dt * 1e-3
    total_spikes, total_neurons = 0.0, 0
    for population in experiment.network.populations:
        parts = records.get(f"count.{population.name}")
        if not parts:
            continue
        spikes = float(np.concatenate(parts).sum())
        metrics[f"mean_rate_hz_{population.name}"] = spikes / (population.size * seconds)
        total_spikes += spikes
        total_neurons += population.size
    if total_neurons:
        metrics["mean_rate_hz"] = total_spikes / (total_neurons * seconds)
    return metrics


class _Progress:
    """A one-line progress bar on standard error: work done (simulated ms, epochs), elapsed, estimate left."""

    def __init__(self, name: str, n_steps: int, dt: float, unit: str, enabled: bool):
        self.name, self.n_steps, self.dt, self.unit, self.enabled = name, n_steps, dt, unit, enabled
        self.started, self.first = time.perf_counter(), None
        self.tty = sys.stderr.isatty()

    def update(self, steps_done: int):
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.started
        if self.first is None:
            self.first = (steps_done, elapsed)
        fraction = steps_done / self.n_steps
        done_first, time_first = self.first
        rate = (elapsed - time_first) / (steps_done - done_first) if steps_done > done_first else elapsed / steps_done
        left = rate * (self.n_steps - steps_done)
        bar = "#" * int(30 * fraction) + "." * (30 - int(30 * fraction))
        line = (
            f"{self.name} [{bar}] {100 * fraction:5.1f}%  {steps_done * self.dt:g}/{self.n_steps * self.dt:g} "
            f"{self.unit}, {elapsed:.1f} s elapsed, ~{left:.1f} s left"
        )
        print(("\r" + line) if self.tty else line, end="" if self.tty else "\n", file=sys.stderr, flush=True)

    def close(self):
        if self.enabled and self.tty:
            print(file=sys.stderr)


def validate_protocol(path, overrides=(), data_dir=None):
    """Everything :func:`run_protocol` checks before running, without running.

    Parameters
    ----------
    path : str or pathlib.Path
        Protocol TOML file.
    overrides : sequence of str
        ``key.path=value`` assignments applied before validation.
    data_dir : str or pathlib.Path, optional
        Dataset cache (default: ``bioplastic.data.cache.data_dir()``).

    Returns
    -------
    Experiment
        The built experiment (an :class:`~bioplastic.protocol.build.Experiment`, or that of a training, continual,
        prediction or theta protocol).

    Raises
    ------
    ProtocolError
        The first problem found (:class:`~bioplastic.protocol.errors.ProtocolError`).

    Example
    -------
    >>> import pathlib, tempfile
    >>> from bioplastic.cli import PROTOCOLS_DIR
    >>> protocol_file = PROTOCOLS_DIR / "lif_single.toml"                # one LIF neuron, 400 ms
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> experiment = validate_protocol(protocol_file)
    >>> experiment.n_steps, experiment.dt                 # 400 ms at 0.1 ms
    (4000, 0.1)
    >>> validate_protocol(protocol_file, ["simulation.dt_ms=-0.1"])        # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bioplastic.protocol.errors.ProtocolError: .../lif_single.toml: simulation.dt_ms: got -0.1; allowed: ...
    """
    protocol, _ = load_protocol(path, overrides)
    if isinstance(protocol, TrainingProtocol):
        return build_training(protocol, str(path), data_dir)
    if isinstance(protocol, ContinualProtocol):
        from bioplastic.protocol.continual import build_continual

        return build_continual(protocol, str(path), data_dir)
    if isinstance(protocol, PredictionProtocol):
        from bioplastic.protocol.prediction import build_prediction

        return build_prediction(protocol, str(path))
    if isinstance(protocol, ThetaProtocol):
        from bioplastic.protocol.theta import build_theta

        return build_theta(protocol, str(path))
    return build_experiment(protocol, str(path), data_dir)


# ----------------------------------------------------------------- training protocols


def _run_training(path, protocol, resolved, out_dir, resume, progress, on_chunk, on_epoch, command, data_dir):
    """Train epoch by epoch; checkpoint after each epoch; curves, metrics, learned layers, plots."""
    experiment = build_training(protocol, str(path), data_dir)
    rule_state, opt_state = experiment.rule.init(experiment.layers), experiment.optimizer.init(experiment.layers)
    training_state = (experiment.layers, rule_state, opt_state)
    run = experiment.run
    score_name = SCORES[run.task]
    curves = {score_name: [], "train_seconds": []}
    if run.validation_x is not None:
        curves["validation_loss"] = []
    step_seconds: list[float] = []
    run_dir, manifest = open_run_folder(path, protocol, resolved, out_dir, resume, command)
    epochs_done = 0
    if resume is not None:
        training_state, curves, step_seconds, epochs_done = _load_training_checkpoint(run_dir, training_state)
    shown = _Progress(protocol.name, experiment.epochs, 1, "epochs", enabled=progress)
    if on_epoch is not None and epochs_done == 0:
        on_epoch(0, training_state[0])
    for epoch in range(epochs_done, experiment.epochs):
        layers, rule_state, opt_state, seconds, times = run_epoch(run, *training_state, experiment.key, epoch)
        training_state = (layers, rule_state, opt_state)
        curves[score_name].append(evaluate_test(run, layers))
        curves["train_seconds"].append(seconds)
        if "validation_loss" in curves:
            curves["validation_loss"].append(validation_loss(run, layers))
            if int(np.argmin(curves["validation_loss"])) == epoch:
                _write_layers(run_dir / "selected_layers.npz", layers)  # before the checkpoint that counts it
        step_seconds.extend(times)
        _save_training_checkpoint(run_dir, training_state, curves, step_seconds, epoch + 1)
        shown.update(epoch + 1)
        if on_chunk is not None:
            on_chunk(epoch + 1)
        if on_epoch is not None:
            on_epoch(epoch + 1, layers)
    shown.close()
    scores = curves[score_name]
    results.write_npz(run_dir / "curves.npz", {name: np.asarray(values) for name, values in curves.items()})
    _write_layers(run_dir / "layers.npz", training_state[0])
    best = max if run.task == "classification" else min
    metrics = {"epochs": len(scores), score_name: scores[-1], f"best_{score_name}": best(scores),
               "step_seconds": float(np.median(step_seconds)) if step_seconds else float("nan")}
    if "validation_loss" in curves:
        selected = int(np.argmin(curves["validation_loss"]))
        metrics.update({"selected_epoch": selected + 1, f"selected_{score_name}": scores[selected],
                        "selected_validation_loss": curves["validation_loss"][selected]})
    results.write_json(run_dir / "metrics.json", metrics)
    from bioplastic.protocol.plots import draw_learning_curves

    draw_learning_curves(run_dir, protocol, curves)
    results.write_json(run_dir / "manifest.json", dict(manifest, finished=results.now(), status="completed",
                                                       epochs_done=len(scores)))
    (run_dir / CHECKPOINT).unlink(missing_ok=True)
    return run_dir


def _write_layers(file, layers):
    learned = jax.tree_util.tree_flatten_with_path(layers)[0]
    results.write_npz(file, {jax.tree_util.keystr(path).strip("."): np.asarray(leaf) for path, leaf in learned})


def _save_training_checkpoint(run_dir, training_state, curves, step_seconds, epochs_done):
    arrays = {f"state_{i}": np.asarray(leaf) for i, leaf in enumerate(jax.tree_util.tree_leaves(training_state))}
    arrays.update({f"curve_{name}": np.asarray(values) for name, values in curves.items()})
    arrays["step_seconds"] = np.asarray(step_seconds)
    arrays["epochs_done"] = np.asarray(epochs_done)
    results.write_npz(run_dir / CHECKPOINT, arrays)


def _load_training_checkpoint(run_dir, training_state):
    checkpoint = run_dir / CHECKPOINT
    if not checkpoint.exists():
        raise RunError(f"--resume {run_dir}: got a run folder without {CHECKPOINT}; allowed: a stopped run's folder")
    data = results.read_npz(checkpoint)
    leaves, treedef = jax.tree_util.tree_flatten(training_state)
    restored = jax.tree_util.tree_unflatten(
        treedef, [jnp.asarray(data[f"state_{i}"], dtype=leaf.dtype) for i, leaf in enumerate(leaves)]
    )
    curves = {name.removeprefix("curve_"): data[name].tolist() for name in data if name.startswith("curve_")}
    return restored, curves, data["step_seconds"].tolist(), int(data["epochs_done"])
