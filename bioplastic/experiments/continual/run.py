"""The units of work of a continual protocol: tasks, one after another.

After every task the engine checkpoints the accuracy matrix, weights and method state
(HLOP's lateral subspaces, EWC's sums, GPM's bases), so
``--resume`` continues at the next task with the same batches. The run folder gets
``accuracy.npz`` (the matrix and training seconds per task), ``metrics.json`` (ACC, BWT
and times; with GPM each layer's final basis size), ``weights.npz``, ``subspaces.npz``
(HLOP's lateral weights; or GPM's bases ``basis_<l>`` and ``basis_sizes``, tasks x layers:
each layer's basis size after each task) and the plots.

Example
-------
>>> from bioplastic.experiments.continual.run import state_arrays
>>> import numpy as np, jax.numpy as jnp
>>> from bioplastic.train.continual import ContinualState
>>> sorted(state_arrays(ContinualState(np.zeros((1, 1)), (jnp.ones(2),), None, None, (1.5,), 1)))
['accuracy', 'task_seconds', 'tasks_done', 'weights_0']
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from bioplastic.analysis import average_accuracy, backward_transfer
from bioplastic.experiments.continual.build import ContinualExperiment
from bioplastic.experiments.continual.plots import draw_continual_plots
from bioplastic.train.continual import ContinualState, phases, train_next
from bioplastic.rules.ewc import EWCState
from bioplastic.rules.gpm import GPMState
from bioplastic.rules.hebbian_subspace import Subspace
from bioplastic.runs import RunError, Work, write_npz
from bioplastic.train.selection import choose, validation_accuracy, with_strength
from bioplastic._checks import BadInput


def state_arrays(state: ContinualState) -> dict:
    """The state as named arrays (what the checkpoint holds).

    ``weights_<i>`` per layer; with HLOP ``subspace_<i>_weights``, ``_velocity`` and
    ``_frozen``; with EWC ``ewc_<i>_importance`` and ``ewc_<i>_anchor``; with GPM
    ``gpm_<i>_basis`` (k_i x n_in, float64) and ``gpm_basis_sizes`` (tasks done x layers); with
    learned thresholds ``thresholds`` (one per hidden layer).

    Example
    -------
    >>> accuracy = np.array([[0.9, np.nan], [0.8, 0.95]])          # after task 1, 2 (rows) on task 1, 2
    >>> subspace = Subspace(jnp.eye(1, 3), jnp.zeros((1, 3)), jnp.array([True]))
    >>> arrays = state_arrays(ContinualState(accuracy, (jnp.ones((2, 3)),), (subspace,), None, (1.5, 2.0), 2))
    >>> sorted(arrays)
    ['accuracy', 'subspace_0_frozen', 'subspace_0_velocity', 'subspace_0_weights', 'task_seconds', 'tasks_done', 'weights_0']
    >>> arrays["task_seconds"].tolist(), int(arrays["tasks_done"]), arrays["subspace_0_weights"].shape
    ([1.5, 2.0], 2, (1, 3))
    >>> gpm = GPMState((np.eye(2, 2),), np.array([[1], [2]]))              # GPM: 2 basis vectors after task 2
    >>> arrays = state_arrays(ContinualState(accuracy, (jnp.ones((2, 3)),), None, None, (1.5, 2.0), 2, gpm))
    >>> arrays["gpm_0_basis"].shape, arrays["gpm_basis_sizes"].tolist()
    ((2, 2), [[1], [2]])
    """
    arrays = {"accuracy": state.accuracy, "task_seconds": np.asarray(state.task_seconds),
              "tasks_done": np.asarray(state.tasks_done)}
    arrays.update({f"weights_{i}": np.asarray(w) for i, w in enumerate(state.weights)})
    for i, subspace in enumerate(state.subspaces or ()):
        arrays.update({f"subspace_{i}_{field}": np.asarray(value) for field, value in subspace._asdict().items()})
    if state.ewc is not None:
        for i, (importance, anchor) in enumerate(zip(state.ewc.importance, state.ewc.anchor)):
            arrays.update({f"ewc_{i}_importance": np.asarray(importance), f"ewc_{i}_anchor": np.asarray(anchor)})
    if state.gpm is not None:
        arrays.update({f"gpm_{i}_basis": np.asarray(basis) for i, basis in enumerate(state.gpm.bases)})
        arrays["gpm_basis_sizes"] = np.asarray(state.gpm.sizes)
    if state.thresholds is not None:
        arrays["thresholds"] = np.asarray(state.thresholds, np.float32)
    return arrays


def state_from_arrays(data, like: ContinualState) -> ContinualState:
    """Rebuild a state saved by :func:`state_arrays` (subspaces take the saved shapes).

    ``like`` gives the number of layers and which method state (HLOP subspaces, EWC sums,
    GPM bases) there is; subspaces and bases grow from task to task, so their saved shapes win.

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
    >>> from bioplastic.rules.gpm import init_gpm
    >>> like = ContinualState(np.full((2, 2), np.nan), (jnp.zeros((2, 3)),), None, None, (), 0, init_gpm((2,)))
    >>> saved = state_arrays(like._replace(gpm=GPMState((np.eye(1, 2),), np.array([[1]])), tasks_done=1))
    >>> state_from_arrays(saved, like).gpm.bases[0].tolist(), state_from_arrays(saved, like).gpm.sizes.tolist()
    ([[1.0, 0.0]], [[1]])
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
    gpm = None
    if like.gpm is not None:
        gpm = GPMState(tuple(np.asarray(data[f"gpm_{i}_basis"], dtype=np.float64) for i in range(n)),
                       np.asarray(data["gpm_basis_sizes"], dtype=np.int64).reshape(-1, n))
    thresholds = None if like.thresholds is None else tuple(jnp.asarray(t) for t in np.asarray(data["thresholds"]))
    return ContinualState(np.asarray(data["accuracy"]), tuple(jnp.asarray(data[f"weights_{i}"]) for i in range(n)),
                          subspaces, ewc, tuple(np.asarray(data["task_seconds"]).tolist()), int(data["tasks_done"]), gpm,
                          thresholds)


class ContinualWork(Work):
    """A continual protocol's run: one unit per task (one in all for multitask training).

    With a grid of EWC strengths, the first units are one whole sequence per strength,
    scored on the held-out training examples; the tasks of the run with the chosen strength
    follow. The state is ``(validation_acc, state)``: ACC on the held-out examples per
    strength (NaN until tried, or when its weights became NaN or inf) and the
    :class:`~bioplastic.train.continual.ContinualState` of the run scored on the test sets.
    The checkpoint holds :func:`state_arrays` of the latter (and ``validation_acc``); the
    non-finite watch looks at its weights.

    Example
    -------
    >>> from types import SimpleNamespace
    >>> run = SimpleNamespace(settings=SimpleNamespace(method="multitask"), data=[0, 1, 2])
    >>> work = ContinualWork(SimpleNamespace(run=run, strengths=None))
    >>> work.n_units, work.unit
    (1, 'phase')
    >>> work = ContinualWork(SimpleNamespace(run=SimpleNamespace(settings=SimpleNamespace(method="ewc"), data=[0, 1, 2]),
    ...                                      strengths=(1.0, 10.0)))
    >>> work.n_units, work.unit_name(1), work.unit_name(2), work.progress_at(3)      # 2 x 3 tasks + 1
    (5, 'EWC strength 10 on held-out examples (2 of 2)', 'task 1 of 3', 7)
    """

    def __init__(self, experiment: ContinualExperiment):
        self.experiment = experiment
        self.strengths = experiment.strengths or ()
        self.tasks_per_run = phases(experiment.run)
        self.n_units = len(self.strengths) + self.tasks_per_run
        self.unit = "tasks" if self.n_units > 1 else "phase"

    def start(self):
        return np.full(len(self.strengths), np.nan), self.experiment.state

    def progress_at(self, units_done):
        """Tasks trained: a whole sequence per strength tried, then one per task."""
        tried = min(units_done, len(self.strengths))
        return tried * self.tasks_per_run + units_done - tried

    def unit_name(self, index):
        if index < len(self.strengths):
            return (f"EWC strength {self.strengths[index]:g} on held-out examples "
                    f"({index + 1} of {len(self.strengths)})")
        return f"task {index - len(self.strengths) + 1} of {self.tasks_per_run}"

    def final_run(self, validation_acc):
        """The run scored on the test sets: with a grid, at the strength of best held-out ACC."""
        if not self.strengths:
            return self.experiment.run
        try:
            return with_strength(self.experiment.run, choose(self.strengths, validation_acc))
        except BadInput as error:
            raise RunError(f"continual: {error}") from None

    def run_unit(self, index, work_state, run_dir, advance):
        validation_acc, state = work_state
        if index < len(self.strengths):
            validation_acc = validation_acc.copy()
            validation_acc[index] = validation_accuracy(with_strength(self.experiment.validation_run, self.strengths[index]),
                                                        self.experiment.state)
            return validation_acc, state
        return validation_acc, train_next(self.final_run(validation_acc), state)

    def checkpointed(self, work_state):
        validation_acc, state = work_state
        return {**state_arrays(state), **({"validation_acc": validation_acc} if self.strengths else {})}

    def restored(self, tree, start, run_dir, units_done):
        validation_acc = np.asarray(tree["validation_acc"]) if self.strengths else start[0]
        return validation_acc, state_from_arrays(tree, start[1])

    def watched(self, work_state):
        return work_state[1].weights

    def nonfinite_message(self, index, before, path):
        method = self.experiment.run.settings.method
        layer = int(path.strip("[]")) + 1
        return (f"continual: the weights of layer {layer} became NaN or inf while training task "
                f"{index - len(self.strengths) + 1} ({method}); "
                f"lower continual.learning_rate{' or continual.ewc.strength' if method == 'ewc' else ''}")

    def finish(self, run_dir, work_state):
        validation_acc, state = work_state
        protocol = self.experiment.protocol
        arrays = state_arrays(state)
        write_npz(run_dir / "accuracy.npz", {"accuracy": state.accuracy, "task_seconds": arrays["task_seconds"]})
        write_npz(run_dir / "weights.npz", {k: v for k, v in arrays.items() if k.startswith("weights_") or k == "thresholds"})
        if state.subspaces is not None:
            write_npz(run_dir / "subspaces.npz", {k: v for k, v in arrays.items() if k.startswith("subspace_")})
        if state.gpm is not None:
            write_npz(run_dir / "subspaces.npz", {**{f"basis_{i}": b for i, b in enumerate(state.gpm.bases)},
                                                  "basis_sizes": np.asarray(state.gpm.sizes)})
        metrics = {"tasks": len(state.accuracy), "acc": average_accuracy(state.accuracy),
                   "train_seconds": float(np.sum(state.task_seconds))}
        if state.gpm is not None:
            metrics.update({f"basis_size_layer_{i + 1}": len(b) for i, b in enumerate(state.gpm.bases)})
        if state.thresholds is not None:
            metrics["thresholds"] = [float(t) for t in state.thresholds]
        if self.strengths:
            chosen = self.final_run(validation_acc).settings.ewc_strength
            metrics.update({"ewc_strength": chosen, "validation_acc": float(np.nanmax(validation_acc)),
                            "validation_acc_per_strength": {f"{s:g}": None if np.isnan(a) else float(a)
                                                            for s, a in zip(self.strengths, validation_acc)}})
        if protocol.continual.method != "multitask":
            metrics["bwt"] = backward_transfer(state.accuracy)
            metrics["seconds_per_task"] = float(np.mean(state.task_seconds))
        draw_continual_plots(run_dir, protocol, state.accuracy)
        return metrics
