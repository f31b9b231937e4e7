"""The size of a task sequence before it is built: permuted copies of the data, network, activations; its steps.

Example
-------
>>> from bioplastic.experiments.continual.schema import ContinualProtocol
>>> protocol = ContinualProtocol.model_validate({"name": "c", "continual": {
...     "dataset": "mnist", "tasks": 3, "sizes": [784, 100, 10], "learning_rate": 0.01,
...     "batch_size": 50, "epochs_per_task": 2, "train_examples": 500, "test_examples": 100}})
>>> estimate = estimate_continual(protocol)
>>> estimate.steps                                  # 3 tasks x 2 epochs x 10 batches
60
>>> estimate.memory["continual.tasks"] == 3 * 600 * 784 * 5 + 3 * 3 * 4       # images (uint8, float32), accuracies
True
"""

from __future__ import annotations

from bioplastic.experiments.continual.schema import ContinualProtocol
from bioplastic.experiments.size import FLOAT32, Estimate, ceil_div, dataset_bytes, dataset_examples

PARAMETER_COPIES = 4        # weights, gradient, momentum, the method's own (EWC's Fisher and anchor)
ACTIVATION_COPIES = 4       # per unit, time step and example of a batch (surrogate-gradient traces)
TASK_IMAGE_COPIES = 5       # bytes per pixel of each task's permuted images: uint8, and float32 for training


def estimate_continual(protocol: ContinualProtocol) -> Estimate:
    """Memory per key path and optimizer steps of a continual protocol.

    Parameters
    ----------
    protocol : ContinualProtocol
        A validated continual protocol (not yet cross-checked).

    Returns
    -------
    Estimate
        Parts: the tasks' images and accuracy matrix (``continual.tasks``), the network with its
        HLOP subspaces or, with GPM, its bases at their largest (n_in x n_in float64 per layer)
        (``continual.sizes``), a batch's activations (``continual.batch_size``)
        and the datasets (``continual.dataset``); steps: tasks x epochs x batches per task.
    """
    spec = protocol.continual
    names, tasks = spec.dataset_names, spec.n_tasks
    n_train, n_test, pixels = dataset_examples(names[0]) if names else (0, 0, 0)
    n_train, n_test = spec.train_examples or n_train, spec.test_examples or n_test
    if spec.sequence == "split":            # each task holds its classes' share of the examples
        n_train, n_test = ceil_div(n_train, tasks), ceil_div(n_test, tasks)
    weights = sum(a * b for a, b in zip(spec.sizes, spec.sizes[1:]))
    hlop_rows = sum(spec.hlop.rows_first) + (tasks - 1) * sum(spec.hlop.rows_added)
    gpm_bases = 2 * sum(n * n for n in spec.sizes[:-1]) if spec.method == "gpm" else 0     # float64: two float32s
    memory = {
        "continual.tasks": tasks * (n_train + n_test) * pixels * TASK_IMAGE_COPIES + tasks**2 * FLOAT32,
        "continual.sizes": (weights * PARAMETER_COPIES + hlop_rows * max(spec.sizes) + gpm_bases) * FLOAT32,
        "continual.batch_size": spec.batch_size * sum(spec.sizes) * spec.neuron.time_steps * FLOAT32 * ACTIVATION_COPIES,
        "continual.dataset": sum(dataset_bytes(name) for name in names),
    }
    steps = tasks * spec.epochs_per_task * ceil_div(max(n_train, 1), spec.batch_size)
    return Estimate(memory, steps, "continual.tasks", "optimizer steps")
