"""Training one network on a sequence of tasks, and the accuracy matrix that judges it.

A trainer is any ``gradients(weights, x, labels) -> (loss, gradient, traces)`` (for
example :func:`bioplastic.networks.spiking_mlp.spiking_gradients`, BPTT or DSR) and a
``predict(weights, x) -> logits``. Methods, all with the same trainer, optimizer, batches,
budget and seed:

- ``"finetune"``: plain training on each task in turn (forgets);
- ``"hlop"``: the gradient projected off the Hebbian subspaces of earlier tasks
  (:mod:`bioplastic.rules.hlop`);
- ``"gpm"``: the gradient projected off bases of earlier tasks' layer inputs found by
  singular value decomposition after each task (gradient projection memory,
  :mod:`bioplastic.rules.gpm`);
- ``"ewc"``: the gradient plus elastic weight consolidation's penalty
  (:mod:`bioplastic.rules.ewc`);
- ``"multitask"``: every task's data at once, shuffled together, for the same number of
  steps as the whole sequence (the upper bound; only the last row of the matrix exists).

``accuracy[i, j]`` is the test accuracy on task ``j`` after training task ``i`` (NaN for
tasks not yet seen; see :mod:`bioplastic.analysis.continual` for ACC and BWT).

Example
-------
>>> import jax, numpy as np, optax
>>> from bioplastic.data.tasks import permuted_tasks
>>> from bioplastic.train.continual import ContinualSettings, train_sequence
>>> rng = np.random.default_rng(0)
>>> images = (rng.integers(0, 255, (64, 2, 2)).astype(np.uint8), rng.integers(0, 255, (32, 2, 2)).astype(np.uint8))
>>> labels = (rng.integers(0, 2, 64), rng.integers(0, 2, 32))
>>> tasks = permuted_tasks(images, labels, 2, jax.random.PRNGKey(0))
>>> def gradients(w, x, y):
...     loss = lambda w: -jax.numpy.mean(jax.nn.log_softmax(x @ w[0])[jax.numpy.arange(len(y)), y])
...     return loss(w), jax.grad(loss)(w), (x,)
>>> result = train_sequence(gradients, lambda w, x: x @ w[0], (jax.numpy.zeros((4, 2)),), tasks,
...                         ContinualSettings(method="finetune", batch_size=16), optax.sgd(0.1), jax.random.PRNGKey(1))
>>> result.accuracy.shape, bool(np.isnan(result.accuracy[0, 1])), result.tasks_done
((2, 2), True, 2)
"""

from __future__ import annotations

import dataclasses
import time
from typing import Callable, NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np
import optax

from bioplastic._checks import BadInput, check_choice, check_positive, check_size
from bioplastic.rules.combine import chain
from bioplastic.rules.ewc import consolidate, ewc_penalty, fisher_diagonal, init_ewc
from bioplastic.rules.gpm import (GPMState, active_bases, extend_bases, gpm_projection, init_gpm,
                                  representation_sample, task_thresholds)
from bioplastic.rules.hlop import frozen_bases, frozen_rows_of, hlop_projection, init_hlop, rows_schedule, start_task
from bioplastic.train.batches import mean_over_blocks, prepare_images, train_epoch

METHODS = {          # name -> description; the one place a continual method is named
    "hlop": "Hebbian orthogonal projection of the gradient (Xiao 2024)",
    "gpm": "gradient projection memory: the gradient projected off SVD bases of old inputs (Saha 2021)",
    "finetune": "plain training on one task after another (forgets)",
    "ewc": "elastic weight consolidation (Kirkpatrick 2017)",
    "multitask": "all tasks' data at once, same steps (the upper bound)",
}


@dataclasses.dataclass(frozen=True)
class ContinualSettings:
    """How a task sequence is trained.

    ``hlop_rows_first`` / ``hlop_rows_added`` / ``hlop_fewer_every`` / ``hlop_fewer_by``:
    lateral rows per layer (see :func:`bioplastic.rules.hlop.rows_schedule`);
    ``hlop_learning_rates``: per layer; ``ewc_strength`` and ``fisher_examples``: EWC's
    penalty weight and how many of a task's training images estimate its Fisher;
    ``gpm_threshold`` (one number or one per layer, in (0, 1]), ``gpm_threshold_increment``
    (added per task) and ``gpm_samples`` (training images per task in the representation
    matrices): GPM's (see :func:`bioplastic.rules.gpm.task_thresholds`). ``train_thresholds``:
    the network's firing thresholds learn during the first task (by the optimizer, kept
    ``>= threshold_floor``), then stay (the HLOP code's ``train_Vth`` and ``Vth_bound``).

    Example
    -------
    >>> settings = ContinualSettings(method="ewc", batch_size=8)
    >>> settings.ewc_strength, settings.hlop_rows_first
    (10.0, (80, 200, 100))
    >>> ContinualSettings(method="sgd")
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: method: got 'sgd'; allowed: 'hlop', 'gpm', 'finetune', 'ewc', 'multitask'
    >>> ContinualSettings(method="gpm", gpm_threshold=(0.95, 1.2))
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: gpm_threshold: got 1.2 for layer 2; allowed: 0 < threshold <= 1
    """

    method: str = "hlop"
    batch_size: int = 64
    epochs_per_task: int = 1
    standardize: Optional[tuple] = None
    hlop_rows_first: tuple = (80, 200, 100)
    hlop_rows_added: tuple = (70, 70, 70)
    hlop_fewer_every: int = 3
    hlop_fewer_by: int = 20
    hlop_learning_rates: tuple = (1e-3, 1e-2, 1e-2)
    hlop_iterations: int = 5
    hlop_momentum: float = 0.9
    hlop_spike_levels: Optional[int] = None
    ewc_strength: float = 10.0
    fisher_examples: int = 1000
    gpm_threshold: object = 0.97
    gpm_threshold_increment: float = 0.003
    gpm_samples: int = 125
    train_thresholds: bool = False
    threshold_floor: float = 0.0005

    def __post_init__(self):
        check_choice(self.method, "method", tuple(METHODS))
        check_size(self.batch_size, "batch_size")
        check_size(self.epochs_per_task, "epochs_per_task")
        check_positive(self.ewc_strength, "ewc_strength")
        check_size(self.fisher_examples, "fisher_examples")
        check_size(self.gpm_samples, "gpm_samples")
        check_positive(self.threshold_floor, "threshold_floor")
        try:
            task_thresholds(self.gpm_threshold, self.gpm_threshold_increment, 0, np.size(self.gpm_threshold))
        except BadInput as error:
            raise BadInput(f"gpm_{error.where}", error.got, error.allowed) from None


class ContinualState(NamedTuple):
    """Everything a sequence needs to go on after a task: a checkpoint.

    ``accuracy`` (tasks x tasks, NaN where not measured), ``weights``, ``subspaces`` (HLOP)
    or ``ewc`` (EWC) or ``None``, ``task_seconds`` (training time per task),
    ``tasks_done``, ``gpm`` (GPM's bases and their sizes after each task,
    :class:`~bioplastic.rules.gpm.GPMState`, or ``None``) and ``thresholds`` (each hidden
    layer's firing threshold when the network's are given to the sequence, else ``None``).

    Example
    -------
    >>> from bioplastic.data.tasks import permuted_tasks
    >>> rng = np.random.default_rng(0)
    >>> tasks = permuted_tasks((rng.random((16, 4)), rng.random((8, 4))), (rng.integers(0, 2, 16), rng.integers(0, 2, 8)),
    ...                        2, jax.random.PRNGKey(0))                  # 2 tasks of 16 + 8 examples, 4 pixels
    >>> def gradients(w, x, y):                                          # softmax regression; traces: its input
    ...     loss = lambda w: -jnp.mean(jax.nn.log_softmax(x @ w[0])[jnp.arange(len(y)), y])
    ...     return loss(w), jax.grad(loss)(w), (x,)
    >>> predict = lambda w, x: x @ w[0]
    >>> _, state = prepare_sequence(gradients, predict, (jnp.zeros((4, 2)),), tasks,
    ...                             ContinualSettings(method="finetune", batch_size=8), optax.sgd(0.1), jax.random.PRNGKey(1))
    >>> state.accuracy.tolist(), state.tasks_done, state.task_seconds, state.subspaces, state.ewc, state.gpm
    ([[nan, nan], [nan, nan]], 0, (), None, None, None)
    """

    accuracy: np.ndarray
    weights: tuple
    subspaces: Optional[tuple]
    ewc: Optional[object]
    task_seconds: tuple
    tasks_done: int
    gpm: Optional[GPMState] = None
    thresholds: Optional[tuple] = None


class ContinualRun(NamedTuple):
    """A prepared sequence: the tasks' data, the compiled evaluation and the settings.

    ``data[t]`` is ``((train_x, train_y), (test_x, test_y))`` of task ``t``, images
    flattened to float32; ``schedule`` is HLOP's rows per layer and task (else ``None``);
    ``traces`` is the compiled ``traces(weights, x, labels, thresholds=None)``, each layer's
    presynaptic activity (GPM's representation matrices), or ``None``.

    Example
    -------
    >>> from bioplastic.data.tasks import permuted_tasks
    >>> rng = np.random.default_rng(0)
    >>> tasks = permuted_tasks((rng.random((16, 4)), rng.random((8, 4))), (rng.integers(0, 2, 16), rng.integers(0, 2, 8)),
    ...                        2, jax.random.PRNGKey(0))                  # 2 tasks of 16 + 8 examples, 4 pixels
    >>> def gradients(w, x, y):                                          # softmax regression; traces: its input
    ...     loss = lambda w: -jnp.mean(jax.nn.log_softmax(x @ w[0])[jnp.arange(len(y)), y])
    ...     return loss(w), jax.grad(loss)(w), (x,)
    >>> predict = lambda w, x: x @ w[0]
    >>> settings = ContinualSettings(method="hlop", batch_size=8, hlop_rows_first=(2,), hlop_rows_added=(1,))
    >>> run, _ = prepare_sequence(gradients, predict, (jnp.zeros((4, 2)),), tasks, settings, optax.sgd(0.1),
    ...                           jax.random.PRNGKey(1))
    >>> len(run.data), run.data[0][0][0].shape, run.data[0][1][0].dtype, run.schedule
    (2, (16, 4), dtype('float32'), [(2,), (1,)])
    """

    gradients: Callable
    evaluate: Callable
    data: list
    settings: ContinualSettings
    optimizer: optax.GradientTransformation
    key: jax.Array
    schedule: Optional[list]
    projects: bool = False
    traces: Optional[Callable] = None


def prepare_sequence(gradients: Callable, predict: Callable, weights, tasks, settings: ContinualSettings,
                     optimizer: optax.GradientTransformation, key: jax.Array, projects: bool = False, thresholds=None):
    """``(run, state)``: the prepared sequence and its state before the first task.

    Parameters
    ----------
    gradients : callable
        ``gradients(weights, x, labels) -> (loss, gradient, traces)``; ``traces[l]`` is the
        presynaptic activity (batch x n_in) of layer ``l`` that HLOP learns from (and whose
        values on a sample of each task form GPM's representation matrices).
    predict : callable
        ``predict(weights, x) -> logits`` (batch x classes).
    weights : sequence of arrays
        The initial weights, layer ``l`` shaped (n_in, n_out).
    tasks : list of :class:`bioplastic.data.tasks.Task`
    settings : ContinualSettings
    optimizer : optax.GradientTransformation
        Re-initialised at the start of every task.
    key : jax key
        Seeds the batch order, HLOP's new rows and GPM's samples.
    projects : bool
        ``gradients`` takes a fourth argument, each layer's frozen HLOP rows
        (:func:`~bioplastic.rules.hlop.frozen_bases`) or GPM basis
        (:func:`~bioplastic.rules.gpm.active_bases`), and returns its gradient already
        projected off them (as :func:`~bioplastic.networks.spiking_mlp.spiking_gradients`
        does with DSR, at less cost); HLOP and GPM then skip their own projection.
    thresholds : tuple of float, optional
        The network's firing thresholds (one per hidden layer): ``gradients`` and ``predict``
        then take them as the keyword ``thresholds``, and ``gradients`` returns their
        gradient as a fourth value (as :func:`~bioplastic.networks.spiking_mlp.spiking_gradients`
        does), kept >= ``settings.threshold_floor``; they learn during the first task with
        ``settings.train_thresholds``.

    Example
    -------
    >>> from bioplastic.data.tasks import permuted_tasks
    >>> rng = np.random.default_rng(0)
    >>> tasks = permuted_tasks((rng.random((16, 4)), rng.random((8, 4))), (rng.integers(0, 2, 16), rng.integers(0, 2, 8)),
    ...                        2, jax.random.PRNGKey(0))                  # 2 tasks of 16 + 8 examples, 4 pixels
    >>> def gradients(w, x, y):                                          # softmax regression; traces: its input
    ...     loss = lambda w: -jnp.mean(jax.nn.log_softmax(x @ w[0])[jnp.arange(len(y)), y])
    ...     return loss(w), jax.grad(loss)(w), (x,)
    >>> predict = lambda w, x: x @ w[0]
    >>> settings = ContinualSettings(method="hlop", batch_size=8, hlop_rows_first=(2,), hlop_rows_added=(1,))
    >>> run, state = prepare_sequence(gradients, predict, (jnp.zeros((4, 2)),), tasks, settings, optax.sgd(0.1),
    ...                               jax.random.PRNGKey(1))
    >>> state.subspaces[0].weights.shape, state.subspaces[0].frozen.tolist()     # 2 free rows over 4 inputs
    ((2, 4), [False, False])
    >>> prepare_sequence(gradients, predict, (jnp.zeros((4, 2)),), tasks, ContinualSettings(batch_size=32),
    ...                  optax.sgd(0.1), jax.random.PRNGKey(1))
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: batch_size: got 32; allowed: at most the 16 examples of a task
    """
    weights = tuple(weights)
    n_tasks = len(tasks)
    data = [(_prepare(t.train_x, t.train_y, settings), prepare_images((t.test_x, t.test_y), settings.standardize))
            for t in tasks]
    # evaluate(network, x, y) with network = (weights, thresholds), thresholds None for a network without
    evaluate = jax.jit(lambda network, x, y: jnp.sum(
        jnp.argmax(predict(network[0], x, **_thresholds_given(network[1])), axis=-1) == y))
    schedule = subspaces = ewc = gpm = traces = None
    if settings.method == "hlop":
        schedule = rows_schedule(n_tasks, settings.hlop_rows_first, settings.hlop_rows_added,
                                 settings.hlop_fewer_every, settings.hlop_fewer_by)
        subspaces = init_hlop(jax.random.fold_in(key, 10_000), [w.shape[0] for w in weights], schedule[0])
    if settings.method == "ewc":
        ewc = init_ewc(weights)
    if settings.method == "gpm":
        task_thresholds(settings.gpm_threshold, settings.gpm_threshold_increment, n_tasks - 1, len(weights))
        gpm = init_gpm([w.shape[0] for w in weights])
        traces = jax.jit(lambda w, x, y, thresholds=None: tuple(gradients(w, x, y, **_thresholds_given(thresholds))[2]))
    if thresholds is not None:         # kept >= the floor from the first use on, as the HLOP code's neurons keep theirs
        thresholds = tuple(jnp.maximum(jnp.asarray(t, jnp.float32), settings.threshold_floor) for t in thresholds)
    run = ContinualRun(gradients, evaluate, data, settings, optimizer, key, schedule, projects, traces)
    return run, ContinualState(np.full((n_tasks, n_tasks), np.nan), weights, subspaces, ewc, (), 0, gpm, thresholds)


def _thresholds_given(thresholds) -> dict:
    """The keyword arguments that hand a network its thresholds: none for a network without."""
    return {} if thresholds is None else {"thresholds": thresholds}


def phases(run: ContinualRun) -> int:
    """How many :func:`train_next` calls the sequence takes (one per task; one for ``"multitask"``).

    Example
    -------
    >>> from bioplastic.data.tasks import permuted_tasks
    >>> rng = np.random.default_rng(0)
    >>> tasks = permuted_tasks((rng.random((16, 4)), rng.random((8, 4))), (rng.integers(0, 2, 16), rng.integers(0, 2, 8)),
    ...                        2, jax.random.PRNGKey(0))                  # 2 tasks of 16 + 8 examples, 4 pixels
    >>> def gradients(w, x, y):                                          # softmax regression; traces: its input
    ...     loss = lambda w: -jnp.mean(jax.nn.log_softmax(x @ w[0])[jnp.arange(len(y)), y])
    ...     return loss(w), jax.grad(loss)(w), (x,)
    >>> predict = lambda w, x: x @ w[0]
    >>> [phases(prepare_sequence(gradients, predict, (jnp.zeros((4, 2)),), tasks, ContinualSettings(method=m, batch_size=8),
    ...                          optax.sgd(0.1), jax.random.PRNGKey(1))[0]) for m in ("finetune", "multitask")]
    [2, 1]
    """
    return 1 if run.settings.method == "multitask" else len(run.data)


def train_next(run: ContinualRun, state: ContinualState) -> ContinualState:
    """Train the next task (or, for ``"multitask"``, all tasks at once) and measure the accuracies.

    Returns the new state; ``run`` and ``state`` are not changed, so a state can be kept
    as a checkpoint and training resumed from it.

    Example
    -------
    With HLOP, the second task freezes the rows learned on the first and adds one:

    >>> from bioplastic.data.tasks import permuted_tasks
    >>> rng = np.random.default_rng(0)
    >>> tasks = permuted_tasks((rng.random((16, 4)), rng.random((8, 4))), (rng.integers(0, 2, 16), rng.integers(0, 2, 8)),
    ...                        2, jax.random.PRNGKey(0))                  # 2 tasks of 16 + 8 examples, 4 pixels
    >>> def gradients(w, x, y):                                          # softmax regression; traces: its input
    ...     loss = lambda w: -jnp.mean(jax.nn.log_softmax(x @ w[0])[jnp.arange(len(y)), y])
    ...     return loss(w), jax.grad(loss)(w), (x,)
    >>> predict = lambda w, x: x @ w[0]
    >>> settings = ContinualSettings(method="hlop", batch_size=8, hlop_rows_first=(2,), hlop_rows_added=(1,),
    ...                              hlop_learning_rates=(0.01,))
    >>> run, state = prepare_sequence(gradients, predict, (jnp.zeros((4, 2)),), tasks, settings, optax.sgd(0.1),
    ...                               jax.random.PRNGKey(1))
    >>> first = train_next(run, state)
    >>> np.isnan(first.accuracy).tolist(), first.tasks_done, len(first.task_seconds)   # only [0, 0] measured
    ([[False, True], [True, True]], 1, 1)
    >>> second = train_next(run, first)
    >>> second.subspaces[0].frozen.tolist(), np.isnan(second.accuracy).tolist()
    ([True, True, False], [[False, True], [False, False]])

    With GPM, each task ends by growing the basis of each layer's inputs (4 pixels here):

    >>> run, state = prepare_sequence(gradients, predict, (jnp.zeros((4, 2)),), tasks,
    ...                               ContinualSettings(method="gpm", batch_size=8), optax.sgd(0.1), jax.random.PRNGKey(1))
    >>> state = train_next(run, train_next(run, state))
    >>> sizes = state.gpm.sizes
    >>> sizes.shape, bool(1 <= sizes[0, 0] <= sizes[1, 0] <= 4), state.gpm.bases[0].shape == (sizes[1, 0], 4)
    ((2, 1), True, True)
    """
    settings, data = run.settings, run.data
    task = state.tasks_done
    if settings.method == "multitask":
        x = jnp.concatenate([train[0] for train, _ in data])
        y = np.concatenate([train[1] for train, _ in data])
        learn = settings.train_thresholds and state.thresholds is not None      # the one phase is the first
        step = continual_step(run.gradients, run.optimizer, settings, use_hlop=False, use_ewc=False,
                              learn_thresholds=learn)
        start = time.perf_counter()
        weights, extra = _train_epochs(step, state.weights, _optimizer_state(run, state, learn),
                                       (None, None, None, state.thresholds), x, y, settings, jax.random.fold_in(run.key, 0))
        thresholds = extra[3]
        accuracy = state.accuracy.copy()
        accuracy[-1] = [mean_over_blocks(run.evaluate, (weights, thresholds), *test) for _, test in data]
        return state._replace(accuracy=accuracy, weights=weights, tasks_done=len(data),
                              task_seconds=(time.perf_counter() - start,), thresholds=thresholds)
    subspaces, ewc, gpm = state.subspaces, state.ewc, state.gpm
    if settings.method == "hlop" and task > 0:
        subspaces = start_task(subspaces, jax.random.fold_in(run.key, 10_000 + task), run.schedule[task])
    train_x, train_y = data[task][0]
    bases = None if gpm is None else active_bases(gpm)
    learn = settings.train_thresholds and task == 0 and state.thresholds is not None
    step = continual_step(run.gradients, run.optimizer, settings, subspaces is not None, ewc is not None,
                          None if subspaces is None else frozen_rows_of(subspaces), run.projects, use_gpm=gpm is not None,
                          learn_thresholds=learn)
    start = time.perf_counter()
    weights, (subspaces, _, _, thresholds) = _train_epochs(step, state.weights, _optimizer_state(run, state, learn),
                                                           (subspaces, ewc, bases, state.thresholds), train_x, train_y,
                                                           settings, jax.random.fold_in(run.key, task))
    seconds = time.perf_counter() - start
    given = _thresholds_given(thresholds)
    if settings.method == "ewc":
        n = min(settings.fisher_examples, len(train_x))
        example = lambda w, x1, y1: run.gradients(w, x1, y1, **given)[1]  # noqa: E731
        ewc = consolidate(ewc, weights, fisher_diagonal(example, weights, train_x[:n], train_y[:n]))
    if settings.method == "gpm":          # after the task, as EWC's Fisher: not counted in the training time
        picked = representation_sample(jax.random.fold_in(run.key, 20_000 + task), len(train_x), settings.gpm_samples)
        representations = run.traces(weights, train_x[picked], jnp.asarray(train_y)[picked], thresholds)
        energies = task_thresholds(settings.gpm_threshold, settings.gpm_threshold_increment, task, len(weights))
        gpm = extend_bases(gpm, [np.asarray(r) for r in representations], energies)
    accuracy = state.accuracy.copy()
    accuracy[task, : task + 1] = [mean_over_blocks(run.evaluate, (weights, thresholds), *test) for _, test in data[: task + 1]]
    return ContinualState(accuracy, weights, subspaces, ewc, state.task_seconds + (seconds,), task + 1, gpm, thresholds)


def _optimizer_state(run: ContinualRun, state: ContinualState, learn_thresholds: bool):
    """The optimizer's fresh state for a task: of the weights, or of ``(weights, thresholds)`` when these learn."""
    return run.optimizer.init((state.weights, state.thresholds) if learn_thresholds else state.weights)


def train_sequence(gradients: Callable, predict: Callable, weights, tasks, settings: ContinualSettings,
                   optimizer: optax.GradientTransformation, key: jax.Array,
                   on_task: Optional[Callable[[int, np.ndarray], None]] = None, projects: bool = False) -> ContinualState:
    """Train ``weights`` on ``tasks`` (:class:`bioplastic.data.tasks.Task`) with ``settings.method``.

    Parameters
    ----------
    gradients : callable
        ``gradients(weights, x, labels) -> (loss, gradient, traces)`` (see :func:`prepare_sequence`).
    predict : callable
        ``predict(weights, x) -> logits`` (batch x classes).
    weights : sequence of arrays
        The initial weights, layer ``l`` shaped (n_in, n_out).
    tasks : list of :class:`bioplastic.data.tasks.Task`
    settings : ContinualSettings
    optimizer : optax.GradientTransformation
        Re-initialised at the start of every task.
    key : jax key
        Seeds the batch order, HLOP's new rows and GPM's samples.
    on_task : callable, optional
        ``on_task(task_index, accuracy)``, called after each task (after the single joint phase for
        ``"multitask"``, with the last task's index) with the accuracy matrix so far.

    Returns
    -------
    ContinualState
        After the last task; ``accuracy[i, j]`` is the test accuracy (fraction) on task ``j`` after task ``i``.

    Example
    -------
    With EWC, each finished task adds its Fisher to the penalty's importance:

    >>> from bioplastic.data.tasks import permuted_tasks
    >>> rng = np.random.default_rng(0)
    >>> tasks = permuted_tasks((rng.random((16, 4)), rng.random((8, 4))), (rng.integers(0, 2, 16), rng.integers(0, 2, 8)),
    ...                        2, jax.random.PRNGKey(0))                  # 2 tasks of 16 + 8 examples, 4 pixels
    >>> def gradients(w, x, y):                                          # softmax regression; traces: its input
    ...     loss = lambda w: -jnp.mean(jax.nn.log_softmax(x @ w[0])[jnp.arange(len(y)), y])
    ...     return loss(w), jax.grad(loss)(w), (x,)
    >>> predict = lambda w, x: x @ w[0]
    >>> def report(task, accuracy):
    ...     print(task, int(np.isnan(accuracy).sum()), "not measured")
    >>> result = train_sequence(gradients, predict, (jnp.zeros((4, 2)),), tasks,
    ...                         ContinualSettings(method="ewc", batch_size=8, fisher_examples=8), optax.sgd(0.1),
    ...                         jax.random.PRNGKey(1), on_task=report)
    0 3 not measured
    1 1 not measured
    >>> result.tasks_done, bool((result.ewc.importance[0] > 0).all())
    (2, True)
    """
    run, state = prepare_sequence(gradients, predict, weights, tasks, settings, optimizer, key, projects)
    for _ in range(phases(run)):
        state = train_next(run, state)
        if on_task is not None:
            on_task(state.tasks_done - 1, state.accuracy)
    return state


def continual_step(gradients, optimizer, settings, use_hlop: bool, use_ewc: bool, frozen_rows=None,
                   projects: bool = False, use_gpm: bool = False, learn_thresholds: bool = False):
    """A jitted ``step(weights, opt_state, extra, x, y) -> (weights, opt_state, extra)``,
    ``extra = (subspaces, ewc, bases, thresholds)``.

    One per task (the subspaces grow, so shapes change). The loss gradient goes through
    ``chain(hlop_projection, ewc_penalty, gpm_projection)`` (each only if used): with
    ``use_hlop`` it is projected and the lateral rows learn, with ``use_ewc`` the penalty
    gradient is added, with ``use_gpm`` it is projected off the GPM bases
    (:func:`~bioplastic.rules.gpm.active_bases`, fixed during a task).

    Parameters
    ----------
    gradients : callable
        ``gradients(weights, x, labels) -> (loss, gradient, traces)`` (see :func:`prepare_sequence`).
    optimizer : optax.GradientTransformation
    settings : ContinualSettings
        HLOP's learning rates, iterations, momentum and spike levels; EWC's strength.
    use_hlop : bool
        Project the gradient with :func:`bioplastic.rules.hlop.hlop_update` (the subspaces must not be None).
    use_ewc : bool
        Add :func:`bioplastic.rules.ewc.penalty_gradient` (the EWC state must not be None).
    frozen_rows : tuple of int or None
        With HLOP, each layer's number of frozen rows in this task
        (:func:`~bioplastic.rules.hlop.frozen_rows_of`), so that their part is computed once
        per step; ``None`` reads the subspaces' masks.
    projects : bool
        With HLOP or GPM, ``gradients`` takes each layer's frozen rows or basis as a fourth
        argument and projects its gradient itself (see :func:`prepare_sequence`).
    use_gpm : bool
        Project the gradient off the GPM bases, ``extra[2]`` (one (k, n_in) array or None per layer).
    learn_thresholds : bool
        The network's thresholds, ``extra[3]``, learn by the optimizer with the weights (its state
        then of ``(weights, thresholds)``), kept ``>= settings.threshold_floor``; without, they
        (or None) are only handed to ``gradients``.

    Example
    -------
    A loss ``|w|^2 / 2`` (gradient ``w``) under ``sgd(0.5)`` halves ``w``; EWC with
    importance 1 at ``w* = 1`` and strength 1 adds ``w - w*`` to the gradient:

    >>> from bioplastic.rules.ewc import EWCState
    >>> gradients = lambda w, x, y: (0.0, (w[0],), (x,))
    >>> w, x, y = (jnp.array([2.0]),), jnp.zeros((1, 1)), jnp.zeros(1)
    >>> step = continual_step(gradients, optax.sgd(0.5), ContinualSettings(method="finetune"), False, False)
    >>> step(w, optax.sgd(0.5).init(w), (None, None, None, None), x, y)[0][0].tolist()
    [1.0]
    >>> ewc = EWCState(importance=(jnp.array([1.0]),), anchor=(jnp.array([1.0]),))
    >>> step = continual_step(gradients, optax.sgd(0.5), ContinualSettings(method="ewc", ewc_strength=1.0), False, True)
    >>> step(w, optax.sgd(0.5).init(w), (None, ewc, None, None), x, y)[0][0].tolist()      # 2 - 0.5 (2 + (2 - 1))
    [0.5]

    GPM with the basis ``e_1`` of two inputs: the gradient ``w`` loses its first component:

    >>> w2 = (jnp.array([2.0, 4.0]),)
    >>> step = continual_step(gradients, optax.sgd(0.5), ContinualSettings(method="gpm"), False, False, use_gpm=True)
    >>> step(w2, optax.sgd(0.5).init(w2), (None, None, (jnp.array([[1.0, 0.0]]),), None), x, y)[0][0].tolist()
    [2.0, 2.0]
    """

    transform = chain(*([hlop_projection(settings.hlop_learning_rates, settings.hlop_iterations, settings.hlop_momentum,
                                         settings.hlop_spike_levels, frozen_rows=frozen_rows,
                                         projected=projects)] if use_hlop else []),
                      *([ewc_penalty(settings.ewc_strength)] if use_ewc else []),
                      *([gpm_projection(projected=projects)] if use_gpm else []))
    used = (use_hlop, use_ewc, use_gpm)        # the chain's order, and that of extra

    @jax.jit
    def step(weights, opt_state, extra, x, y):
        """One optimizer step on the batch ``(x, y)``.

        Parameters
        ----------
        weights : tuple of arrays
        opt_state : pytree
            The optimizer's state.
        extra : tuple
            ``(subspaces, ewc, bases, thresholds)``: HLOP's subspaces (they learn), the EWCState and
            GPM's bases (both unchanged), the network's thresholds; None where unused.
        x : array
            Inputs ``(batch, ...)``.
        y : array
            Class indices ``(batch,)``.
        """
        frozen = None
        if projects and use_hlop:
            frozen = frozen_bases(extra[0], frozen_rows)
        elif projects and use_gpm and any(b is not None for b in extra[2]):
            frozen = extra[2]
        thresholds = extra[3]
        results = gradients(weights, x, y, *(() if frozen is None else (frozen,)), **_thresholds_given(thresholds))
        loss, gradient, traces = results[:3]
        states = tuple(state for state, use in zip(extra, used) if use)
        gradient, states = transform.update(states, weights, gradient=tuple(gradient), traces=traces)
        learned = iter(states)
        if learn_thresholds:
            updates, opt_state = optimizer.update((gradient, results[3]), opt_state, (weights, thresholds))
            weights, thresholds = optax.apply_updates((weights, thresholds), updates)
            thresholds = tuple(jnp.maximum(t, settings.threshold_floor) for t in thresholds)
        else:
            updates, opt_state = optimizer.update(gradient, opt_state, weights)
            weights = optax.apply_updates(weights, updates)
        return weights, opt_state, tuple(next(learned) if use else None for use in used) + (thresholds,)

    return step


def _train_epochs(step, weights, opt_state, extra, x, y, settings, key):
    carry = (weights, opt_state, extra)
    for epoch in range(settings.epochs_per_task):
        carry, _ = train_epoch(lambda c, x_batch, y_batch: step(*c, x_batch, y_batch), carry, x, y,
                               settings.batch_size, key, epoch)
    weights, _, extra = carry
    return weights, extra


def _prepare(images, labels, settings):
    if len(images) < settings.batch_size:
        raise BadInput("batch_size", settings.batch_size, f"at most the {len(images)} examples of a task")
    return prepare_images((images, labels), settings.standardize)
