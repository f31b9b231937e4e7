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
from bioplastic.layers.counter_current import CounterCurrentParams, feedback_activities, forward_activities
from bioplastic.rules.base import Rule

SCALE_C = 0.5
SCALE_ORTHOGONAL = 0.5
LOSSES = ("scaled", "normalized", "autoencoder")


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


def counter_current(loss: str = "scaled", loss_weight: float = 1.0) -> Rule:
    """CCL as a rule: ``delta = -d(sum of layer losses)/d params`` (local by construction).

    ``update(state, params, *, batch=(x, y))``; ``params`` is a
    :class:`CounterCurrentParams`; ``y`` is one-hot labels (``loss`` ``"scaled"`` or
    ``"normalized"``) or the target image (``"autoencoder"``). ``loss_weight`` multiplies
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

    def update(state, params, *, batch):
        """``(-d total / d params, state)`` for one batch.

        Parameters
        ----------
        state : tuple
            ``()``, returned as it is.
        params : CounterCurrentParams
        batch : tuple
            ``(x, y)`` as in ``total``.
        """
        gradient = jax.grad(total)(params, *batch)
        return jax.tree_util.tree_map(jnp.negative, gradient), state

    return Rule(init=lambda params: (), update=update, signals=("batch",))


def _unit_rows(m):
    return m / (jnp.linalg.norm(m, axis=1, keepdims=True) + 1e-8)
