"""The size of a training run before it is built: weights and optimizer state, activations, dataset; its steps.

Example
-------
>>> from bioplastic.experiments.training.schema import TrainingProtocol
>>> protocol = TrainingProtocol.model_validate({"name": "t", "training": {
...     "dataset": "mnist", "rule": "backprop", "sizes": [784, 100, 10], "learning_rate": 0.001,
...     "epochs": 2, "batch_size": 100, "train_examples": 1000}})
>>> estimate = estimate_training(protocol)
>>> estimate.steps                                  # 2 epochs of 10 batches
20
>>> estimate.memory["training.sizes"] == (784 * 100 + 100 + 100 * 10 + 10) * 4 * 6
True

The convolutional autoencoder: 28-pixel images (a multiple of 2 ** 2) halved twice and doubled
back; 3 batches per epoch:

>>> protocol.training.network, protocol.training.sizes = "counter_current_conv_autoencoder", [1, 4, 8, 4, 1]
>>> protocol.training.batches_per_epoch = 3
>>> estimate = estimate_training(protocol)
>>> estimate.memory["training.batch_size"] == 2 * 100 * (28**2 + 4 * 14**2 + 8 * 7**2 + 4 * 14**2 + 28**2) * 4 * 8
True
>>> estimate.steps
6
"""

from __future__ import annotations

import math

from bioplastic.experiments.size import FLOAT32, Estimate, ceil_div, dataset_bytes, dataset_examples
from bioplastic.experiments.training.schema import TrainingProtocol

PARAMETER_COPIES = 6        # weights, gradient, two optimizer moments, two of the rule's own (feedback, dyads)
ACTIVATION_COPIES = 8       # per unit of a batch: the phases, dyads or settling states the rules keep
DATASET_COPIES = 5          # the uint8 arrays, and the float32 images
KERNEL_AREA = 9             # convolutions: a 3 x 3 kernel per pair of channels


def estimate_training(protocol: TrainingProtocol) -> Estimate:
    """Memory per key path and optimizer steps of a training protocol.

    Parameters
    ----------
    protocol : TrainingProtocol
        A validated training protocol (not yet cross-checked).

    Returns
    -------
    Estimate
        Parts: the network (``training.sizes``), the batch's activations (``training.batch_size``)
        and the dataset (``training.dataset``); steps: epochs x batches per epoch.
    """
    spec = protocol.training
    n_train = spec.train_examples or dataset_examples(spec.dataset)[0]
    n_train -= spec.validation_examples or 0
    if spec.network == "counter_current_cnn":       # stride-2 convolutions from a side of 2 ** convolutions to 1
        kernel, side = KERNEL_AREA, 2 ** (len(spec.sizes) - 2)
        areas = [max(side // 2**layer, 1) ** 2 for layer in range(len(spec.sizes) - 1)] + [1]
    elif spec.network == "counter_current_conv_autoencoder":   # K halvings of the padded side, then K doublings
        depth, pixels = (len(spec.sizes) - 1) // 2, dataset_examples(spec.dataset)[2]
        step = 2**depth
        side = -(-math.isqrt(pixels // max(spec.sizes[0], 1)) // step) * step
        kernel = KERNEL_AREA
        areas = [(side // 2 ** min(layer, 2 * depth - layer)) ** 2 for layer in range(len(spec.sizes))]
    else:
        kernel, areas = 1, [1] * len(spec.sizes)
    units = sum(size * area for size, area in zip(spec.sizes, areas))
    networks = 1 if spec.network == "mlp" else 2               # counter-current: a forward and a feedback network
    weights = sum(a * b * kernel + b for a, b in zip(spec.sizes, spec.sizes[1:]))
    memory = {
        "training.sizes": networks * weights * FLOAT32 * PARAMETER_COPIES,
        "training.batch_size": networks * spec.batch_size * units * FLOAT32 * ACTIVATION_COPIES,
        "training.dataset": DATASET_COPIES * dataset_bytes(spec.dataset),
    }
    batches = ceil_div(max(n_train, 1), spec.batch_size)
    if spec.batches_per_epoch is not None:
        batches = min(batches, spec.batches_per_epoch)
    return Estimate(memory, spec.epochs * batches, "training.epochs",
                    "optimizer steps")
