"""Counter-current learning (Kao & Hariharan, NeurIPS 2024): two networks, anti-parallel local losses.

A forward network carries inputs up and a feedback network carries the targets down
(:mod:`bioplastic.layers.counter_current`: ``a_l`` and ``b_l``). Every layer's input is detached (``stop_gradient``), so each
weight learns only from the loss of the layer it produces. Three losses pair ``a_l`` with
``b_l``:

``"scaled"`` (the authors' MLP classifier; ``top`` = one row per class, ``I_C``)::

    loss_l = (256 s_C / d_l) * mean((A_l B_l^T - Y)^2),    Y_ic = [label_i == c],  s_C = 0.5

``"normalized"`` (the authors' CNN classifier): rows of ``A_l`` (batch x d_l) and ``B_l``
(C x d_l) L2-normalised, then ``s_C mean((A B^T - Y)^2) + 0.5 mean((A A^T - I)^2) + 0.5
mean((B B^T - I)^2)``. For both, ``l = 0 .. L-1``; the logits (``l = L``) get only a
cross-entropy loss, as in the authors' code.

``"autoencoder"`` (``top`` = the target image): ``loss_l = mean((a_l - b_l)^2)`` for every
``l = 0 .. L``; the reconstruction is the forward output ``a_L``.

``"conv_autoencoder"`` (the authors' convolutional autoencoder,
:mod:`bioplastic.layers.conv_autoencoder`; ``top`` = the target image): with ``n_l`` the
side of layer ``l``'s images, ``loss_l = n_l mean((a_l - b_l)^2) + n_l mean((z(a_l) -
z(b_l))^2)`` for the hidden layers, where ``z`` centres each channel of each image on its
mean over the image and scales it to unit L2 norm over the image (:func:`normalized`), and
``n_l mean((a_l - b_l)^2)`` alone at the two ends (``l = 0``: the feedback network's
reconstruction of the input; ``l = L``: the forward network's). The normalised term keeps
both networks from agreeing on constant images. The BatchNorm running statistics move by
their running-average step (:func:`~bioplastic.layers.conv_autoencoder.statistics_step`).

``loss_l`` reaches exactly two weights: those producing ``a_l`` and those producing ``b_l``.
No forward weight is used in the feedback path or the reverse (no weight transport). Both
properties are tested with ``jax.grad``.

Example
-------
>>> import jax, jax.numpy as jnp
>>> from bioplastic.layers.counter_current import init_counter_current
>>> params = init_counter_current(jax.random.PRNGKey(0), (4, 6, 3))
>>> rule = counter_current()
>>> delta, _ = rule.update((), params, batch=(jnp.ones((2, 4)), jnp.eye(3)[:2]))
>>> [w.shape for w in delta.forward], [b.shape for b in delta.feedback]
([(4, 6), (6, 3)], [(6, 4), (3, 6)])
"""

from __future__ import annotations


import jax
import jax.numpy as jnp

from bioplastic._checks import check_choice, check_positive
from bioplastic.layers import conv_autoencoder
from bioplastic.layers.counter_current import CounterCurrentParams, feedback_activities, forward_activities
from bioplastic.rules.base import Rule

SCALE_C = 0.5
SCALE_ORTHOGONAL = 0.5
LOSSES = ("scaled", "normalized", "autoencoder", "conv_autoencoder")
NORM_FLOOR = 1e-8            # added to the L2 norm in the normalised terms, as in the authors' code


def layer_losses(params: CounterCurrentParams, x, y, loss: str = "scaled") -> jax.Array:
    """The per-layer losses ``loss_0 .. loss_L`` (``loss_L``: the cross-entropy of the logits).

    Parameters
    ----------
    params : CounterCurrentParams
    x : array
        Inputs ``(batch, d_0)``, or images ``(batch, H, W, C)`` for a CNN.
    y : array
        One-hot labels ``(batch, C)``; the feedback network starts from ``I_C``.
    loss : {"scaled", "normalized"}
        The local loss (see the module docstring): ``"scaled"`` (MLP) or ``"normalized"`` (CNN).

    Returns
    -------
    array
        ``(L + 1,)``, each loss a batch mean.

    Example
    -------
    One dense layer on 2 inputs and 2 classes: ``b_0 = B_1``, so ``x b_0^T = [1.0, -0.4]``
    against ``y = [0, 1]`` gives ``loss_0 = (256 * 0.5 / 2) * (1 + 1.96) / 2 = 94.72``; the
    logits ``x W = [2, 0]`` give ``loss_1 = ln(1 + e^2) = 2.1269``:

    >>> w = jnp.array([[1.0, -2.0], [0.5, 1.0]])
    >>> b = jnp.array([[0.2, 0.4], [-1.0, 0.3]])
    >>> losses = layer_losses(CounterCurrentParams((w,), (b,)), jnp.array([[1.0, 2.0]]), jnp.array([[0.0, 1.0]]))
    >>> [round(float(v), 4) for v in losses]
    [94.72, 2.1269]
    """
    check_choice(loss, "loss", ("scaled", "normalized"))
    n_classes = y.shape[-1]
    a = forward_activities(params.forward, x)
    b = feedback_activities(params.feedback, jnp.eye(n_classes, dtype=x.dtype))
    losses = []
    for a_l, b_l in zip(a[:-1], b[:-1]):
        a_l, b_l = a_l.reshape(len(a_l), -1), b_l.reshape(len(b_l), -1)
        if loss == "scaled":
            losses.append(256.0 * SCALE_C / a_l.shape[-1] * jnp.mean((a_l @ b_l.T - y) ** 2))
        else:
            a_l, b_l = _unit_rows(a_l), _unit_rows(b_l)
            losses.append(SCALE_C * jnp.mean((a_l @ b_l.T - y) ** 2)
                          + SCALE_ORTHOGONAL * jnp.mean((a_l @ a_l.T - jnp.eye(len(a_l))) ** 2)
                          + SCALE_ORTHOGONAL * jnp.mean((b_l @ b_l.T - jnp.eye(len(b_l))) ** 2))
    losses.append(jnp.mean(-jnp.sum(y * jax.nn.log_softmax(a[-1]), axis=-1)))
    return jnp.stack(losses)


def autoencoder_losses(params: CounterCurrentParams, x, target) -> jax.Array:
    """Autoencoder variant: feedback starts from ``target``; ``mean((a_l - b_l)^2)`` for ``l = 0..L``.

    The forward network maps ``x`` to its reconstruction ``a_L``; the feedback network maps
    the target (usually ``x`` itself) back down, so ``loss_L`` trains the last forward layer
    and ``loss_0`` the last feedback layer.

    Parameters
    ----------
    params : CounterCurrentParams
    x : array
        Inputs ``(batch, d_0)``.
    target : array
        ``b_L``, shaped like the reconstruction ``a_L``, ``(batch, d_L)``.

    Returns
    -------
    array
        ``(L + 1,)``, each a mean over batch and units.

    Example
    -------
    One dense layer each way: ``loss_0 = mean((x - target B)^2)`` with ``target B = [1, 0]``,
    ``loss_1 = mean((x W - target)^2)`` with ``x W = [1, -2]``:

    >>> w = jnp.array([[1.0, 0.0], [0.0, 2.0]])
    >>> b = jnp.array([[0.5, 0.0], [1.0, -1.0]])
    >>> x, target = jnp.array([[1.0, -1.0]]), jnp.array([[2.0, 0.0]])
    >>> autoencoder_losses(CounterCurrentParams((w,), (b,)), x, target).tolist()
    [0.5, 2.5]
    """
    a = forward_activities(params.forward, x)
    b = feedback_activities(params.feedback, target)
    return jnp.stack([jnp.mean((a_l - b_l.reshape(a_l.shape)) ** 2) for a_l, b_l in zip(a, b)])


def conv_autoencoder_losses(params, x, target):
    """Convolutional autoencoder: the per-layer losses and the batch's BatchNorm moments.

    Parameters
    ----------
    params : ConvAutoencoderParams
        See :mod:`bioplastic.layers.conv_autoencoder`.
    x : array
        Input images ``(batch, H, W, C)``.
    target : array
        ``b_L``, the images the feedback network starts from, shaped like ``x``.

    Returns
    -------
    losses : array
        ``(L + 1,)`` (``L = 2K`` layers), see the module docstring.
    moments : tuple
        ``(forward, feedback)``: the batch's :class:`~bioplastic.layers.conv_autoencoder.Moments`
        at each BatchNorm of the two networks.

    Example
    -------
    A new network reconstructs every image as 0 (its last forward kernel is zero), so the
    last loss is the image side times the mean squared pixel:

    >>> from bioplastic.layers.conv_autoencoder import init_conv_autoencoder
    >>> params = init_conv_autoencoder(jax.random.PRNGKey(0), (1, 4, 1), image_side=4)
    >>> x = jnp.full((2, 4, 4, 1), 0.5)
    >>> losses, moments = conv_autoencoder_losses(params, x, x)
    >>> losses.shape, float(losses[-1])                    # 4 * 0.5 ** 2
    ((3,), 1.0)
    """
    a, forward_moments = conv_autoencoder.forward_activities(params, x)
    b, feedback_moments = conv_autoencoder.feedback_activities(params, target)
    losses = [image_pair_loss(a_l, b_l, normalized_term=0 < l < len(a) - 1) for l, (a_l, b_l) in enumerate(zip(a, b))]
    return jnp.stack(losses), (forward_moments, feedback_moments)


def image_pair_loss(a, b, normalized_term: bool = True):
    """``n mean((a - b)^2)`` (+ ``n mean((z(a) - z(b))^2)``) for images ``(batch, n, n, C)``: one layer's loss.

    Example
    -------
    Side 1: the squared error alone; a single pixel normalises to 0, so the second term is 0:

    >>> image_pair_loss(jnp.array([[[[1.0, 3.0]]]]), jnp.zeros((1, 1, 1, 2))).tolist()
    5.0
    """
    side = a.shape[1]
    loss = side * jnp.mean((a - b) ** 2)
    if normalized_term:
        loss += side * jnp.mean((normalized(a) - normalized(b)) ** 2)
    return loss


def normalized(images):
    """Each channel of each image ``(batch, H, W, C)`` centred on its mean over the image, then of unit L2 norm.

    Example
    -------
    >>> z = normalized(jnp.array([1.0, 2.0, 3.0, 6.0]).reshape(1, 2, 2, 1))   # mean 3: [-2, -1, 0, 3] / sqrt(14)
    >>> [round(float(v) * 14 ** 0.5, 4) for v in z.ravel()]
    [-2.0, -1.0, 0.0, 3.0]
    """
    centred = images - jnp.mean(images, axis=(1, 2), keepdims=True)
    return centred / (jnp.sqrt(jnp.sum(centred**2, axis=(1, 2), keepdims=True)) + NORM_FLOOR)


def counter_current(loss: str = "scaled", loss_weight: float = 1.0) -> Rule:
    """CCL as a rule: ``delta = -d(sum of layer losses)/d params`` (local by construction).

    ``update(state, params, *, batch=(x, y))``; ``params`` is a
    :class:`CounterCurrentParams` (a :class:`~bioplastic.layers.conv_autoencoder.ConvAutoencoderParams`
    for ``"conv_autoencoder"``); ``y`` is one-hot labels (``loss`` ``"scaled"`` or
    ``"normalized"``) or the target image (the autoencoders). ``loss_weight`` multiplies
    every loss.

    Example
    -------
    The top layer learns only from the cross-entropy of the logits, from a detached input,
    so its update is backprop's; the hidden layer learns from its own local loss instead:

    >>> from bioplastic.layers.counter_current import init_counter_current
    >>> from bioplastic.rules.counter_current_baselines import backprop_baseline
    >>> params = init_counter_current(jax.random.PRNGKey(0), (4, 6, 3))
    >>> batch = (jax.random.normal(jax.random.PRNGKey(1), (5, 4)), jax.nn.one_hot(jnp.arange(5) % 3, 3))
    >>> cc, _ = counter_current().update((), params, batch=batch)
    >>> bp, _ = backprop_baseline().update((), params, batch=batch)
    >>> bool(jnp.allclose(cc.forward[1], bp.forward[1])), bool(jnp.allclose(cc.forward[0], bp.forward[0]))
    (True, False)
    >>> twice, _ = counter_current(loss_weight=2.0).update((), params, batch=batch)
    >>> bool(jnp.allclose(twice.feedback[0], 2 * cc.feedback[0]))
    True
    """
    check_choice(loss, "loss", LOSSES)
    check_positive(loss_weight, "loss_weight")

    def total(params, x, y):
        """``loss_weight`` times the sum of the layer losses of one batch.

        Parameters
        ----------
        params : CounterCurrentParams
        x : array
            Inputs ``(batch, ...)``.
        y : array
            One-hot labels ``(batch, C)``, or the target images for ``"autoencoder"``.
        """
        losses = autoencoder_losses(params, x, y) if loss == "autoencoder" else layer_losses(params, x, y, loss)
        return loss_weight * jnp.sum(losses)

    def conv_total(params, x, y):
        """``loss_weight`` times the summed losses of :func:`conv_autoencoder_losses`, and the batch's moments."""
        losses, moments = conv_autoencoder_losses(params, x, y)
        return loss_weight * jnp.sum(losses), moments

    def update(state, params, *, batch):
        """``(-d total / d params, state)`` for one batch (and, for ``"conv_autoencoder"``, the statistics' step).

        Parameters
        ----------
        state : tuple
            ``()``, returned as it is.
        params : CounterCurrentParams or ConvAutoencoderParams
        batch : tuple
            ``(x, y)`` as in ``total``.
        """
        if loss != "conv_autoencoder":
            gradient = jax.grad(total)(params, *batch)
            return jax.tree_util.tree_map(jnp.negative, gradient), state
        gradient, (forward_moments, feedback_moments) = jax.grad(conv_total, has_aux=True)(params, *batch)
        statistics = conv_autoencoder.RunningStatistics(
            conv_autoencoder.statistics_step(params.statistics.forward, forward_moments),
            conv_autoencoder.statistics_step(params.statistics.feedback, feedback_moments))
        delta = jax.tree_util.tree_map(jnp.negative, (gradient.forward, gradient.feedback))
        return conv_autoencoder.ConvAutoencoderParams(*delta, statistics), state

    return Rule(init=lambda params: (), update=update, signals=("batch",))


def _unit_rows(m):
    return m / (jnp.linalg.norm(m, axis=1, keepdims=True) + 1e-8)
