"""Continual protocols: cross-checks and the pieces of a task-sequence run.

A protocol with a ``[continual]`` table trains a spiking MLP
(:mod:`bioplastic.networks.spiking_mlp`, DSR or BPTT) on permuted versions of a dataset,
one task after another, with a continual-learning method (``hlop``, ``gpm``, ``finetune``,
``ewc`` or ``multitask``, :mod:`bioplastic.train.continual`). :func:`build_continual`
checks what the schema cannot (layer sizes against the dataset, one HLOP number per layer,
lateral rows that fit their layer, one GPM threshold or one per layer that stays <= 1 at
every task, enough examples for a batch and for GPM's sample) and prepares the sequence.

Example
-------
>>> from bioplastic.experiments.continual.build import ContinualExperiment
>>> sorted(f.name for f in __import__("dataclasses").fields(ContinualExperiment))
['protocol', 'run', 'state', 'strengths', 'validation_run']
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import jax
import numpy as np
import optax

from bioplastic.data.tasks import dataset_tasks, hold_out, permuted_tasks, split_tasks
from bioplastic.networks.spiking_mlp import (RATE_TRAINERS, TRAINERS, SpikingMLPConfig, init_spiking_mlp, spiking_forward,
                                             spiking_gradients)
from bioplastic.neurons.surrogate import Surrogate
from bioplastic.protocol.checker import Checker, examples_used, load_dataset, plots_of_kind
from bioplastic.protocol.components import PLOTS
from bioplastic.protocol.registry import Registry
from bioplastic.experiments.continual.schema import ContinualProtocol
from bioplastic.train.continual import METHODS, ContinualRun, ContinualSettings, ContinualState, prepare_sequence
from bioplastic.rules.hlop import rows_schedule
from bioplastic.train.batches import pixel_statistics
from bioplastic.train.selection import scored_on

CONTINUAL_PLOTS = {       # plot type -> (what it needs, description), registered in the protocol's PLOTS
    "accuracy_matrix": ("continual", "accuracy on each task after each task (continual protocols)"),
    "task_accuracy": ("continual", "accuracy on each task as tasks are added (continual protocols)"),
}
for _name, (_needs, _description) in CONTINUAL_PLOTS.items():
    PLOTS.register(_name, _needs, _description)
CONTINUAL_METHODS = Registry("continual method")
for _name, _description in METHODS.items():
    CONTINUAL_METHODS.register(_name, _name, _description)
for _name, _description in TRAINERS.items():
    CONTINUAL_METHODS.register(f"trainer = {_name}", _name, _description)


@dataclasses.dataclass(frozen=True)
class ContinualExperiment:
    """A built continual protocol: the prepared sequence and its state before the first task.

    With a grid of EWC strengths, ``strengths`` holds it and ``validation_run`` is ``run``
    scored on the held-out training examples (:func:`bioplastic.train.selection.scored_on`);
    ``run``'s own strength is then set once one is chosen. Otherwise both are None.

    Made by :func:`build_continual`, which needs the dataset; the last lines are therefore
    not run.

    Example
    -------
    >>> [f.name for f in dataclasses.fields(ContinualExperiment)], ContinualExperiment.__dataclass_params__.frozen
    (['protocol', 'run', 'state', 'strengths', 'validation_run'], True)
    >>> from bioplastic.experiments import validate_protocol
    >>> experiment = validate_protocol("protocols/hlop_pmnist_small.toml")          # doctest: +SKIP
    >>> experiment.state.tasks_done, experiment.state.accuracy.shape                # doctest: +SKIP
    (0, (5, 5))
    """

    protocol: ContinualProtocol
    run: ContinualRun
    state: ContinualState
    strengths: Optional[tuple] = None
    validation_run: Optional[ContinualRun] = None


def spiking_config(neuron) -> SpikingMLPConfig:
    """The network constants of a protocol's ``[continual.neuron]`` table.

    Time is dimensionless (``tau`` and ``dt`` in the same unit); the surrogate derivative
    (``bptt`` only) is a fast sigmoid of width ``surrogate_width``.

    Example
    -------
    >>> from bioplastic.experiments.continual.schema import SpikingNeuronSpec
    >>> config = spiking_config(SpikingNeuronSpec(time_steps=4, surrogate_width=0.2))
    >>> config.time_steps, config.tau, config.dt, config.alpha, config.v_th
    (4, 1.0, 0.05, 0.3, 0.3)
    >>> config.surrogate.name, config.surrogate.width
    ('fast_sigmoid', 0.2)
    """
    return SpikingMLPConfig(neuron.time_steps, neuron.tau, neuron.dt, neuron.alpha, neuron.v_th,
                            Surrogate("fast_sigmoid", width=neuron.surrogate_width))


def _sequence_datasets(check, spec, path: str, data_dir) -> tuple[list, list]:
    """The names and loaded datasets of the sequence, the keys that name them checked against ``sequence``."""
    if spec.sequence == "datasets":
        if spec.dataset is not None:
            check.fail(f"{path}.dataset", repr(spec.dataset), "no dataset with sequence = 'datasets' (its tasks are "
                       "continual.datasets)")
        if spec.datasets is None or len(spec.datasets) < 2:
            check.fail(f"{path}.datasets", "nothing (the key is required)" if spec.datasets is None else repr(spec.datasets),
                       "two or more datasets, one task each (sequence = 'datasets'), e.g. [\"fashion_mnist\", \"mnist\"]")
        if "tasks" in spec.model_fields_set and spec.tasks != len(spec.datasets):
            check.fail(f"{path}.tasks", repr(spec.tasks), f"{len(spec.datasets)}, one task per dataset of continual.datasets "
                       "(or no tasks key)")
        places = [(name, f"{path}.datasets[{i}]") for i, name in enumerate(spec.datasets)]
    else:
        if spec.datasets is not None:
            check.fail(f"{path}.datasets", repr(spec.datasets), f"no datasets unless sequence = 'datasets' (sequence "
                       f"{spec.sequence!r} reads continual.dataset)")
        if spec.dataset is None:
            check.fail(f"{path}.dataset", "nothing (the key is required)",
                       f"a dataset name (bioplastic data list) for sequence = {spec.sequence!r}")
        places = [(spec.dataset, f"{path}.dataset")]
    loaded = [load_dataset(check, name, where, data_dir) for name, where in places]
    first = loaded[0]
    for (name, where), later in zip(places[1:], loaded[1:]):
        if later.train_images.shape[1:] != first.train_images.shape[1:] or later.n_classes != first.n_classes:
            check.fail(where, repr(name), f"a dataset with the examples and classes of {places[0][0]!r} "
                       f"({first.train_images.shape[1:]} pixels, {first.n_classes} classes)")
    return [name for name, _ in places], loaded


def build_continual(protocol: ContinualProtocol, file: str, data_dir=None) -> ContinualExperiment:
    """Cross-check a continual protocol and prepare its task sequence (loads the dataset from the cache).

    Parameters
    ----------
    protocol : ContinualProtocol
        A validated protocol with a ``[continual]`` table; ``protocol.seed`` draws the task permutations,
        initial weights and the run's key.
    file : str
        The protocol file, named in error messages.
    data_dir : str or pathlib.Path, optional
        The dataset cache (default: ``bioplastic.data.cache.data_dir()``).

    Returns
    -------
    ContinualExperiment
        The prepared sequence and its state before the first task.

    Raises
    ------
    ProtocolError
        The first problem found, located by ``file`` and key path: an unknown dataset, one
        not in the cache of ``data_dir`` (with the command that fetches it), sizes that do
        not fit it, HLOP numbers that do not fit the layers, GPM thresholds that are not one
        per layer or pass 1 at a later task, a batch or GPM sample larger than a task.

    Example
    -------
    >>> import tempfile
    >>> from bioplastic.experiments.continual.schema import ContinualProtocol
    >>> spec = {"dataset": "mnsit", "sizes": [784, 16, 10], "learning_rate": 0.1}
    >>> build_continual(ContinualProtocol(name="c", continual=spec), "c.toml")
    Traceback (most recent call last):
    ...
    bioplastic.protocol.errors.ProtocolError: c.toml: continual.dataset: got 'mnsit'; allowed: one of the datasets (bioplastic data list): mnist, fashion_mnist, cifar10, cifar100 (did you mean 'mnist'?)
    >>> empty = tempfile.mkdtemp()
    >>> mnist = ContinualProtocol(name="c", continual=dict(spec, dataset="mnist"))
    >>> build_continual(mnist, "c.toml", data_dir=empty)          # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bioplastic.protocol.errors.ProtocolError: c.toml: continual.dataset: got 'mnist', which is not in the data cache (not fetched: no .../mnist.npz); allowed: a fetched dataset: run `bioplastic data fetch mnist --data-dir ...` first
    """
    check = Checker(file)
    spec, path = protocol.continual, "continual"
    names, loaded = _sequence_datasets(check, spec, path, data_dir)
    dataset, n_tasks = loaded[0], spec.n_tasks
    pixels = int(np.prod(dataset.train_images.shape[1:]))
    outputs, output_words = dataset.n_classes, "its classes"
    if spec.sequence == "split":
        if dataset.n_classes % spec.tasks or dataset.n_classes // spec.tasks < 2:
            splits = [k for k in range(1, dataset.n_classes // 2 + 1) if dataset.n_classes % k == 0]
            check.fail(f"{path}.tasks", repr(spec.tasks), f"a number of tasks that splits the {dataset.n_classes} classes of "
                       f"{names[0]!r} into equal groups of 2 or more: {', '.join(map(str, splits))}")
        outputs, output_words = dataset.n_classes // spec.tasks, "the classes of a task"
    if spec.sizes[0] != pixels or spec.sizes[-1] != outputs or min(spec.sizes) < 1:
        check.fail(f"{path}.sizes", repr(spec.sizes),
                   f"sizes from {pixels} (pixels of {names[0]!r}) to {outputs} ({output_words}), all >= 1")
    n_layers = len(spec.sizes) - 1
    for name in ("rows_first", "rows_added", "learning_rates"):
        value = getattr(spec.hlop, name)
        if len(value) != n_layers:
            check.fail(f"{path}.hlop.{name}", repr(value), f"{n_layers} numbers, one per weight layer of {spec.sizes}")
    if spec.method == "hlop":
        schedule = rows_schedule(n_tasks, spec.hlop.rows_first, spec.hlop.rows_added, spec.hlop.fewer_every,
                                 spec.hlop.fewer_by)
        totals = np.sum(schedule, axis=0)
        for layer, (total, n_in) in enumerate(zip(totals, spec.sizes[:-1])):
            if total > n_in:
                check.fail(f"{path}.hlop.rows_added", repr(spec.hlop.rows_added),
                           f"rows that fit layer {layer + 1}: after {n_tasks} tasks it would have {total} lateral "
                           f"rows for {n_in} inputs (at most {n_in})")
    gpm = spec.gpm
    if isinstance(gpm.threshold, list) and len(gpm.threshold) != n_layers:
        check.fail(f"{path}.gpm.threshold", repr(gpm.threshold), f"one number, or one per weight layer ({n_layers} here)")
    firsts = gpm.threshold if isinstance(gpm.threshold, list) else [gpm.threshold] * n_layers
    for layer, first in enumerate(firsts):
        last = first + (n_tasks - 1) * gpm.threshold_increment
        if spec.method == "gpm" and last > 1 + 1e-12:
            check.fail(f"{path}.gpm.threshold_increment", repr(gpm.threshold_increment),
                       f"an increment that keeps every task's threshold <= 1: layer {layer + 1}'s would reach "
                       f"{last:.4g} at task {n_tasks} ({first:g} + {n_tasks - 1} x {gpm.threshold_increment:g})")
    cuts = [(examples_used(check, f"{path}.train_examples", spec.train_examples, len(d.train_images), name, "training"),
             examples_used(check, f"{path}.test_examples", spec.test_examples, len(d.test_images), name, "test"))
            for name, d in zip(names, loaded)]
    groups = [tuple(range(k * outputs, (k + 1) * outputs)) for k in range(n_tasks)] if spec.sequence == "split" else None
    if groups:          # a split task holds only its classes' examples
        n_train = min(int(np.isin(dataset.train_labels[:cuts[0][0]], group).sum()) for group in groups)
    else:
        n_train = min(n for n, _ in cuts)
    if spec.neuron.train_v_th and spec.trainer not in RATE_TRAINERS:
        check.fail(f"{path}.neuron.train_v_th", "true", f"false with trainer {spec.trainer!r} (the threshold learns by DSR's "
                   f"rule: trainer {' or '.join(repr(t) for t in RATE_TRAINERS)})")
    grid = isinstance(spec.ewc.strength, list)
    if grid and spec.method == "ewc" and spec.validation_examples is None:
        check.fail(f"{path}.ewc.strength", repr(spec.ewc.strength), "one number, or a grid with continual.validation_examples "
                   "set (the held-out training examples that choose from it)")
    if spec.validation_examples is not None and spec.validation_examples >= n_train:
        check.fail(f"{path}.validation_examples", repr(spec.validation_examples),
                   f"fewer than the {n_train} training examples of a task")
    n_fit = n_train - (spec.validation_examples or 0)          # the training examples trained on
    held = f" ({n_train} less the {spec.validation_examples} held out)" if spec.validation_examples else ""
    if spec.batch_size > n_fit:
        check.fail(f"{path}.batch_size", repr(spec.batch_size), f"at most the {n_fit} training examples of a task{held}")
    if spec.method == "gpm" and gpm.samples > n_fit:
        check.fail(f"{path}.gpm.samples", repr(gpm.samples), f"at most the {n_fit} training examples of a task{held}")
    plots_of_kind(check, protocol.plots, PLOTS, CONTINUAL_PLOTS, "continual")

    key_tasks, key_weights, key_run = jax.random.split(jax.random.PRNGKey(protocol.seed), 3)
    images = [(d.train_images[:n_train_d], d.test_images[:n_test_d]) for d, (n_train_d, n_test_d) in zip(loaded, cuts)]
    labels = [(d.train_labels[:n_train_d], d.test_labels[:n_test_d]) for d, (n_train_d, n_test_d) in zip(loaded, cuts)]
    if spec.sequence == "permuted":
        tasks = permuted_tasks(images[0], labels[0], n_tasks, key_tasks, first_unpermuted=spec.first_unpermuted)
    elif spec.sequence == "split":
        tasks = split_tasks(images[0], labels[0], groups, relabel=True)
    else:
        tasks = dataset_tasks(images, labels)
    held_out = None
    if spec.validation_examples is not None:
        tasks, held_out = hold_out(tasks, spec.validation_examples)
    config = spiking_config(spec.neuron)
    hlop = spec.hlop
    settings = ContinualSettings(
        method=spec.method, batch_size=spec.batch_size, epochs_per_task=spec.epochs_per_task,
        standardize=(pixel_statistics(np.concatenate([d.train_images for d in loaded]))      # over every dataset
                     if spec.input_scaling == "standardize" else None),
        hlop_rows_first=tuple(hlop.rows_first), hlop_rows_added=tuple(hlop.rows_added),
        hlop_fewer_every=hlop.fewer_every, hlop_fewer_by=hlop.fewer_by,
        hlop_learning_rates=tuple(hlop.learning_rates), hlop_iterations=hlop.iterations,
        hlop_momentum=hlop.momentum, hlop_spike_levels=hlop.spike_levels,
        ewc_strength=spec.ewc.strength[0] if grid else spec.ewc.strength, fisher_examples=spec.ewc.fisher_examples,
        gpm_threshold=tuple(gpm.threshold) if isinstance(gpm.threshold, list) else gpm.threshold,
        gpm_threshold_increment=gpm.threshold_increment, gpm_samples=gpm.samples,
        train_thresholds=spec.neuron.train_v_th, threshold_floor=spec.neuron.v_th_bound)
    trainer = spec.trainer
    # feedback alignment's fixed matrices: drawn as the weights are, from a key of their own
    feedback = init_spiking_mlp(jax.random.fold_in(key_weights, 1), tuple(spec.sizes)) if trainer == "dsr_fa" else None
    run, state = check.call(
        path, prepare_sequence,
        lambda w, x, y, frozen=None, thresholds=None: spiking_gradients(w, x, y, trainer, config, frozen, feedback, thresholds),
        lambda w, x, thresholds=None: spiking_forward(w, x, trainer, config, feedback=feedback, thresholds=thresholds)[0],
        init_spiking_mlp(key_weights, tuple(spec.sizes)), tasks, settings, optax.sgd(spec.learning_rate), key_run,
        projects=trainer in RATE_TRAINERS,   # DSR projects HLOP's frozen rows (GPM's bases) in its backward pass, at less cost
        thresholds=(spec.neuron.v_th,) * (len(spec.sizes) - 2) if spec.neuron.train_v_th else None)
    if grid and spec.method == "ewc":
        return ContinualExperiment(protocol, run, state, tuple(spec.ewc.strength), scored_on(run, held_out))
    return ContinualExperiment(protocol, run, state)
