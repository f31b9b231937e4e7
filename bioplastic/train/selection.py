"""EWC's strength chosen on held-out training examples, never on the test sets.

A grid of strengths is tried one after another. Each candidate trains the whole task
sequence on the training sets shortened by :func:`bioplastic.data.tasks.hold_out`, and its
accuracy matrix is measured on the held-out examples in place of the test sets
(:func:`scored_on`, :func:`validation_accuracy`); the candidate with the highest ACC on
them wins (:func:`choose`). Only then does a run with the chosen strength meet the test sets.

Example
-------
>>> import jax, jax.numpy as jnp, numpy as np, optax
>>> from bioplastic.data.tasks import hold_out, permuted_tasks
>>> from bioplastic.train.continual import ContinualSettings, prepare_sequence
>>> rng = np.random.default_rng(0)
>>> tasks = permuted_tasks((rng.random((40, 4)), rng.random((8, 4))), (rng.integers(0, 2, 40), rng.integers(0, 2, 8)),
...                        2, jax.random.PRNGKey(0))
>>> kept, held_out = hold_out(tasks, 8)                                 # 32 to train on, 8 to choose with
>>> def gradients(w, x, y):                                             # softmax regression; traces: its input
...     loss = lambda w: -jnp.mean(jax.nn.log_softmax(x @ w[0])[jnp.arange(len(y)), y])
...     return loss(w), jax.grad(loss)(w), (x,)
>>> run, start = prepare_sequence(gradients, lambda w, x: x @ w[0], (jnp.zeros((4, 2)),), kept,
...                               ContinualSettings(method="ewc", batch_size=8, fisher_examples=8), optax.sgd(0.1),
...                               jax.random.PRNGKey(1))
>>> validation = scored_on(run, held_out)
>>> scores = [validation_accuracy(with_strength(validation, s), start) for s in (1.0, 10.0)]
>>> all(0.0 <= s <= 1.0 for s in scores), choose((1.0, 10.0), scores) in (1.0, 10.0)
(True, True)
"""

from __future__ import annotations

import dataclasses

import numpy as np

from bioplastic._checks import BadInput
from bioplastic.analysis import average_accuracy
from bioplastic.train.batches import prepare_images
from bioplastic.train.continual import ContinualRun, ContinualState, phases, train_next


def scored_on(run: ContinualRun, held_out) -> ContinualRun:
    """The same run, with its accuracy matrix measured on ``held_out`` instead of the test sets.

    Parameters
    ----------
    run : ContinualRun
        From :func:`~bioplastic.train.continual.prepare_sequence`; its training data are
        shared, its test sets are left unread.
    held_out : list of (images, labels)
        One pair per task (:func:`bioplastic.data.tasks.hold_out`), prepared as the
        training images are (same pixel scaling).

    Returns
    -------
    ContinualRun
    """
    if len(held_out) != len(run.data):
        raise BadInput("held_out", f"{len(held_out)} sets", f"one per task ({len(run.data)})")
    data = [(train, prepare_images(examples, run.settings.standardize)) for (train, _), examples in zip(run.data, held_out)]
    return run._replace(data=data)


def with_strength(run: ContinualRun, strength: float) -> ContinualRun:
    """The same run with EWC's penalty weight set to ``strength`` (> 0)."""
    return run._replace(settings=dataclasses.replace(run.settings, ewc_strength=float(strength)))


def validation_accuracy(run: ContinualRun, start: ContinualState) -> float:
    """ACC of the whole sequence of ``run`` trained from ``start``, or NaN if its weights became NaN or inf.

    With a run from :func:`scored_on`, the accuracies are those on the held-out examples.
    """
    state = start
    for _ in range(phases(run)):
        state = train_next(run, state)
    if not all(np.isfinite(np.asarray(w)).all() for w in state.weights):
        return float("nan")
    return average_accuracy(state.accuracy)


def choose(grid, scores) -> float:
    """The value of ``grid`` with the highest score (the first of equals); NaN scores never win.

    Example
    -------
    >>> choose((1.0, 3.0, 10.0), [0.91, float("nan"), 0.93])
    10.0
    >>> choose((1.0, 3.0), [float("nan"), float("nan")])
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: continual.ewc.strength: got [1.0, 3.0], every one of which made the weights NaN or inf; allowed: a grid with smaller strengths (or a lower continual.learning_rate)
    """
    scores = np.asarray(scores, dtype=float)
    if not np.isfinite(scores).any():
        raise BadInput("continual.ewc.strength", f"{[float(g) for g in grid]}, every one of which made the weights NaN or inf",
                       "a grid with smaller strengths (or a lower continual.learning_rate)")
    return float(grid[int(np.nanargmax(scores))])
