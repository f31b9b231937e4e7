"""Running a continual protocol task by task: progress, a checkpoint after each task, results.

Called by :func:`bioplastic.runner.run_protocol` for a protocol with a ``[continual]``
table. After every task the accuracy matrix, weights and method state (HLOP's lateral
subspaces, EWC's sums) are written atomically to the run folder's checkpoint, so
``--resume`` continues at the next task with the same batches. The run folder gets
``accuracy.npz`` (the matrix and training seconds per task), ``metrics.json`` (ACC, BWT
and times), ``weights.npz``, ``subspaces.npz`` (HLOP) and the plots.

Example
-------
>>> from bioplastic.continual_run import state_arrays
>>> import numpy as np, jax.numpy as jnp
>>> from bioplastic.rules.continual import ContinualState
>>> sorted(state_arrays(ContinualState(np.zeros((1, 1)), (jnp.ones(2),), None, None, (1.5,), 1)))
['accuracy', 'task_seconds', 'tasks_done', 'weights_0']
"""

from __future__ import annotations

import pathlib

import jax.numpy as jnp
import numpy as np

from bioplastic import results
from bioplastic.analysis import average_accuracy, backward_transfer
from bioplastic.protocol.continual import build_continual
from bioplastic.rules.continual import ContinualState, phases, train_next
from bioplastic.rules.ewc import EWCState
from bioplastic.rules.hebbian_subspace import Subspace

CHECKPOINT = "checkpoint.npz"


def state_arrays(state: ContinualState) -> dict:
    """The state as named arrays (what the checkpoint holds).

    ``weights_<i>`` per layer; with HLOP ``subspace_<i>_weights``, ``_velocity`` and
    ``_frozen``; with EWC ``ewc_<i>_importance`` and ``ewc_<i>_anchor``.

    Example
    -------
    >>> accuracy = np.array([[0.9, np.nan], [0.8, 0.95]])          # after task 1, 2 (rows) on task 1, 2
    >>> subspace = Subspace(jnp.eye(1, 3), jnp.zeros((1, 3)), jnp.array([True]))
    >>> arrays = state_arrays(ContinualState(accuracy, (jnp.ones((2, 3)),), (subspace,), None, (1.5, 2.0), 2))
    >>> sorted(arrays)
    ['accuracy', 'subspace_0_frozen', 'subspace_0_velocity', 'subspace_0_weights', 'task_seconds', 'tasks_done', 'weights_0']
    >>> arrays["task_seconds"].tolist(), int(arrays["tasks_done"]), arrays["subspace_0_weights"].shape
    ([1.5, 2.0], 2, (1, 3))
    """
    arrays = {"accuracy": state.accuracy, "task_seconds": np.asarray(state.task_seconds),
              "tasks_done": np.asarray(state.tasks_done)}
    arrays.update({f"weights_{i}": np.asarray(w) for i, w in enumerate(state.weights)})
    for i, subspace in enumerate(state.subspaces or ()):
        arrays.update({f"subspace_{i}_{field}": np.asarray(value) for field, value in subspace._asdict().items()})
    if state.ewc is not None:
        for i, (importance, anchor) in enumerate(zip(state.ewc.importance, state.ewc.anchor)):
            arrays.update({f"ewc_{i}_importance": np.asarray(importance), f"ewc_{i}_anchor": np.asarray(anchor)})
    return arrays


def state_from_arrays(data, like: ContinualState) -> ContinualState:
    """Rebuild a state saved by :func:`state_arrays` (subspaces take the saved shapes).

    ``like`` gives the number of layers and which method state (HLOP subspaces, EWC sums)
    there is; HLOP's subspaces grow from task to task, so their saved shapes win.

    Example
    -------
    >>> like = ContinualState(np.full((2, 2), np.nan), (jnp.zeros((2, 3)),),
    ...                       (Subspace(jnp.zeros((1, 3)), jnp.zeros((1, 3)), jnp.array([False])),), None, (), 0)
    >>> grown = Subspace(jnp.eye(2, 3), jnp.zeros((2, 3)), jnp.array([True, False]))    # 2 rows after a task
    >>> saved = state_arrays(ContinualState(np.array([[0.9, np.nan], [np.nan, np.nan]]), (jnp.ones((2, 3)),),
    ...                                     (grown,), None, (1.5,), 1))
    >>> state = state_from_arrays(saved, like)
    >>> state.tasks_done, state.task_seconds, state.subspaces[0].weights.shape, state.weights[0].tolist()
    (1, (1.5,), (2, 3), [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    """
    n = len(like.weights)
    subspaces = None
    if like.subspaces is not None:
        subspaces = tuple(Subspace(*(jnp.asarray(data[f"subspace_{i}_{field}"]) for field in Subspace._fields))
                          for i in range(n))
    ewc = None
    if like.ewc is not None:
        ewc = EWCState(tuple(jnp.asarray(data[f"ewc_{i}_importance"]) for i in range(n)),
                       tuple(jnp.asarray(data[f"ewc_{i}_anchor"]) for i in range(n)))
    return ContinualState(np.asarray(data["accuracy"]), tuple(jnp.asarray(data[f"weights_{i}"]) for i in range(n)),
                          subspaces, ewc, tuple(np.asarray(data["task_seconds"]).tolist()), int(data["tasks_done"]))


def run_continual(path, protocol, resolved, out_dir, resume, progress, on_chunk, command, data_dir) -> pathlib.Path:
    """Train the protocol's task sequence; checkpoint after each task; accuracy matrix, metrics, plots.

    Called by :func:`bioplastic.runner.run_protocol` (which loads the protocol) with its
    arguments. The dataset comes from the cache in ``data_dir``; a missing one stops the
    run before anything is written.

    Parameters
    ----------
    path : str or pathlib.Path
        The protocol file (named in error messages and in the manifest).
    protocol : ContinualProtocol
        The validated protocol, as from :func:`~bioplastic.protocol.load.load_protocol`.
    resolved : dict
        The resolved protocol table (written to ``protocol.toml``; a resume must match it).
    out_dir : str or pathlib.Path
        Where a new run folder is created (ignored with ``resume``).
    resume : str or pathlib.Path or None
        A stopped run's folder to continue, from its checkpoint (after the last finished task); None starts a new one.
    progress : bool
        Show a progress line on standard error (tasks, or one phase).
    on_chunk : callable or None
        Called after each task (the one phase of a multitask run) with the number done.
    command : list of str or None
        The command line, for the manifest.
    data_dir : str or pathlib.Path or None
        Dataset cache (None: ``bioplastic.data.cache.data_dir()``).

    Returns
    -------
    pathlib.Path
        The run folder.

    Example
    -------
    >>> import tempfile
    >>> from bioplastic.protocol.load import load_protocol
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> path, empty = folder / "c.toml", folder / "empty"           # empty: a data cache without MNIST
    >>> _ = path.write_text('''
    ... name = "c"
    ... [continual]
    ... dataset = "mnist"
    ... tasks = 2
    ... sizes = [784, 16, 10]
    ... learning_rate = 0.1
    ... train_examples = 256
    ... test_examples = 100
    ... [continual.hlop]
    ... rows_first = [8, 4]
    ... rows_added = [4, 2]
    ... learning_rates = [1e-3, 1e-2]
    ... ''')
    >>> protocol, resolved = load_protocol(path)
    >>> run_continual(path, protocol, resolved, folder / "runs", None, False, None, None, empty)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bioplastic.protocol.errors.ProtocolError: .../c.toml: continual.dataset: got 'mnist', which is not in the data cache (not fetched: no .../mnist.npz); allowed: a fetched dataset: run `bioplastic data fetch mnist --data-dir .../empty` first
    >>> (folder / "runs").exists()
    False

    With MNIST cached, the same call trains both tasks (too long for an example):

    >>> run_dir = run_continual(path, protocol, resolved, folder / "runs", None, False, None, None, None)  # doctest: +SKIP
    >>> results.read_npz(run_dir / "accuracy.npz")["accuracy"].shape              # doctest: +SKIP
    (2, 2)
    """
    from bioplastic.runner import RunError, _nonfinite, _Progress, open_run_folder

    experiment = build_continual(protocol, str(path), data_dir)
    run, state = experiment.run, experiment.state
    run_dir, manifest = open_run_folder(path, protocol, resolved, out_dir, resume, command)
    if resume is not None:
        if not (run_dir / CHECKPOINT).exists():
            raise RunError(f"--resume {run_dir}: got a run folder without {CHECKPOINT}; allowed: a stopped run's folder")
        state = state_from_arrays(results.read_npz(run_dir / CHECKPOINT), state)
    total = phases(run)
    done = min(state.tasks_done, 1) if run.settings.method == "multitask" else state.tasks_done
    shown = _Progress(protocol.name, total, 1, "tasks" if total > 1 else "phase", enabled=progress)
    for phase in range(done, total):
        state = train_next(run, state)
        bad = _nonfinite(state.weights)
        if bad is not None:
            results.write_json(run_dir / "manifest.json", dict(manifest, finished=results.now(),
                                                               status=f"failed: weights {bad} not finite"))
            layer = int(bad.strip("[]")) + 1
            raise RunError(f"continual: the weights of layer {layer} became NaN or inf while training task {phase + 1} "
                           f"({run.settings.method}); lower continual.learning_rate"
                           f"{' or continual.ewc.strength' if run.settings.method == 'ewc' else ''}. "
                           f"The state after task {phase} is kept in {run_dir / CHECKPOINT}")
        results.write_npz(run_dir / CHECKPOINT, state_arrays(state))
        shown.update(phase + 1)
        if on_chunk is not None:
            on_chunk(phase + 1)
    shown.close()
    _finish(run_dir, protocol, state, manifest)
    (run_dir / CHECKPOINT).unlink(missing_ok=True)
    return run_dir


def _finish(run_dir, protocol, state: ContinualState, manifest):
    arrays = state_arrays(state)
    results.write_npz(run_dir / "accuracy.npz", {"accuracy": state.accuracy, "task_seconds": arrays["task_seconds"]})
    results.write_npz(run_dir / "weights.npz", {k: v for k, v in arrays.items() if k.startswith("weights_")})
    if state.subspaces is not None:
        results.write_npz(run_dir / "subspaces.npz", {k: v for k, v in arrays.items() if k.startswith("subspace_")})
    metrics = {"tasks": len(state.accuracy), "acc": average_accuracy(state.accuracy),
               "train_seconds": float(np.sum(state.task_seconds))}
    if protocol.continual.method != "multitask":
        metrics["bwt"] = backward_transfer(state.accuracy)
        metrics["seconds_per_task"] = float(np.mean(state.task_seconds))
    results.write_json(run_dir / "metrics.json", metrics)
    from bioplastic.protocol.plots import draw_continual_plots

    draw_continual_plots(run_dir, protocol, state.accuracy)
    results.write_json(run_dir / "manifest.json", dict(manifest, finished=results.now(), status="completed"))
