"""Training a layered network with a batch-level rule and an optax optimizer, epoch by epoch.

Every rule of :mod:`bioplastic.rules` returns a *descent direction* ``delta``; the
optimizer is given ``-delta`` as its "gradient", so backprop, dual propagation and
equilibrium propagation share one optimizer, one initialisation and one sequence of
batches (shuffled per epoch from the same key), and differ only in the rule.

Example
-------
>>> import jax, jax.numpy as jnp, numpy as np, optax
>>> from bioplastic.rules.backprop import backprop
>>> from bioplastic.layers.mlp import init_layers
>>> from bioplastic.train.batches import fit
>>> x = np.random.default_rng(0).normal(size=(200, 2)).astype(np.float32)
>>> y = (x[:, 0] > 0).astype(np.int32)
>>> history = fit(backprop(), init_layers(jax.random.PRNGKey(0), (2, 8, 2)), optax.adam(5e-2),
...               (x, y), (x, y), epochs=10, batch_size=20, key=jax.random.PRNGKey(1))
>>> history.test_accuracy[-1] > 0.9
True
"""

from __future__ import annotations

import time
from typing import Callable, NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np
import optax

from bioplastic._checks import BadInput, check_choice, check_positive, check_size
from bioplastic.rules.base import Rule
from bioplastic.layers.mlp import forward


class History(NamedTuple):
    """Per epoch: ``test_accuracy`` (fraction), ``train_seconds``; and ``step_seconds`` (steady state).

    ``step_seconds`` is the median time (s) of one training step after the first (compiling)
    step of each epoch; ``layers`` holds the trained parameters.

    Example
    -------
    >>> History._fields
    ('test_accuracy', 'train_seconds', 'step_seconds', 'layers')
    """

    test_accuracy: list
    train_seconds: list
    step_seconds: float
    layers: tuple


def make_step(rule: Rule, optimizer: optax.GradientTransformation):
    """A jitted ``step(layers, rule_state, opt_state, x, y) -> (layers, rule_state, opt_state)``.

    The optimizer gets ``-delta`` as its gradient, so plain SGD moves the weights by
    ``learning_rate * delta``.

    Example
    -------
    Backprop's ``delta`` on one linear layer with output 3.5 and target 1 is ``-2.5`` per
    weight (input ones) and bias; SGD with learning rate 0.1 adds ``-0.25``:

    >>> from bioplastic.rules.backprop import backprop
    >>> from bioplastic.layers.mlp import Layer
    >>> layers = (Layer(jnp.array([[1.0], [2.0]]), jnp.array([0.5])),)
    >>> step = make_step(backprop(), optax.sgd(0.1))
    >>> layers, _, _ = step(layers, (), optax.sgd(0.1).init(layers), jnp.array([[1.0, 1.0]]), jnp.array([[1.0]]))
    >>> layers[0].weights.tolist(), layers[0].bias.tolist()
    ([[0.75], [1.75]], [0.25])
    """

    @jax.jit
    def step(layers, rule_state, opt_state, x, y):
        """One update of ``layers`` from the batch ``(x, y)``.

        Parameters
        ----------
        layers : pytree
            The network's parameters (a tuple of Layer, or the rule's own parameters).
        rule_state, opt_state : pytree
            States of the rule and of the optimizer.
        x : array
            Inputs ``(batch, ...)``.
        y : array
            Targets: one-hot labels ``(batch, n_classes)``, or the inputs themselves for an autoencoder.
        """
        delta, rule_state = rule.update(rule_state, layers, batch=(x, y))
        gradient = jax.tree_util.tree_map(jnp.negative, delta)
        updates, opt_state = optimizer.update(gradient, opt_state, layers)
        return optax.apply_updates(layers, updates), rule_state, opt_state

    return step


TASKS = ("classification", "autoencoder")
SCORES = {"classification": "test_accuracy", "autoencoder": "test_mse"}


class Trainer(NamedTuple):
    """Data and compiled functions of one training run (see :func:`trainer`).

    ``score(layers, x, y)`` and ``loss(layers, x, y)`` are *sums* over a block of examples
    (:func:`mean_over_blocks` divides by the number of examples); ``step_and_loss`` is
    ``step`` and the batch's ``loss`` before the step, in one compiled call. ``probe(layers)``, where
    given, returns ``{name: array}`` measured before training and after every epoch (e.g.
    the forward/feedback alignment of a counter-current network).

    Example
    -------
    >>> from bioplastic.rules.backprop import backprop
    >>> x, y = np.eye(3, dtype=np.float32), np.array([0, 1, 2])
    >>> run = trainer(backprop(), optax.sgd(0.1), (x, y), (x, y), batch_size=3)
    >>> run.n_classes, run.train_x.shape, run.validation_x is None, run.task
    (3, (3, 3), True, 'classification')
    """

    step: Callable
    score: Callable
    loss: Callable
    step_and_loss: Callable
    train_x: jax.Array
    train_y: np.ndarray
    test_x: jax.Array
    test_y: np.ndarray
    validation_x: Optional[jax.Array]
    validation_y: Optional[np.ndarray]
    n_classes: int
    batch_size: int
    task: str
    batches_per_epoch: Optional[int] = None
    probe: Optional[Callable] = None


def trainer(rule: Rule, optimizer, train, test, *, batch_size: int, hidden_activation: str = "relu",
            predict: Optional[Callable] = None, validation=None, task: str = "classification",
            standardize: Optional[tuple] = None, image_layout: str = "flat",
            batches_per_epoch: Optional[int] = None) -> Trainer:
    """Prepare data and compile the training step, the test score and the validation loss.

    Images are prepared by :func:`prepare_images`; the number of classes is the largest
    train or test label plus one.

    Parameters
    ----------
    rule : Rule
        A batch-level rule, ``update(state, layers, *, batch=(x, target))``.
    optimizer : optax.GradientTransformation
        Given ``-delta`` as its gradient (see :func:`make_step`).
    train, test : tuple
        ``(images, labels)``: images ``(n, ...)`` (uint8 scaled to [0, 1], other dtypes as they are), class
        indices ``(n,)`` (needed by an autoencoder too).
    batch_size : int
        Examples per step; at most the number of training examples.
    hidden_activation : str
        Hidden activation of the default ``predict``.
    predict : callable, optional
        ``predict(layers, x) -> output`` (logits or reconstruction); default the feedforward
        :func:`~bioplastic.layers.mlp.forward` pass.
    validation : tuple, optional
        ``(images, labels)`` whose loss (cross-entropy of the outputs, or the reconstruction error)
        selects a model without looking at the test set.
    task : {"classification", "autoencoder"}
        ``"classification"`` trains on one-hot labels and scores test accuracy; ``"autoencoder"`` trains on
        the image itself and scores the test reconstruction error (mean squared, per pixel).
    standardize : (mean, std), optional
        After the scaling, ``x <- (x - mean) / std`` (std > 0, in the scaled pixel units).
    image_layout : {"flat", "nhwc"}
        ``"flat"`` gives vectors; ``"nhwc"`` images with a channel axis (for convolutional networks).
    batches_per_epoch : int, optional
        Train on only the first N minibatches of each epoch's shuffled order (default: all).

    Returns
    -------
    Trainer
        The prepared splits, the jitted ``step`` and the per-block ``score`` and ``loss`` sums.

    Example
    -------
    A network with zero weights outputs equal logits: it predicts class 0 (right for half
    of these labels) and its cross-entropy is ``ln 2``:

    >>> from bioplastic.rules.backprop import backprop
    >>> from bioplastic.layers.mlp import Layer
    >>> x, y = np.array([[1, 0], [0, 1], [1, 1], [-1, 0]], np.float32), np.array([0, 1, 1, 0])
    >>> run = trainer(backprop(), optax.sgd(0.1), (x, y), (x, y), batch_size=2, validation=(x, y))
    >>> zero = (Layer(jnp.zeros((2, 2)), jnp.zeros(2)),)
    >>> evaluate_test(run, zero), round(validation_loss(run, zero), 4), round(float(np.log(2)), 4)
    (0.5, 0.6931, 0.6931)
    >>> trainer(backprop(), optax.sgd(0.1), (x, y), (x, y), batch_size=5)
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: batch_size: got 5; allowed: at most the 4 training examples
    """
    check_size(batch_size, "batch_size")
    check_choice(task, "task", TASKS)
    check_choice(image_layout, "image_layout", ("flat", "nhwc"))
    if standardize is not None:
        check_positive(standardize[1], "standardize (the std)")
    prepare = lambda split: prepare_images(split, standardize, image_layout)  # noqa: E731
    (train_x, train_y), (test_x, test_y) = prepare(train), prepare(test)
    validation_x, validation_y = prepare(validation) if validation is not None else (None, None)
    if len(train_x) < batch_size:
        raise BadInput("batch_size", batch_size, f"at most the {len(train_x)} training examples")
    n_classes = int(max(train_y.max(), test_y.max())) + 1
    predict = predict or (lambda layers, x: forward(layers, x, hidden_activation)[-1])

    if task == "classification":
        score = lambda layers, x, y: jnp.sum(jnp.argmax(predict(layers, x), axis=-1) == y)  # noqa: E731
        loss = lambda layers, x, y: jnp.sum(-jnp.take_along_axis(  # noqa: E731
            jax.nn.log_softmax(predict(layers, x)), y[:, None], axis=-1))
    else:
        score = loss = lambda layers, x, y: jnp.sum(  # noqa: E731
            jnp.mean((predict(layers, x) - x) ** 2, axis=tuple(range(1, x.ndim))))
    if batches_per_epoch is not None:
        check_size(batches_per_epoch, "batches_per_epoch")
    step = make_step(rule, optimizer)
    # one compiled call per batch that also measures the loss the batch meets, so XLA may share the forward pass
    step_and_loss = jax.jit(lambda layers, rule_state, opt_state, x, target, labels: (
        step(layers, rule_state, opt_state, x, target), loss(layers, x, labels)))
    return Trainer(step, jax.jit(score), jax.jit(loss), step_and_loss, train_x, train_y, test_x, test_y, validation_x,
                   validation_y, n_classes, batch_size, task, batches_per_epoch)


def minibatches(key: jax.Array, epoch: int, n_examples: int, batch_size: int):
    """The example indices of each full minibatch of one epoch, in a shuffled order.

    The order is a permutation drawn from ``fold_in(key, epoch)``, so every epoch has its
    own and a resumed run sees the same batches; the last ``n_examples % batch_size``
    examples of the order are left out of that epoch.

    Example
    -------
    >>> batches = list(minibatches(jax.random.PRNGKey(0), 0, 10, 4))
    >>> len(batches), sorted(np.concatenate(batches).tolist()) == sorted(set(np.concatenate(batches).tolist()))
    (2, True)
    """
    order = np.asarray(jax.random.permutation(jax.random.fold_in(key, epoch), n_examples))
    for b in range(n_examples // batch_size):
        yield order[b * batch_size : (b + 1) * batch_size]


def train_epoch(step: Callable, carry, x, y, batch_size: int, key: jax.Array, epoch: int,
                batches: Optional[int] = None, on_batch: Optional[Callable[[int], None]] = None):
    """The one batch loop: ``carry = step(carry, x_batch, y_batch)`` over the minibatches of one epoch.

    Every trainer goes through it -- :func:`run_epoch` (every batch rule), the continual
    tasks (:mod:`bioplastic.train.continual`) and :func:`fit` -- so they share the batch
    order of :func:`minibatches` and its timing.

    Parameters
    ----------
    step : callable
        ``step(carry, x_batch, y_batch) -> carry``, usually jitted.
    carry : pytree
        What the steps update (parameters, optimizer and rule states).
    x, y : arrays
        The training examples and their labels, along the first axis.
    batch_size : int
        Examples per step; the examples beyond the last whole batch are left out.
    key : jax key
        The run's batch-order key, the same for every epoch.
    epoch : int
        Epoch index (from 0), folded into ``key``.
    batches : int, optional
        Stop after this many minibatches (default: every whole one).
    on_batch : callable, optional
        ``on_batch(done)`` after each step, with the number of steps done so far in the
        epoch (a progress bar); called once the step has finished, which the timing waits
        for anyway, so it adds no synchronisation.

    Returns
    -------
    carry : pytree
        After the epoch.
    step_seconds : list of float
        Time (s) of every step but the first (which may compile).

    Example
    -------
    >>> total, times = train_epoch(lambda c, x, y: c + x.sum(), 0.0, np.ones((5, 1)), np.zeros(5), 2,
    ...                            jax.random.PRNGKey(0), 0)
    >>> float(total), len(times)                        # 2 batches of 2; the fifth example is left out
    (4.0, 1)
    >>> float(train_epoch(lambda c, x, y: c + x.sum(), 0.0, np.ones((5, 1)), np.zeros(5), 2,
    ...                   jax.random.PRNGKey(0), 0, batches=1)[0])
    2.0
    >>> done = []
    >>> _ = train_epoch(lambda c, x, y: c + x.sum(), 0.0, np.ones((5, 1)), np.zeros(5), 2, jax.random.PRNGKey(0), 0,
    ...                 on_batch=done.append)
    >>> done
    [1, 2]
    """
    step_times = []
    for b, chosen in enumerate(minibatches(key, epoch, len(x), batch_size)):
        if batches is not None and b == batches:
            break
        tick = time.perf_counter()
        carry = step(carry, x[chosen], y[chosen])
        if b > 0 or on_batch is not None:
            jax.block_until_ready(carry)
        if b > 0:
            step_times.append(time.perf_counter() - tick)
        if on_batch is not None:
            on_batch(b + 1)
    jax.block_until_ready(carry)
    return carry, step_times


class Epoch(NamedTuple):
    """What :func:`run_epoch` returns: the states after one epoch, its times and its training loss."""

    layers: object
    rule_state: object
    opt_state: object
    seconds: float
    step_seconds: list
    training_loss: Optional[float]


def run_epoch(run: Trainer, layers, rule_state, opt_state, key: jax.Array, epoch: int, *,
              track_loss: bool = True, on_batch: Optional[Callable[[int], None]] = None) -> Epoch:
    """One pass over the training set in the order drawn from ``fold_in(key, epoch)``.

    The batches of an epoch depend only on the key and the epoch index, so a resumed run
    repeats them. Examples beyond the last whole batch are left out.

    Parameters
    ----------
    run : Trainer
    layers : pytree
        The network's parameters before the epoch.
    rule_state, opt_state : pytree
        States of the rule and of the optimizer before the epoch.
    key : jax key
        The run's batch-order key (the same for every epoch).
    epoch : int
        Epoch index (from 0), folded into ``key``.
    track_loss : bool
        Measure the training loss: ``run.loss`` (cross-entropy of the outputs, or the
        reconstruction error) of each batch on the weights that batch meets, before its
        update, averaged over the epoch's examples -- the same loss as the validation loss,
        whatever the rule learns by. It costs one forward pass per batch, inside the timed
        steps; ``False`` leaves it out (``training_loss`` is then None).
    on_batch : callable, optional
        ``on_batch(done)`` after each batch (see :func:`train_epoch`).

    Returns
    -------
    Epoch
        ``layers``, ``rule_state``, ``opt_state`` after the epoch; ``seconds``, the
        wall-clock time of the epoch (s); ``step_seconds``, the time (s) of every step but the
        first (which may compile); ``training_loss``.

    Example
    -------
    Five examples in batches of two: two steps, one of them timed. With zero weights each
    batch meets equal logits over two classes, so the first batch's loss is ``ln 2``:

    >>> from bioplastic.rules.backprop import backprop
    >>> from bioplastic.layers.mlp import Layer, init_layers
    >>> x, y = np.eye(5, dtype=np.float32), np.arange(5) % 2
    >>> run = trainer(backprop(), optax.sgd(0.1), (x, y), (x, y), batch_size=2)
    >>> layers = init_layers(jax.random.PRNGKey(0), (5, 2))
    >>> epoch = run_epoch(run, layers, (), optax.sgd(0.1).init(layers), jax.random.PRNGKey(1), epoch=0)
    >>> len(epoch.step_seconds), epoch.seconds > 0, epoch.training_loss > 0
    (1, True, True)
    >>> zero = (Layer(jnp.zeros((5, 2)), jnp.zeros(2)),)
    >>> one_batch = trainer(backprop(), optax.sgd(0.0), (x[:2], y[:2]), (x, y), batch_size=2)
    >>> round(run_epoch(one_batch, zero, (), optax.sgd(0.0).init(zero), jax.random.PRNGKey(1), 0).training_loss, 4)
    0.6931
    """
    def step(carry, x, labels):
        (layers, rule_state, opt_state), loss_sum = carry
        target = x if run.task == "autoencoder" else jax.nn.one_hot(labels, run.n_classes)
        if not track_loss:
            return run.step(layers, rule_state, opt_state, x, target), loss_sum
        updated, loss = run.step_and_loss(layers, rule_state, opt_state, x, target, labels)
        return updated, loss_sum + loss                              # the loss on the weights before the update

    start = time.perf_counter()
    carry = ((layers, rule_state, opt_state), jnp.zeros((), jnp.float32))
    ((layers, rule_state, opt_state), loss_sum), step_times = train_epoch(
        step, carry, run.train_x, run.train_y, run.batch_size, key, epoch, run.batches_per_epoch, on_batch)
    seconds = time.perf_counter() - start
    batches = batches_in_epoch(run)
    training_loss = float(loss_sum) / (batches * run.batch_size) if track_loss else None
    return Epoch(layers, rule_state, opt_state, seconds, step_times, training_loss)


def batches_in_epoch(run: Trainer) -> int:
    """The steps of one epoch: every whole batch of the training set, or ``run.batches_per_epoch``.

    Example
    -------
    >>> from bioplastic.rules.backprop import backprop
    >>> x, y = np.eye(5, dtype=np.float32), np.arange(5) % 2
    >>> batches_in_epoch(trainer(backprop(), optax.sgd(0.1), (x, y), (x, y), batch_size=2))
    2
    """
    whole = len(run.train_x) // run.batch_size
    return whole if run.batches_per_epoch is None else min(whole, run.batches_per_epoch)


def evaluate_test(run: Trainer, layers) -> float:
    """The test score: accuracy (fraction) for a classifier, reconstruction error for an autoencoder.

    Example
    -------
    A zero network reconstructs every image as 0, so its error is the mean squared pixel:

    >>> from bioplastic.rules.backprop import backprop
    >>> from bioplastic.layers.mlp import Layer
    >>> x = np.array([[1.0, 0.0], [1.0, 1.0]], np.float32)
    >>> run = trainer(backprop(), optax.sgd(0.1), (x, [0, 0]), (x, [0, 0]), batch_size=1, task="autoencoder")
    >>> evaluate_test(run, (Layer(jnp.zeros((2, 2)), jnp.zeros(2)),))
    0.75
    """
    return mean_over_blocks(run.score, layers, run.test_x, run.test_y)


def validation_loss(run: Trainer, layers) -> float:
    """Mean loss on the validation split (cross-entropy, or reconstruction error).

    Example
    -------
    Zero weights give equal logits over two classes, so a cross-entropy of ``ln 2``:

    >>> from bioplastic.rules.backprop import backprop
    >>> from bioplastic.layers.mlp import Layer
    >>> x, y = np.eye(2, dtype=np.float32), np.array([0, 1])
    >>> run = trainer(backprop(), optax.sgd(0.1), (x, y), (x, y), batch_size=1, validation=(x, y))
    >>> round(validation_loss(run, (Layer(jnp.zeros((2, 2)), jnp.zeros(2)),)), 4)
    0.6931
    >>> without = trainer(backprop(), optax.sgd(0.1), (x, y), (x, y), batch_size=1)
    >>> validation_loss(without, None)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: validation_loss: got a trainer without a validation split; allowed: trainer(...)
    """
    if run.validation_x is None:
        raise BadInput("validation_loss", "a trainer without a validation split", "trainer(..., validation=...)")
    return mean_over_blocks(run.loss, layers, run.validation_x, run.validation_y)


def split_validation(train, n_validation: int, key: jax.Array):
    """Hold out ``n_validation`` random examples of ``train = (images, labels)``: ``(train, validation)``.

    Parameters
    ----------
    train : tuple
        ``(images, labels)``, arrays indexed along their first axis.
    n_validation : int
        Examples held out, from 1 to one fewer than the training examples.
    key : jax key
        Draws the held-out examples.

    Returns
    -------
    train, validation : tuple
        ``(images, labels)`` each, the examples in their original order.

    Example
    -------
    >>> images, labels = np.arange(10)[:, None], np.arange(10)
    >>> kept, held_out = split_validation((images, labels), 3, jax.random.PRNGKey(0))
    >>> len(kept[1]), len(held_out[1]), sorted(np.concatenate([kept[1], held_out[1]]).tolist()) == list(range(10))
    (7, 3, True)
    """
    images, labels = train
    if not 0 < n_validation < len(labels):
        raise BadInput("n_validation",
                       f"{n_validation!r}",
                       f"1 to {len(labels) - 1} (fewer than the training examples)")
    order = np.asarray(jax.random.permutation(key, len(labels)))
    held, kept = np.sort(order[:n_validation]), np.sort(order[n_validation:])
    return (images[kept], labels[kept]), (images[held], labels[held])


def pixel_statistics(images) -> tuple[float, float]:
    """Mean and standard deviation of all pixels of uint8 ``images`` after scaling to [0, 1].

    For the MNIST training set this gives (0.1307, 0.3081), the usual normalisation.

    Example
    -------
    >>> pixel_statistics(np.array([[0, 255], [255, 0]], np.uint8))
    (0.5, 0.5)
    """
    scaled = np.asarray(images, np.float64) / (255.0 if np.asarray(images).dtype == np.uint8 else 1.0)
    return float(scaled.mean()), float(scaled.std())


def fit(rule: Rule, layers, optimizer, train, test, *, epochs: int, batch_size: int, key: jax.Array,
        hidden_activation: str = "relu", predict: Optional[Callable] = None,
        on_epoch: Optional[Callable[[int, float], None]] = None) -> History:
    """Train for ``epochs`` over ``train = (images, labels)``; test accuracy after each epoch.

    A classification :func:`trainer` with flat images and no standardisation.

    Parameters
    ----------
    rule : Rule
    layers : pytree
        Initial parameters (``rule.init`` and ``optimizer.init`` are called on them).
    optimizer : optax.GradientTransformation
    train, test : tuple
        ``(images, labels)``; labels are class indices (see :func:`trainer`).
    epochs : int
        Passes over ``train``.
    batch_size : int
        Examples per step.
    key : jax key
        Draws the batch order of every epoch (see :func:`run_epoch`).
    hidden_activation : str
        Hidden activation of the default ``predict``.
    predict : callable, optional
        ``predict(layers, x) -> logits``; defaults to the feedforward pass.
    on_epoch : callable, optional
        ``on_epoch(epoch, accuracy)``, called after each epoch (epochs count from 1; accuracy a fraction).

    Returns
    -------
    History
        Test accuracy and training time (s) per epoch, median step time (s), trained parameters.

    Example
    -------
    >>> from bioplastic.rules.backprop import backprop
    >>> from bioplastic.layers.mlp import init_layers
    >>> x, y = np.eye(4, dtype=np.float32), np.arange(4) % 2
    >>> seen = []
    >>> history = fit(backprop(), init_layers(jax.random.PRNGKey(0), (4, 2)), optax.sgd(0.5), (x, y),
    ...               (x, y), epochs=3, batch_size=2, key=jax.random.PRNGKey(1),
    ...               on_epoch=lambda epoch, accuracy: seen.append(epoch))
    >>> len(history.test_accuracy), len(history.train_seconds), seen
    (3, 3, [1, 2, 3])
    >>> history.layers[0].weights.shape
    (4, 2)
    """
    check_size(epochs, "epochs")
    run = trainer(rule, optimizer, train, test, batch_size=batch_size, hidden_activation=hidden_activation,
                  predict=predict)
    rule_state, opt_state = rule.init(layers), optimizer.init(layers)
    accuracies, seconds, step_times = [], [], []
    for epoch in range(epochs):
        layers, rule_state, opt_state, spent, times, _ = run_epoch(run, layers, rule_state, opt_state, key, epoch,
                                                                   track_loss=False)
        seconds.append(spent)
        step_times.extend(times)
        accuracies.append(evaluate_test(run, layers))
        if on_epoch is not None:
            on_epoch(epoch + 1, accuracies[-1])
    return History(accuracies, seconds, float(np.median(step_times)) if step_times else float("nan"), layers)


def mean_over_blocks(function, layers, x, y, block: int = 1000) -> float:
    """``sum(function(layers, x_block, y_block)) / len(x)`` over blocks of ``block`` examples.

    Parameters
    ----------
    function : callable
        ``function(layers, x_block, y_block)`` returns a *sum* over its block, so the result is a
        per-example mean even when the last block is shorter.
    layers : pytree
        Passed to ``function`` as it is.
    x, y : arrays
        Examples and their labels (or targets), cut into blocks along the first axis.
    block : int
        Examples per call of ``function``.

    Example
    -------
    >>> sizes = []
    >>> def block_sum(layers, x, y):
    ...     sizes.append(len(x))
    ...     return np.sum(x)
    >>> mean_over_blocks(block_sum, None, np.arange(5.0), np.arange(5.0), block=2), sizes
    (2.0, [2, 2, 1])
    """
    total = sum(float(function(layers, x[i : i + block], y[i : i + block])) for i in range(0, len(x), block))
    return total / len(x)


def prepare_images(split, standardize: Optional[tuple] = None, image_layout: str = "flat"):
    """``(images, labels)`` as the trainer sees them: float32 images (see :func:`trainer`), int32 labels.

    Parameters
    ----------
    split : tuple
        ``(images, labels)``: images ``(n, ...)``, uint8 ones scaled to [0, 1] (others as they are).
    standardize : (mean, std), optional
        Then ``x <- (x - mean) / std``, in the scaled pixel units; default none.
    image_layout : {"flat", "nhwc"}
        ``"flat"``: images ``(n, pixels)``; ``"nhwc"``: a channel axis is added to ``(n, H, W)`` images.

    Returns
    -------
    images : jax array
        float32, ``(n, pixels)`` or ``(n, H, W, C)``.
    labels : numpy array
        int32, ``(n,)``.

    Example
    -------
    >>> x, y = prepare_images((np.full((2, 2, 2), 255, np.uint8), [0, 1]), standardize=(0.5, 0.25))
    >>> x.shape, float(x[0, 0])
    ((2, 4), 2.0)
    """
    mean, std = standardize if standardize is not None else (0.0, 1.0)
    images, labels = split
    images = np.asarray(images)
    if images.dtype == np.uint8:
        images = images.astype(np.float32) / 255.0
    images = (images - mean) / std
    if image_layout == "flat":
        images = images.reshape(len(images), -1)
    elif images.ndim == 3:
        images = images[..., None]
    return jnp.asarray(images, jnp.float32), np.asarray(labels).astype(np.int32)
