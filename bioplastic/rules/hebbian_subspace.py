"""Lateral subspace neurons learning a principal subspace by Hebbian and anti-Hebbian plasticity.

``k`` lateral neurons read a layer's presynaptic activity ``x`` (n inputs) through weights
``H`` (k x n) and feed back their reconstruction. Oja's subspace rule (Oja 1989)::

    y = H x,      x_hat = H^T y,      dH = < y (x - x_hat)^T >_batch

is Hebbian in ``y x^T`` and anti-Hebbian in ``-y y^T H``; its stable fixed points are the
``H`` whose rows are an orthonormal basis of the top-``k`` principal subspace of ``x``
(uncentred second moments). As in the HLOP code (Xiao et al., ICLR 2024), each update is
clipped elementwise, smoothed by momentum ``v <- m v + (1 - m) dH`` and applied with a
learning rate, for a few iterations per batch.

For continual learning rows are *frozen* once a task ends (:func:`freeze`: the HLOP
code's "merge"), and a later task adds new free rows (:func:`add_rows`) that learn what
the frozen ones do not capture. :func:`project_gradient` removes from a weight update the
part that would change the layer's response to inputs in the frozen subspace.

Example
-------
>>> import jax, jax.numpy as jnp
>>> x = jax.random.normal(jax.random.PRNGKey(0), (500, 3)) * jnp.array([3.0, 1.0, 0.1])
>>> s = init_subspace(jax.random.PRNGKey(1), n_inputs=3, n_rows=1)
>>> s = learn_subspace(s, x, learning_rate=0.05, iterations=1000)     # one compiled loop
>>> [round(abs(float(h)), 2) for h in s.weights[0]]
[1.0, 0.0, 0.0]
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from bioplastic._checks import BadInput, check_nonnegative, check_positive, check_size


class Subspace(NamedTuple):
    """Lateral weights ``weights`` (k x n), their momentum ``velocity`` and a ``frozen`` mask (k,).

    Row ``i`` of ``weights`` is the synaptic weight vector of lateral neuron ``i``; the
    weights are dimensionless (they map activity onto activity in the same units).

    Example
    -------
    >>> s = Subspace(jnp.eye(2, 3), jnp.zeros((2, 3)), jnp.array([True, False]))
    >>> s.weights.shape, s.velocity.shape, s.frozen.tolist()
    ((2, 3), (2, 3), [True, False])
    """

    weights: jax.Array
    velocity: jax.Array
    frozen: jax.Array


def init_subspace(key: jax.Array, n_inputs: int, n_rows: int) -> Subspace:
    """``n_rows`` free lateral neurons with orthonormal weight rows (``n_rows <= n_inputs``).

    Parameters
    ----------
    key : jax key
        Draws the random orthonormal rows.
    n_inputs : int
        Number of presynaptic inputs ``n`` (columns of ``H``).
    n_rows : int
        Number of lateral neurons ``k`` (rows of ``H``), at most ``n_inputs``.

    Returns
    -------
    Subspace
        ``weights`` (n_rows, n_inputs), zero ``velocity`` and an all-False ``frozen`` mask.

    Example
    -------
    >>> import numpy as np
    >>> s = init_subspace(jax.random.PRNGKey(0), n_inputs=4, n_rows=2)
    >>> s.weights.shape, s.frozen.tolist(), float(jnp.abs(s.velocity).max())
    ((2, 4), [False, False], 0.0)
    >>> (np.round(s.weights @ s.weights.T, 4) + 0.0).tolist()          # orthonormal rows
    [[1.0, 0.0], [0.0, 1.0]]
    >>> init_subspace(jax.random.PRNGKey(0), n_inputs=2, n_rows=3)
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: n_new: got 3 (with 0 rows already); allowed: a number of rows that keeps the total at most the 2 inputs
    """
    check_size(n_inputs, "n_inputs")
    check_size(n_rows, "n_rows")
    empty = Subspace(jnp.zeros((0, n_inputs)), jnp.zeros((0, n_inputs)), jnp.zeros((0,), bool))
    return add_rows(empty, key, n_rows)


def add_rows(subspace: Subspace, key: jax.Array, n_new: int) -> Subspace:
    """Append ``n_new`` free rows, orthonormal among themselves, with zero momentum.

    As in the HLOP code the new block is not orthogonalised against the old rows: the
    rule drives it towards what the old rows leave unexplained.

    Parameters
    ----------
    subspace : Subspace
        The current rows (k, n); they are kept, frozen or not.
    key : jax key
        Draws the new orthonormal block.
    n_new : int
        Number of rows to add; ``k + n_new`` must not exceed ``n``.

    Returns
    -------
    Subspace
        ``k + n_new`` rows, the new ones last, free and with zero momentum.

    Example
    -------
    >>> s = add_rows(init_subspace(jax.random.PRNGKey(0), 6, 2), jax.random.PRNGKey(1), 3)
    >>> s.weights.shape, s.frozen.tolist()
    ((5, 6), [False, False, False, False, False])
    """
    n_inputs = subspace.weights.shape[1]
    if n_new < 0 or len(subspace.weights) + n_new > n_inputs:
        raise BadInput("n_new",
                       f"{n_new!r} (with {len(subspace.weights)} rows already)",
                       f"a number of rows that keeps the total at most the {n_inputs} inputs")
    block = jax.nn.initializers.orthogonal()(key, (n_new, n_inputs), jnp.float32)
    return Subspace(jnp.concatenate([subspace.weights, block]),
                    jnp.concatenate([subspace.velocity, jnp.zeros_like(block)]),
                    jnp.concatenate([subspace.frozen, jnp.zeros((n_new,), bool)]))


def freeze(subspace: Subspace) -> Subspace:
    """Freeze every row (end of a task): frozen rows no longer learn and define the projection.

    Example
    -------
    >>> s = freeze(init_subspace(jax.random.PRNGKey(0), 3, 2))
    >>> s.frozen.tolist()
    [True, True]
    >>> bool(jnp.array_equal(oja_step(s, jnp.ones((4, 3)), learning_rate=0.5).weights, s.weights))
    True
    """
    return subspace._replace(frozen=jnp.ones_like(subspace.frozen))


def oja_step(subspace: Subspace, x, learning_rate: float, momentum: float = 0.9, clip: float = 10.0,
             spike_levels=None) -> Subspace:
    """One update of the free rows on a batch ``x`` (batch x n); frozen rows still shape ``x_hat``.

    ``dH = y^T (x - y H) / batch`` with ``y = x H^T``, clipped to ``[-clip, clip]``; then
    ``v <- momentum v + (1 - momentum) dH`` and ``H <- H + learning_rate v``. With
    ``spike_levels``, the lateral neurons spike: ``y`` is :func:`quantize_response`'d.

    Parameters
    ----------
    subspace : Subspace
        Rows ``H`` (k, n), momentum and frozen mask; only free rows change.
    x : array (batch, n)
        Presynaptic activity, in any units (``y`` has the same units).
    learning_rate : float
        Step size applied to the momentum ``v`` (not checked here).
    momentum : float
        ``m`` in ``v <- m v + (1 - m) dH``; 0 applies ``dH`` directly.
    clip : float
        Elementwise bound on ``dH`` before the momentum.
    spike_levels : int or None
        If given, ``y`` is quantised with :func:`quantize_response` (default ``scale`` 20) to this many levels.

    Returns
    -------
    Subspace
        New ``weights`` and ``velocity`` (frozen rows and their velocity unchanged).

    Example
    -------
    One row ``H = [1, 0]`` and one input ``x = [1, 1]``: ``y = 1``, ``x - y H = [0, 1]``,
    so ``dH = [0, 1]``; without momentum the row moves by ``learning_rate * dH``:

    >>> s = Subspace(jnp.array([[1.0, 0.0]]), jnp.zeros((1, 2)), jnp.array([False]))
    >>> oja_step(s, jnp.array([[1.0, 1.0]]), learning_rate=0.5, momentum=0.0).weights.tolist()
    [[1.0, 0.5]]
    >>> step = oja_step(s, jnp.array([[1.0, 1.0]]), learning_rate=0.5)     # momentum 0.9: v = 0.1 dH
    >>> [round(float(v), 4) for v in step.velocity[0]], [round(float(w), 4) for w in step.weights[0]]
    ([0.0, 0.1], [1.0, 0.05])
    """
    h = subspace.weights
    y = x @ h.T
    if spike_levels is not None:
        y = quantize_response(y, levels=spike_levels)
    change = jnp.clip(y.T @ (x - y @ h) / x.shape[0], -clip, clip)
    free = ~subspace.frozen[:, None]
    velocity = jnp.where(free, momentum * subspace.velocity + (1.0 - momentum) * change, subspace.velocity)
    return subspace._replace(weights=jnp.where(free, h + learning_rate * velocity, h), velocity=velocity)


def learn_subspace(subspace: Subspace, x, learning_rate: float, iterations: int = 5, momentum: float = 0.9,
                   clip: float = 10.0, spike_levels=None, frozen_rows=None) -> Subspace:
    """``iterations`` Oja steps on the same batch (the HLOP code uses 5 per training batch).

    Runs as one ``jax.lax.fori_loop``. With ``frozen_rows`` (the number of frozen rows,
    which come first: :func:`frozen_count`), the frozen rows' reconstruction of ``x`` is
    computed once before the loop, and each iteration works on the free rows alone: the
    same update (up to rounding), for ``free / all`` of the work per iteration.

    Parameters
    ----------
    subspace : Subspace
        Rows ``H`` (k, n), momentum and frozen mask.
    x : array (batch, n)
        Presynaptic activity, reused by every iteration.
    learning_rate : float
        Step size of each :func:`oja_step` (> 0).
    iterations : int
        Number of :func:`oja_step` calls.
    momentum, clip, spike_levels
        As in :func:`oja_step` (``momentum`` >= 0).
    frozen_rows : int or None
        Number of frozen rows, all before the free ones; ``None`` reads the ``frozen`` mask at every iteration.

    Returns
    -------
    Subspace
        The rows after the last iteration.

    Example
    -------
    Two rows on data whose variance lies in the first two axes converge to an orthonormal
    basis of that plane (``H^T H`` is the projection onto it):

    >>> import numpy as np
    >>> x = jax.random.normal(jax.random.PRNGKey(0), (500, 3)) * jnp.array([3.0, 1.0, 0.1])
    >>> s = learn_subspace(init_subspace(jax.random.PRNGKey(1), 3, 2), x, learning_rate=0.05, iterations=1000)
    >>> (np.round(s.weights.T @ s.weights, 2) + 0.0).tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
    >>> learn_subspace(s, x, learning_rate=0.0)
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: learning_rate: got 0.0; allowed: a finite number > 0

    Freezing the first row and adding one, the free row learns the same with or without
    ``frozen_rows``:

    >>> t = add_rows(freeze(s._replace(weights=s.weights[:1], velocity=s.velocity[:1], frozen=s.frozen[:1])),
    ...              jax.random.PRNGKey(2), 1)
    >>> a = learn_subspace(t, x, learning_rate=0.05, iterations=10)
    >>> b = learn_subspace(t, x, learning_rate=0.05, iterations=10, frozen_rows=frozen_count(t))
    >>> bool(jnp.allclose(a.weights, b.weights, atol=1e-6)), bool(jnp.array_equal(a.weights[0], t.weights[0]))
    (True, True)
    """
    check_positive(learning_rate, "learning_rate")
    check_nonnegative(momentum, "momentum")
    if frozen_rows is None:
        return jax.lax.fori_loop(
            0, iterations, lambda _, s: oja_step(s, x, learning_rate, momentum, clip, spike_levels), subspace
        )
    respond = (lambda y: y) if spike_levels is None else (lambda y: quantize_response(y, levels=spike_levels))
    frozen, free = subspace.weights[:frozen_rows], subspace.weights[frozen_rows:]
    unexplained = x - respond(x @ frozen.T) @ frozen        # by the frozen rows; the same at every iteration

    def iteration(_, rows):
        h, velocity = rows
        y = respond(x @ h.T)
        change = jnp.clip(y.T @ (unexplained - y @ h) / x.shape[0], -clip, clip)
        velocity = momentum * velocity + (1.0 - momentum) * change
        return h + learning_rate * velocity, velocity

    free, velocity = jax.lax.fori_loop(0, iterations, iteration, (free, subspace.velocity[frozen_rows:]))
    return subspace._replace(weights=jnp.concatenate([frozen, free]),
                             velocity=jnp.concatenate([subspace.velocity[:frozen_rows], velocity]))


def frozen_count(subspace: Subspace) -> int:
    """The number of frozen rows, checking that they come first (as :func:`freeze` and :func:`add_rows` leave them).

    Reads the mask's values, so call it outside ``jit``; the count is what
    :func:`learn_subspace` and :func:`project_gradient` take as ``frozen_rows``.

    Example
    -------
    >>> frozen_count(Subspace(jnp.eye(3), jnp.zeros((3, 3)), jnp.array([True, True, False])))
    2
    >>> frozen_count(Subspace(jnp.eye(2), jnp.zeros((2, 2)), jnp.array([False, True])))
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: frozen: got [False, True]; allowed: frozen rows first, then free rows (as freeze and add_rows leave them)
    """
    frozen = [bool(f) for f in np.asarray(subspace.frozen)]
    count = sum(frozen)
    if frozen != [True] * count + [False] * (len(frozen) - count):
        raise BadInput("frozen", frozen, "frozen rows first, then free rows (as freeze and add_rows leave them)")
    return count


def frozen_weights(subspace: Subspace) -> jax.Array:
    """The weights with free rows zeroed: the protected subspace (as a k x n matrix).

    Example
    -------
    >>> s = Subspace(jnp.eye(2, 3), jnp.zeros((2, 3)), jnp.array([True, False]))
    >>> frozen_weights(s).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    """
    return jnp.where(subspace.frozen[:, None], subspace.weights, 0.0)


def project_out(x, subspace: Subspace):
    """``x - H_f^T H_f x`` for each row of ``x``: the part of the activity outside the frozen subspace.

    Free rows play no part. ``x``: batch x n, in any units (returned in the same units).

    Example
    -------
    >>> s = Subspace(jnp.eye(2, 3), jnp.zeros((2, 3)), jnp.array([True, False]))   # frozen: the first axis
    >>> project_out(jnp.array([[2.0, 3.0, 4.0]]), s).tolist()
    [[0.0, 3.0, 4.0]]
    """
    return off_span(x, frozen_weights(subspace))


def off_span(x, rows):
    """``x - (x rows^T) rows`` for each row of ``x``: its part off the span of orthonormal ``rows`` (k x n).

    What :func:`project_out` does with a subspace's frozen rows, for a trainer that holds the rows themselves.

    Example
    -------
    >>> off_span(jnp.array([[2.0, 3.0]]), jnp.array([[1.0, 0.0]])).tolist()
    [[0.0, 3.0]]
    """
    return x - (x @ rows.T) @ rows


def project_gradient(gradient, subspace: Subspace, frozen_rows=None):
    """Remove from a weight update ``gradient`` (n_in x n_out, for ``x @ W``) its frozen-subspace part.

    ``gradient - H_f^T (H_f gradient)``: the same as building the update from presynaptic
    activity passed through :func:`project_out`. With ``H_f`` orthonormal, the layer's
    output for any input in the frozen subspace is unchanged by the projected update.
    ``frozen_rows`` (the count of frozen rows, which come first: :func:`frozen_count`)
    multiplies by those rows alone instead of by every row with the free ones zeroed.

    Example
    -------
    >>> s = freeze(init_subspace(jax.random.PRNGKey(0), 4, 2))
    >>> g = project_gradient(jnp.ones((4, 3)), s)
    >>> float(jnp.abs(s.weights @ g).max()) < 1e-6
    True
    """
    h = frozen_weights(subspace) if frozen_rows is None else subspace.weights[:frozen_rows]
    return gradient - h.T @ (h @ gradient)


def quantize_response(y, scale: float = 20.0, levels: int = 40):
    """Spiking lateral neurons: ``y`` clipped to ``[-scale, scale]`` and rounded to ``scale / levels`` steps.

    A signed rate code over ``levels`` time steps (the HLOP code's ``hlop_spiking`` option;
    no membrane dynamics).

    Parameters
    ----------
    y : array
        Lateral responses, any shape and units.
    scale : float
        Saturation bound (units of ``y``, > 0).
    levels : int
        Number of quantisation steps between 0 and ``scale`` (time steps of the rate code).

    Returns
    -------
    jax.Array
        Same shape as ``y``: multiples of ``scale / levels`` in ``[-scale, scale]``.

    Example
    -------
    With ``scale = 1`` and ``levels = 4`` the steps are 0.25; values beyond ``scale`` saturate:

    >>> quantize_response(jnp.array([0.26, 0.1, -30.0]), scale=1.0, levels=4).tolist()
    [0.25, 0.0, -1.0]
    """
    check_positive(scale, "scale")
    check_size(levels, "levels")
    return jnp.round(jnp.clip(y, -scale, scale) / scale * levels) / levels * scale
