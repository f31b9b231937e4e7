"""Training protocols: cross-checks and the pieces of a batch-training run.

A protocol with a ``[training]`` table trains a network on a dataset with a batch-level
rule, an optax optimizer, batches and epochs. ``network = "mlp"`` (layers with biases)
takes dual propagation, backprop or equilibrium propagation. The counter-current networks
(forward and feedback ELU networks) take counter-current learning, backprop or feedback
alignment, each network with its own optimizer: ``counter_current_mlp`` (dense classifier,
the "scaled" loss), ``counter_current_cnn`` (stride-2 convolutions, the "normalized" loss;
images zero-padded to the power of two its convolutions need),
``counter_current_autoencoder`` (dense, input to reconstruction) and
``counter_current_conv_autoencoder`` (the authors' convolutional autoencoder with
BatchNorm; images zero-padded to a multiple of ``2 ** encoder layers``). :func:`build_training`
checks what the schema cannot (registered rule and its parameters, layer sizes against the
dataset, a bounded activation for equilibrium propagation) and returns a
:class:`TrainingExperiment`.

Example
-------
>>> from bioplastic.experiments.training.build import TRAINING_RULES
>>> TRAINING_RULES.names(), COUNTER_CURRENT_RULES.names()
(('dual_propagation', 'backprop', 'equilibrium_propagation'), ('counter_current', 'backprop', 'feedback_alignment'))
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Callable, Optional

import jax
import jax.numpy as jnp
import numpy as np
import optax

from bioplastic._checks import BadInput
from bioplastic.protocol.checker import Checker, examples_used, load_dataset, plots_without_sources
from bioplastic.protocol.components import PLOTS
from bioplastic.protocol.errors import relocate
from bioplastic.protocol.registry import Registry
from bioplastic.experiments.training.schema import TrainingProtocol
from bioplastic.rules.backprop import backprop
from bioplastic.layers.conv_autoencoder import ConvAutoencoderParams, encoder_depth, init_conv_autoencoder, reconstruct
from bioplastic.layers.conv_autoencoder import alignment as conv_autoencoder_alignment
from bioplastic.layers.counter_current import CounterCurrentParams, init_counter_current, init_counter_current_cnn
from bioplastic.layers.counter_current import alignment as counter_current_alignment
from bioplastic.rules.counter_current import counter_current
from bioplastic.layers.counter_current import predict as counter_current_predict
from bioplastic.rules.counter_current_baselines import backprop_baseline, feedback_alignment
from bioplastic.rules.dual_propagation import dual_propagation
from bioplastic.rules.equilibrium_propagation import equilibrium_propagation, predict
from bioplastic.layers.mlp import init_layers
from bioplastic.train.batches import Trainer, pixel_statistics, split_validation, trainer
from bioplastic.train.optimizers import network_optimizer


TRAINING_PLOTS = {       # plot type -> (what it needs, description), registered in the protocol's PLOTS
    "learning_curve": ("training", "test accuracy per epoch (training protocols)"),
}
for _name, (_needs, _description) in TRAINING_PLOTS.items():
    PLOTS.register(_name, _needs, _description)


@dataclasses.dataclass(frozen=True)
class TrainingRule:
    """A batch rule as a ``[training]`` protocol uses it: its factory and what the build must know of it.

    Parameters
    ----------
    factory : callable
        Returns the :class:`~bioplastic.rules.base.Rule`; its keyword arguments (bar the
        ones the build passes: ``hidden_activation``, ``output``, ``key``, ``loss``) are the
        protocol's ``rule_params``, their defaults written once, in its signature.
    local_loss : bool
        On a counter-current network, the rule takes the network's local loss (else its output loss).
    bounded_activation : str
        Why the rule needs a bounded hidden activation, for the error message; empty: it does not.
    predict : callable, optional
        ``predict(hidden_activation, rule_params) -> (layers, x) -> output`` when the rule's
        network computes its output its own way; ``rule_params`` hold every parameter of the
        factory, defaults filled in.
    per_layer : tuple of str
        Parameters that also take a list, one value per weight layer.

    Example
    -------
    >>> TRAINING_RULES.get("equilibrium_propagation").bounded_activation
    "equilibrium propagation's settling diverges otherwise"
    """

    factory: Callable
    local_loss: bool = False
    bounded_activation: str = ""
    predict: Optional[Callable] = None
    per_layer: tuple[str, ...] = ()


def _settled_prediction(hidden_activation, rule_params):
    return lambda layers, x: predict(layers, x, hidden_activation, int(rule_params["free_steps"]),
                                     rule_params["tolerance"])


TRAINING_RULES = Registry("training rule")
TRAINING_RULES.register("dual_propagation", TrainingRule(dual_propagation, per_layer=("gamma",)),
                        "[mlp] dyadic closed-form inference, local updates (Høier 2023)")
TRAINING_RULES.register("backprop", TrainingRule(backprop), "[mlp] gradient of the loss (the baseline)")
TRAINING_RULES.register("equilibrium_propagation",
                        TrainingRule(equilibrium_propagation, predict=_settled_prediction,
                                     bounded_activation="equilibrium propagation's settling diverges otherwise"),
                        "[mlp] two settling phases, contrastive update")

COUNTER_CURRENT_RULES = Registry("training rule")
COUNTER_CURRENT_RULES.register("counter_current", TrainingRule(counter_current, local_loss=True),
                               "[counter_current_mlp] anti-parallel local losses (Kao 2024)")
COUNTER_CURRENT_RULES.register("backprop", TrainingRule(backprop_baseline),
                               "[counter_current_mlp] backprop of the forward network")
COUNTER_CURRENT_RULES.register("feedback_alignment", TrainingRule(feedback_alignment),
                               "[counter_current_mlp] fixed random feedback")

NETWORK_RULES = {"mlp": TRAINING_RULES, "counter_current_mlp": COUNTER_CURRENT_RULES,
                 "counter_current_cnn": COUNTER_CURRENT_RULES, "counter_current_autoencoder": COUNTER_CURRENT_RULES,
                 "counter_current_conv_autoencoder": COUNTER_CURRENT_RULES}
# The loss each counter-current network gives its rules: counter-current learning's local form,
# and the output loss of the backprop and feedback-alignment baselines.
LOCAL_LOSS = {"counter_current_mlp": "scaled", "counter_current_cnn": "normalized", "counter_current_autoencoder": "autoencoder",
              "counter_current_conv_autoencoder": "conv_autoencoder"}
OUTPUT_LOSS = {"counter_current_mlp": "cross_entropy", "counter_current_cnn": "cross_entropy",
               "counter_current_autoencoder": "mse", "counter_current_conv_autoencoder": "mse"}
AUTOENCODERS = ("counter_current_autoencoder", "counter_current_conv_autoencoder")
CONVOLUTIONAL = ("counter_current_cnn", "counter_current_conv_autoencoder")
# The activation each counter-current network uses (fixed: the authors' choice).
COUNTER_CURRENT_ACTIVATION = {"counter_current_conv_autoencoder": "relu"}
BOUNDED = ("hard_sigmoid", "sigmoid", "tanh", "rectified_tanh")
PROBE_EXAMPLES = 1000   # test images the forward/feedback alignment of a counter-current network is measured on


@dataclasses.dataclass(frozen=True)
class TrainingExperiment:
    """A built training protocol: the trainer, initial layers, rule, optimizer, epochs and key.

    ``run`` holds the data and the compiled step, score and loss
    (:class:`~bioplastic.train.batches.Trainer`); ``layers`` the initial weights; ``key``
    the PRNG key the batches of every epoch are shuffled from. A run starts from
    ``rule.init(layers)`` and ``optimizer.init(layers)``.

    Example
    -------
    >>> import dataclasses
    >>> [field.name for field in dataclasses.fields(TrainingExperiment)]
    ['protocol', 'run', 'layers', 'rule', 'optimizer', 'epochs', 'key']

    Building one loads the dataset, so these lines are not run here:

    >>> from bioplastic.experiments import load_protocol
    >>> protocol, _ = load_protocol("protocols/dp_mnist.toml")                    # doctest: +SKIP
    >>> experiment = build_training(protocol, "protocols/dp_mnist.toml")           # doctest: +SKIP
    >>> experiment.epochs, len(experiment.layers), experiment.layers[-1].weights.shape   # doctest: +SKIP
    (10, 5, (1000, 10))
    """

    protocol: TrainingProtocol
    run: Trainer
    layers: tuple
    rule: object
    optimizer: object
    epochs: int
    key: jax.Array


def build_training(protocol: TrainingProtocol, file: str, data_dir=None) -> TrainingExperiment:
    """Cross-check a training protocol and prepare its run (loads the dataset from the cache).

    The rule, its parameters and the activation are checked before the dataset is loaded;
    the layer sizes are checked against the dataset (pixels in, classes or pixels out).

    Parameters
    ----------
    protocol : TrainingProtocol
        A validated training protocol.
    file : str
        The protocol file, named in error messages.
    data_dir : str or pathlib.Path, optional
        The dataset cache (default: ``bioplastic.data.cache.data_dir()``).

    Returns
    -------
    TrainingExperiment

    Example
    -------
    >>> def protocol(**training):
    ...     table = {"dataset": "mnist", "rule": "dual_propagation", "sizes": [784, 10], "learning_rate": 1e-3, "epochs": 1}
    ...     return TrainingProtocol.model_validate({"name": "t", "training": {**table, **training}})
    >>> build_training(protocol(rule="equilibrium_propagation"), "t.toml")
    Traceback (most recent call last):
    ...
    bioplastic.protocol.errors.ProtocolError: t.toml: training.hidden_activation: got 'relu'; allowed: a bounded activation (hard_sigmoid, sigmoid, tanh, rectified_tanh): equilibrium propagation's settling diverges otherwise
    >>> build_training(protocol(rule_params={"gamma": 2.0}), "t.toml")
    Traceback (most recent call last):
    ...
    bioplastic.protocol.errors.ProtocolError: t.toml: training.rule_params.gamma: got 2.0; allowed: 0 < gamma < 2 for the squared-error output dyad (s-_L divides by 2 - gamma)
    """
    check = Checker(file)
    spec, path = protocol.training, "training"
    counter_current_network = spec.network != "mlp"
    entry = check.registered(NETWORK_RULES[spec.network], spec.rule, f"{path}.rule")
    factory = entry.factory
    parameters = inspect.signature(factory).parameters
    allowed = tuple(name for name in parameters if name not in ("hidden_activation", "output", "key", "loss"))
    for name, value in spec.rule_params.items():
        check.known(name, f"{path}.rule_params.{name}", allowed, f"a parameter of rule {spec.rule!r}")
        takes_text, takes_list = isinstance(parameters[name].default, str), name in entry.per_layer
        if isinstance(value, str) != takes_text or (isinstance(value, list) and not takes_list):
            check.fail(f"{path}.rule_params.{name}", repr(value),
                       f"a quoted name (default {parameters[name].default!r})" if takes_text else
                       f"a number or true/false{', or a list of numbers, one per weight layer' if takes_list else ''}")
    key_layers, key_batches, key_rule = jax.random.split(jax.random.PRNGKey(protocol.seed), 3)
    fixed_activation = COUNTER_CURRENT_ACTIVATION.get(spec.network, "elu") if counter_current_network else None
    hidden_activation = spec.hidden_activation or fixed_activation or "relu"
    if counter_current_network and hidden_activation != fixed_activation:
        check.fail(f"{path}.hidden_activation", repr(hidden_activation),
                   f"{fixed_activation!r} (the {spec.network} network uses {fixed_activation})")
    if spec.init is not None and counter_current_network:
        check.fail(f"{path}.init", repr(spec.init), f"no init with network = {spec.network!r} (it keeps its "
                   "authors' initialisation); init is for network = 'mlp'")
    if spec.momentum is not None and spec.optimizer != "sgd":
        check.fail(f"{path}.momentum", repr(spec.momentum), f"only with optimizer = 'sgd' (got {spec.optimizer!r})")
    if spec.learning_rate_schedule == "cosine" and spec.min_learning_rate > spec.learning_rate:
        check.fail(f"{path}.min_learning_rate", repr(spec.min_learning_rate),
                   f"at most learning_rate ({spec.learning_rate!r}): the cosine anneals down to it")
    options = {}
    if "hidden_activation" in parameters:
        options["hidden_activation"] = hidden_activation
    if "key" in parameters:
        options["key"] = key_rule
    if "loss" in parameters:
        options["loss"] = (LOCAL_LOSS if entry.local_loss else OUTPUT_LOSS)[spec.network]
    if "output" in parameters:
        options["output"] = spec.output
    elif spec.output != "mse" and not counter_current_network:
        check.fail(f"{path}.output", repr(spec.output), f"'mse': {spec.rule} has a squared-error output only")
    if entry.bounded_activation and hidden_activation not in BOUNDED:
        check.fail(f"{path}.hidden_activation", repr(hidden_activation),
                   f"a bounded activation ({', '.join(BOUNDED)}): {entry.bounded_activation}")
    try:
        rule = factory(**options, **spec.rule_params)
    except BadInput as error:
        where = error.where
        field = f".{where}" if where in spec.rule_params else ""
        raise relocate(error, file, f"{path}.rule_params{field}") from None

    if any(size < 1 for size in spec.sizes):
        check.fail(f"{path}.sizes", repr(spec.sizes), "layer sizes >= 1")
    for name, plot in protocol.plots.items():
        check.registered(PLOTS, plot.type, f"plots.{name}.type")
        if plot.type not in TRAINING_PLOTS:
            check.fail(f"plots.{name}.type", repr(plot.type), "'learning_curve' (the plot of a training protocol)")
    plots_without_sources(check, protocol.plots)

    dataset = load_dataset(check, spec.dataset, f"{path}.dataset", data_dir)
    train_images, test_images = dataset.train_images, dataset.test_images
    if spec.network == "counter_current_cnn":
        train_images, test_images, image_side = _pad_for_convolutions(check, spec, dataset)
        layers = init_counter_current_cnn(key_layers, spec.sizes[:-1], spec.sizes[-1], image_side)
    elif spec.network == "counter_current_conv_autoencoder":
        train_images, test_images, image_side = _pad_for_autoencoder(check, spec, dataset)
        layers = init_conv_autoencoder(key_layers, spec.sizes, image_side)
    elif counter_current_network:
        _check_dense_sizes(check, spec, dataset)
        layers = init_counter_current(key_layers, tuple(spec.sizes))
    else:
        _check_dense_sizes(check, spec, dataset)
        layers = init_layers(key_layers, tuple(spec.sizes), spec.init or "he")
        _check_rule_fits_layers(rule, layers, file, f"{path}.rule_params", spec.rule_params)
    n_train = examples_used(check, f"{path}.train_examples", spec.train_examples, len(train_images), spec.dataset, "training")
    n_test = examples_used(check, f"{path}.test_examples", spec.test_examples, len(test_images), spec.dataset, "test")
    train = (train_images[:n_train], dataset.train_labels[:n_train])
    test = (test_images[:n_test], dataset.test_labels[:n_test])
    validation = None
    if spec.validation_examples is not None:
        if spec.validation_examples >= n_train:
            check.fail(f"{path}.validation_examples", repr(spec.validation_examples),
                       f"fewer than the {n_train} training examples")
        train, validation = split_validation(train, spec.validation_examples, jax.random.fold_in(key_batches, 1))
    if spec.batch_size > len(train[0]):
        check.fail(f"{path}.batch_size", repr(spec.batch_size), f"at most the {len(train[0])} training examples"
                   f"{' left after validation_examples' if validation is not None else ''}")
    standardize = pixel_statistics(dataset.train_images) if spec.input_scaling == "standardize" else None

    steps_per_epoch = len(train[0]) // spec.batch_size
    if spec.batches_per_epoch is not None:
        steps_per_epoch = min(steps_per_epoch, spec.batches_per_epoch)
    per_network = network_optimizer(
        spec.optimizer, spec.learning_rate, momentum=spec.momentum, weight_decay=spec.weight_decay,
        clip_norm=spec.clip_norm, warmup_steps=spec.warmup_steps, centralize=spec.gradient_centralization,
        schedule=spec.learning_rate_schedule, min_learning_rate=spec.min_learning_rate, epochs=spec.epochs,
        steps_per_epoch=steps_per_epoch)
    prediction = None
    if spec.network == "counter_current_conv_autoencoder":
        optimizer = optax.multi_transform({"forward": per_network, "feedback": per_network,
                                           "statistics": statistics_moves()}, _network_labels(layers))
        prediction = reconstruct
    elif counter_current_network:
        optimizer = optax.multi_transform({"forward": per_network, "feedback": per_network}, _network_labels(layers))
        prediction = counter_current_predict
    else:
        optimizer = per_network
    if entry.predict is not None:
        defaults = {name: p.default for name, p in parameters.items() if p.default is not inspect.Parameter.empty}
        prediction = entry.predict(hidden_activation, {**defaults, **spec.rule_params})
    task = "autoencoder" if spec.network in AUTOENCODERS else "classification"
    image_layout = "nhwc" if spec.network in CONVOLUTIONAL else "flat"
    run = check.call(path, trainer, rule, optimizer, train, test, batch_size=spec.batch_size,
                     hidden_activation=hidden_activation, predict=prediction, validation=validation, task=task,
                     standardize=standardize, image_layout=image_layout, batches_per_epoch=spec.batches_per_epoch)
    if counter_current_network:
        run = run._replace(probe=alignment_probe(run))
    return TrainingExperiment(protocol, run, layers, rule, optimizer, spec.epochs, key_batches)


def _check_rule_fits_layers(rule, layers, file, path: str, rule_params):
    """Trace one update on the layers' shapes (no arithmetic), so that a rule parameter that
    does not fit the network -- a per-layer ``gamma`` of the wrong length -- fails before training.

    Example
    -------
    >>> from bioplastic.rules.dual_propagation import dual_propagation
    >>> layers = init_layers(jax.random.PRNGKey(0), (4, 3, 2))
    >>> _check_rule_fits_layers(dual_propagation(gamma=[0.5]), layers, "p.toml", "training.rule_params", {"gamma": [0.5]})
    Traceback (most recent call last):
    ...
    bioplastic.protocol.errors.ProtocolError: p.toml: training.rule_params.gamma: got [0.5]; allowed: one number, or one per weight layer (2 here)
    """
    batch = tuple(jax.ShapeDtypeStruct((1, n), jnp.float32) for n in (layers[0].weights.shape[0],
                                                                        layers[-1].weights.shape[1]))
    try:
        jax.eval_shape(lambda layers, batch: rule.update(rule.init(layers), layers, batch=batch), layers, batch)
    except BadInput as error:
        field = f".{error.where}" if error.where in rule_params else ""
        raise relocate(error, file, f"{path}{field}") from None


def alignment_probe(run: Trainer):
    """``layers -> {"alignment": CKA per hidden layer}`` of a counter-current network on its first test images.

    The first :data:`PROBE_EXAMPLES` test images; the feedback network starts from their
    classes (one-hot) or, for an autoencoder, from the images themselves. See
    :func:`bioplastic.layers.counter_current.alignment` and
    :func:`bioplastic.layers.conv_autoencoder.alignment`.

    Example
    -------
    >>> from bioplastic.rules.counter_current_baselines import backprop_baseline
    >>> x = np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32)
    >>> run = trainer(backprop_baseline("mse"), optax.sgd(0.1), (x, np.zeros(8)), (x, np.zeros(8)), batch_size=4,
    ...               task="autoencoder")
    >>> probe = alignment_probe(run)
    >>> probe(init_counter_current(jax.random.PRNGKey(0), (4, 3, 4)))["alignment"].shape
    (1,)
    """
    x, labels = run.test_x[:PROBE_EXAMPLES], run.test_y[:PROBE_EXAMPLES]
    if run.task == "classification":
        return lambda layers: {"alignment": counter_current_alignment(layers, x, jax.nn.one_hot(labels, run.n_classes))}

    def autoencoder(layers):
        if isinstance(layers, ConvAutoencoderParams):
            return {"alignment": conv_autoencoder_alignment(layers, x, x)}
        return {"alignment": counter_current_alignment(layers, x, x, autoencoder=True)}

    return autoencoder


def statistics_moves() -> optax.GradientTransformation:
    """The "optimizer" of BatchNorm's running statistics: it applies the rule's step exactly.

    A rule's ``delta`` for the statistics is the running-average step itself; the optimizer
    gets ``-delta`` as the gradient, so this returns ``delta`` as the update.

    Example
    -------
    >>> updates, _ = statistics_moves().update(-np.array([0.25]), optax.EmptyState())
    >>> updates.tolist()
    [0.25]
    """
    return optax.scale(-1.0)


def _network_labels(layers):
    """Optimizer labels of a counter-current network's arrays: forward, feedback (and statistics)."""
    label = lambda name, tree: jax.tree_util.tree_map(lambda _: name, tree)  # noqa: E731
    if isinstance(layers, ConvAutoencoderParams):
        return ConvAutoencoderParams(label("forward", layers.forward), label("feedback", layers.feedback),
                                     label("statistics", layers.statistics))
    return CounterCurrentParams(label("forward", layers.forward), label("feedback", layers.feedback))


def _check_dense_sizes(check, spec, dataset):
    pixels = int(np.prod(dataset.train_images.shape[1:]))
    if spec.network == "counter_current_autoencoder":
        if spec.sizes[0] != pixels or spec.sizes[-1] != pixels:
            check.fail("training.sizes", repr(spec.sizes),
                       f"sizes from {pixels} (pixels of {spec.dataset!r}) back to {pixels} (the reconstruction)")
    elif spec.sizes[0] != pixels or spec.sizes[-1] != dataset.n_classes:
        check.fail("training.sizes", repr(spec.sizes),
                   f"sizes from {pixels} (pixels of {spec.dataset!r}) to {dataset.n_classes} (its classes)")


def _pad_for_autoencoder(check, spec, dataset):
    """Zero-pad the images, centred, to the smallest multiple of ``2 ** K`` (K encoder layers) at least their side."""
    shape = dataset.train_images.shape[1:]
    channels = shape[2] if len(shape) == 3 else 1
    if len(spec.sizes) < 3 or len(spec.sizes) % 2 == 0 or spec.sizes[0] != channels or spec.sizes[-1] != channels:
        check.fail("training.sizes", repr(spec.sizes),
                   f"an odd number of channel counts from {channels} (channels of {spec.dataset!r}) back to {channels}: "
                   "the input, the channels after each encoder and each decoder convolution, the reconstruction")
    step = 2 ** encoder_depth(spec.sizes)
    return _centre_padded(dataset, -(-max(shape[:2]) // step) * step)


def _pad_for_convolutions(check, spec, dataset):
    """Zero-pad the images, centred, to the side ``2 ** convolutions`` (each halves it, down to 1 x 1)."""
    shape = dataset.train_images.shape[1:]
    channels = shape[2] if len(shape) == 3 else 1
    n_convs = len(spec.sizes) - 2
    side = 2**n_convs
    if len(spec.sizes) < 3 or spec.sizes[0] != channels or spec.sizes[-1] != dataset.n_classes or side < max(shape[:2]):
        needed = int(np.ceil(np.log2(max(shape[:2]))))
        check.fail("training.sizes", repr(spec.sizes),
                   f"[{channels} (channels of {spec.dataset!r}), the channels of {needed} or more stride-2 convolutions "
                   f"(2 ** convolutions >= its {max(shape[:2])}-pixel side), {dataset.n_classes} (its classes)]")
    return _centre_padded(dataset, side)


def _centre_padded(dataset, side):
    """The training and test images zero-padded, centred, to ``side x side``, and ``side``."""
    shape = dataset.train_images.shape[1:]
    pad = [(0, 0), ((side - shape[0]) // 2, (side - shape[0] + 1) // 2), ((side - shape[1]) // 2, (side - shape[1] + 1) // 2)]
    pad += [(0, 0)] * (len(shape) - 2)
    return np.pad(dataset.train_images, pad), np.pad(dataset.test_images, pad), side
