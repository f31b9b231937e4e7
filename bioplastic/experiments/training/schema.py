"""The schema of a training protocol (a ``[training]`` table): a layered network trained on a dataset
with a batch-level rule, epoch by epoch.

Example
-------
>>> TrainingProtocol.model_validate({"name": "dp", "training": {"dataset": "mnist", "rule": "backprop",
...     "sizes": [784, 10], "learning_rate": 0.001, "epochs": 1}}).training.batch_size
100
"""

from __future__ import annotations

from typing import Literal, Optional, Union

from pydantic import Field

from bioplastic.protocol.schema import ExperimentProtocol, Strict



class TrainingSpec(Strict):
    """Batch training of a layered network on a dataset with a learning rule (a training protocol).

    ``sizes`` run from the input (pixels) to the output (classes, or pixels for the
    autoencoder); the defaults are an ``mlp`` with a squared-error output, Adam, batches of
    100 and pixels scaled to [0, 1].

    Example
    -------
    >>> spec = TrainingSpec(dataset="mnist", rule="dual_propagation", sizes=[784, 100, 10],
    ...                     learning_rate=1e-3, epochs=2)
    >>> spec.network, spec.output, spec.optimizer, spec.batch_size, spec.input_scaling, spec.rule_params
    ('mlp', 'mse', 'adam', 100, 'unit', {})
    >>> TrainingSpec(dataset="mnist", rule="backprop", sizes=[784], learning_rate=1e-3, epochs=1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for TrainingSpec
    sizes
      List should have at least 2 items after validation, not 1 [type=too_short, input_value=[784], input_type=list]
    ...
    """

    dataset: str = Field(description="dataset name (bioplastic data list)")
    network: Literal["mlp", "counter_current_mlp", "counter_current_cnn", "counter_current_autoencoder",
                     "counter_current_conv_autoencoder"] = Field(
        "mlp", description="mlp: layers with biases (DP, BP, EP); counter_current_mlp / _cnn / _autoencoder: "
        "forward + feedback ELU nets, dense or convolutional, classifying or reconstructing (CCL, BP, FA); "
        "counter_current_conv_autoencoder: the authors' convolutional autoencoder (ReLU, BatchNorm)"
    )
    rule: str = Field(description="a rule of the network (bioplastic list): e.g. dual_propagation, counter_current")
    sizes: list[int] = Field(min_length=2, description="layer sizes, input (pixels) to output (classes or pixels); "
                             "counter_current_cnn: image channels, the channels of each stride-2 convolution, classes; "
                             "counter_current_conv_autoencoder: image channels, the channels after each encoder "
                             "(stride-2) and decoder (upsampling) convolution, image channels")
    hidden_activation: Optional[str] = Field(None, description="default: relu (mlp), elu (counter_current_mlp, fixed)")
    output: Literal["mse", "cross_entropy"] = "mse"
    optimizer: Literal["adam", "sgd"] = "adam"
    learning_rate: float = Field(gt=0)
    momentum: Optional[float] = Field(None, ge=0, lt=1, description="sgd only: heavy-ball momentum (PyTorch's form)")
    weight_decay: float = Field(0.0, ge=0, description="add weight_decay * w to each gradient after clipping "
                                "(PyTorch's SGD weight_decay)")
    learning_rate_schedule: Literal["constant", "cosine"] = Field(
        "constant", description="cosine: from learning_rate to min_learning_rate over the epochs, stepped per epoch")
    min_learning_rate: float = Field(0.0, ge=0, description="the floor of the cosine schedule")
    gradient_centralization: bool = Field(False, description="centre each weight gradient per output unit "
                                          "before clipping (Yong et al. 2020)")
    clip_norm: Optional[float] = Field(None, gt=0, description="clip the gradient norm (per network) before the optimizer")
    warmup_steps: int = Field(0, ge=0, description="scale the first N gradients by step/N (before clipping)")
    batch_size: int = Field(100, ge=1)
    batches_per_epoch: Optional[int] = Field(None, ge=1, description="train on the first N minibatches of each "
                                             "epoch's shuffled order (default: all)")
    epochs: int = Field(ge=1)
    train_examples: Optional[int] = Field(None, ge=1, description="use the first N training examples (default: all)")
    test_examples: Optional[int] = Field(None, ge=1, description="use the first N test examples (default: all)")
    validation_examples: Optional[int] = Field(
        None, ge=1, description="hold out N random training examples; report the test score of the epoch with the "
        "lowest validation loss (default: no validation split)"
    )
    input_scaling: Literal["unit", "standardize"] = Field(
        "unit", description="pixels to [0, 1], or standardized by the training set's pixel mean and std"
    )
    init: Optional[Literal["he", "glorot"]] = Field(
        None, description="mlp only: weights uniform in +-sqrt(6 / n_in) (he, the default) or "
        "+-sqrt(6 / (n_in + n_out)) (glorot); the counter-current networks keep their authors' init"
    )
    rule_params: dict[str, Union[bool, int, float, str, list[float]]] = Field(
        default_factory=dict, description="the rule's own parameters (gamma, sweeps, beta, free_steps, ...); "
        "a list gives one value per layer where the rule takes one (dual_propagation's gamma)"
    )


class TrainingProtocol(ExperimentProtocol):
    """An experiment that trains a layered network epoch by epoch (chosen by a [training] table).

    Example
    -------
    >>> protocol = TrainingProtocol.model_validate({"name": "dp", "training": {
    ...     "dataset": "mnist", "rule": "dual_propagation", "sizes": [784, 10], "learning_rate": 0.001, "epochs": 1}})
    >>> protocol.seed, protocol.plots, protocol.training.sizes
    (0, {}, [784, 10])
    >>> TrainingProtocol.model_validate({"name": "my run", "training": protocol.training})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for TrainingProtocol
    name
      String should match pattern '^[A-Za-z0-9_.-]+$' [type=string_pattern_mismatch, input_value='my run', input_type=str]
    ...
    """

    training: TrainingSpec
