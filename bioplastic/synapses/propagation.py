"""Spike propagation: the synaptic input ``out[j] = sum_i spikes[i] * W[i, j]`` of one step.

Three routes compute the same sum (tests check they agree on random spike patterns):

- :func:`propagate_events` -- event-driven, pure JAX. The indices of the neurons that
  spiked are found with ``lax.top_k`` into a fixed-size buffer of ``max_events`` entries
  (shapes must be static under ``jit``); then a loop runs once per spike and adds that
  neuron's row of the out-lists into its targets. Synaptic work per step is
  ``n_spikes * max_out``, independent of ``n_pre * n_post``. A step that fills the
  buffer (it may have more spikes than the buffer holds) never drops any: it falls back (inside the compiled program, with
  ``lax.cond``) to finding the indices with ``jnp.nonzero`` over all neurons, which is
  exact and slower. :func:`count_overflow` tells how often that happened.
  Under ``jax.grad`` the derivative with respect to the spikes is the full transposed
  product (every presynaptic neuron, spiking or not, gets its surrogate gradient), and
  with respect to the weights the event-driven product of the spikes.
- :func:`propagate_rows` -- every row weighted by its spike value: the fallback above,
  and the natural route for rates (non-binary activity).
- :func:`propagate_brainevent` -- BrainPy's event-driven CSR kernel (``brainevent``) on
  the same padded out-lists: faster than the pure-JAX route on large populations.
  :mod:`bioplastic.synapses.routes` picks between the two event-driven routes from a
  table that ``benchmarks/routes.py`` measures.

Example
-------
>>> import jax, jax.numpy as jnp
>>> from bioplastic.synapses.connectivity import fixed_probability
>>> from bioplastic.synapses.propagation import propagate_events
>>> conn = fixed_probability(jax.random.PRNGKey(0), 100, 50, 0.1, 1.0)
>>> spikes = (jax.random.uniform(jax.random.PRNGKey(1), (100,)) < 0.05).astype(jnp.float32)
>>> bool(jnp.allclose(propagate_events(conn, spikes, max_events=16), spikes @ conn.to_dense()))
True
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from bioplastic._checks import BadInput, check_size
from bioplastic.synapses.connectivity import Connectivity


def _scatter(targets: jax.Array, values: jax.Array, n_post: int) -> jax.Array:
    """Sum ``values`` into ``n_post`` bins by ``targets``; the index ``n_post`` is dropped."""
    out = jnp.zeros((n_post + 1,), values.dtype)
    return out.at[targets.ravel()].add(values.ravel(), mode="promise_in_bounds")[:n_post]


def propagate_rows(conn: Connectivity, activity: jax.Array) -> jax.Array:
    """``activity @ W`` reading every row of the out-lists (cost ``n_pre * max_out``).

    Example
    -------
    >>> from bioplastic.synapses.connectivity import dense
    >>> propagate_rows(dense(2, 3, 0.5), jnp.array([1.0, 2.0]))
    Array([1.5, 1.5, 1.5], dtype=float32)
    """
    return _scatter(conn.targets, conn.weights * activity[:, None], conn.n_post)


def _add_rows(targets, weights, spikes, index, n_spikes, n_posts):
    """Add the rows ``index[:n_spikes]`` (each scaled by its spike value) into each projection's targets.

    ``targets``, ``weights`` and ``n_posts`` hold one entry per projection leaving the same
    neurons; each gets its own bins. One row per loop iteration: the loop runs
    ``n_spikes`` times, and a row's targets are sorted and distinct (padding aside, which
    lands on the dropped bin ``n_post``), which lets XLA scatter it without conflict checks.
    """

    def add_row(i, outs):
        row = index[i]
        return tuple(
            out.at[t[row]].add(w[row] * spikes[row], mode="promise_in_bounds", indices_are_sorted=True, unique_indices=True)
            for out, t, w in zip(outs, targets, weights)
        )

    zeros = tuple(jnp.zeros((n_post + 1,), w.dtype) for w, n_post in zip(weights, n_posts))
    outs = jax.lax.fori_loop(0, n_spikes, add_row, zeros)
    return tuple(out[:n_post] for out, n_post in zip(outs, n_posts))


@functools.partial(jax.custom_jvp, nondiff_argnums=(3, 4))
def _propagate_events(targets, weights, spikes, n_posts, max_events):
    return _event_sums(n_posts, max_events)(targets, weights, spikes)


def _buffered_or_exact(targets, weights, spikes, n_posts, max_events, exact):
    """The rows of the spiking neurons added up: those found by a ``max_events`` buffer, or (``exact``) by a full search."""
    active = (spikes != 0).astype(jnp.float32)
    if exact:                  # a full buffer may have missed spikes: search every neuron instead (exact, slower)
        (index,) = jnp.nonzero(active, size=spikes.shape[0], fill_value=0)
        return _add_rows(targets, weights, spikes, index, jnp.count_nonzero(active), n_posts)
    found, index = jax.lax.top_k(active, max_events)
    return _add_rows(targets, weights, spikes, index, jnp.sum(found).astype(jnp.int32), n_posts)


@functools.lru_cache(maxsize=None)
def _event_sums(n_posts, max_events):
    """``sums(targets, weights, spikes)``: the buffer when the spikes fit, the full search when they fill it.

    Under ``jax.vmap`` (seeds run batched) the choice is made once for the whole batch --
    the buffer unless some run's spikes fill it -- so that only one of the two ways runs:
    a choice per run would be vectorised into computing both and selecting.
    """

    def one(targets, weights, spikes, exact):
        return _buffered_or_exact(targets, weights, spikes, n_posts, max_events, exact)

    @jax.custom_batching.custom_vmap
    def sums(targets, weights, spikes):
        n_active = jnp.count_nonzero(spikes)
        return jax.lax.cond(n_active < max_events, functools.partial(one, exact=False), functools.partial(one, exact=True),
                            targets, weights, spikes)

    @sums.def_vmap
    def batched(axis_size, in_batched, targets, weights, spikes):
        def along(tree, batched_flags):
            return jax.tree_util.tree_map(
                lambda leaf, is_batched: leaf if is_batched else jnp.broadcast_to(leaf, (axis_size,) + leaf.shape),
                tree, batched_flags)

        targets, weights, spikes = along((targets, weights, spikes), tuple(in_batched))
        fits = jnp.all(jnp.count_nonzero(spikes, axis=-1) < max_events)
        outs = jax.lax.cond(fits, jax.vmap(functools.partial(one, exact=False)),
                            jax.vmap(functools.partial(one, exact=True)), targets, weights, spikes)
        return outs, tuple(True for _ in outs)

    return sums


@_propagate_events.defjvp
def _propagate_events_jvp(n_posts, max_events, primals, tangents):
    targets, weights, spikes = primals
    _, weights_dot, spikes_dot = tangents
    out = _propagate_events(targets, weights, spikes, n_posts, max_events)
    return out, _tangents(targets, weights, spikes, weights_dot, spikes_dot, n_posts)


def _tangents(targets, weights, spikes, weights_dot, spikes_dot, n_posts) -> tuple:
    """The JVP of every event-driven route: each projection's ``d(spikes @ W)`` from every row.

    Linear in the tangents and written with every row, so reverse mode can transpose it:
    every presynaptic neuron, spiking or not, gets its gradient.
    """
    return tuple(_scatter(t, w_dot * spikes[:, None] + w * spikes_dot[:, None], n_post)
                 for t, w, w_dot, n_post in zip(targets, weights, weights_dot, n_posts))


def propagate_events(conn: Connectivity, spikes: jax.Array, max_events: int) -> jax.Array:
    """Event-driven ``spikes @ W`` for a 1-D spike vector (0/1 floats) of length ``n_pre``.

    Parameters
    ----------
    conn : Connectivity
        The projection.
    spikes : array (n_pre,)
        Spikes of this step; any value is allowed, zeros are skipped.
    max_events : int
        Size of the spike buffer. Steps with more spikes fall back to a slower exact
        search over all neurons (never dropped); size it above the usual spike count.

    Returns
    -------
    array (n_post,)
        Summed weight arriving at each postsynaptic neuron.

    Example
    -------
    >>> from bioplastic.synapses.connectivity import dense
    >>> propagate_events(dense(3, 2, 0.5), jnp.array([1.0, 0.0, 1.0]), max_events=4).tolist()
    [1.0, 1.0]
    >>> propagate_events(dense(3, 2, 0.5), jnp.array([1.0, 1.0, 1.0]), max_events=1).tolist()   # overflow: exact
    [1.5, 1.5]
    """
    (out,) = propagate_events_shared((conn,), spikes, max_events)
    return out


def propagate_events_shared(conns, spikes: jax.Array, max_events: int) -> tuple:
    """:func:`propagate_events` for several projections leaving the same neurons, in one event pass.

    The spikes are searched once and each spiking row is added into every projection's
    targets in the same loop iteration; each projection's result is what
    :func:`propagate_events` gives it alone, bit for bit (its bins receive the same rows
    in the same order).

    Parameters
    ----------
    conns : sequence of Connectivity
        Projections with the same ``n_pre``.
    spikes : array (n_pre,)
        Spikes of this step.
    max_events : int
        Size of the shared spike buffer.

    Returns
    -------
    tuple of arrays
        One ``(conn.n_post,)`` array per projection, in order.

    Example
    -------
    >>> from bioplastic.synapses.connectivity import dense
    >>> a, b = propagate_events_shared((dense(3, 2, 0.5), dense(3, 1, 2.0)), jnp.array([1.0, 0.0, 1.0]), 4)
    >>> a.tolist(), b.tolist()
    ([1.0, 1.0], [4.0])
    """
    conns = _same_source(conns)
    max_events = min(check_size(max_events, "max_events"), conns[0].n_pre)
    return _propagate_events(tuple(c.targets for c in conns), tuple(c.weights for c in conns), spikes,
                             tuple(c.n_post for c in conns), max_events)


def _same_source(conns) -> tuple:
    """``conns`` as a tuple, checked to leave the same number of neurons."""
    conns = tuple(conns)
    n_pre = {conn.n_pre for conn in conns}
    if len(n_pre) != 1:
        raise BadInput("conns", f"projections from {sorted(n_pre)} neurons", "projections leaving the same neurons")
    return conns


def count_overflow(spikes: jax.Array, max_events: int) -> jax.Array:
    """Number of steps in a (time, n_pre) spike record that exceeded ``max_events``.

    Example
    -------
    >>> int(count_overflow(jnp.array([[1, 1, 0], [1, 0, 0]]), max_events=1))
    1
    """
    return jnp.sum(jnp.count_nonzero(spikes, axis=-1) > max_events)


def _padded_csr(targets, weights, n_posts, offsets):
    """Projections leaving the same neurons as one ``brainevent.CSR`` matrix, each its own block of columns.

    Row ``i`` holds every projection's ``max_out`` slots, one after another; projection
    ``k``'s targets are offset by ``offsets[k]``, the ``n_post`` of those before it. ``indptr`` is a NumPy
    array (brainevent plans its work from it while tracing); padding slots (weight 0)
    point at their block's last neuron instead of the dropped bin ``n_post``, so every
    index is in bounds and padding adds 0. Under ``jit`` with fixed weights XLA hoists this
    assembly out of the simulation loop.
    """
    import brainevent

    indices = jnp.concatenate([jnp.minimum(t, n_post - 1).astype(jnp.int32) + offset
                               for t, n_post, offset in zip(targets, n_posts, offsets)], axis=1)
    data = jnp.concatenate(weights, axis=1)
    n_pre, slots = indices.shape
    indptr = np.arange(n_pre + 1, dtype=np.int32) * slots
    return brainevent.CSR((data.ravel(), indices.ravel(), indptr), shape=(n_pre, int(offsets[-1])))


@functools.partial(jax.custom_jvp, nondiff_argnums=(3,))
def _propagate_brainevent(targets, weights, spikes, n_posts):
    import brainevent

    offsets = np.cumsum((0,) + tuple(n_posts))
    out = brainevent.BinaryArray(spikes) @ _padded_csr(targets, weights, n_posts, offsets)
    return tuple(out[start:stop] for start, stop in zip(offsets[:-1], offsets[1:]))


@_propagate_brainevent.defjvp
def _propagate_brainevent_jvp(n_posts, primals, tangents):
    targets, weights, spikes = primals
    _, weights_dot, spikes_dot = tangents
    out = _propagate_brainevent(targets, weights, spikes, n_posts)
    return out, _tangents(targets, weights, spikes, weights_dot, spikes_dot, n_posts)


def propagate_brainevent(conn: Connectivity, spikes: jax.Array) -> jax.Array:
    """Event-driven ``spikes @ W`` with BrainPy's CSR kernel (``brainevent``), for 0/1 spikes.

    The kernel visits the rows of the neurons that spiked (any nonzero value counts as one
    spike) in compiled code, so it needs no spike buffer and never overflows; it beats
    :func:`propagate_events` on large populations (:mod:`bioplastic.synapses.routes`
    chooses between them from measurements). Derivatives are those of
    :func:`propagate_events`: every row for the spikes, the spiking rows for the weights.

    Parameters
    ----------
    conn : Connectivity
        The projection; its padded out-lists are read in place (no CSR copy to build).
    spikes : array (n_pre,)
        Spikes of this step, 0 or 1.

    Returns
    -------
    array (n_post,)
        Summed weight arriving at each postsynaptic neuron.

    Example
    -------
    >>> from bioplastic.synapses.connectivity import dense
    >>> propagate_brainevent(dense(3, 2, 0.5), jnp.array([1.0, 0.0, 1.0])).tolist()
    [1.0, 1.0]
    """
    (out,) = propagate_brainevent_shared((conn,), spikes)
    return out


def propagate_brainevent_shared(conns, spikes: jax.Array) -> tuple:
    """:func:`propagate_brainevent` for several projections leaving the same neurons, in one kernel call.

    The projections become one matrix, each with its own block of columns, so the kernel's
    cost per call (it visits every presynaptic neuron) is paid once; each projection's
    result is what :func:`propagate_brainevent` gives it alone.

    Example
    -------
    >>> from bioplastic.synapses.connectivity import dense
    >>> a, b = propagate_brainevent_shared((dense(3, 2, 0.5), dense(3, 1, 2.0)), jnp.array([1.0, 0.0, 1.0]))
    >>> a.tolist(), b.tolist()
    ([1.0, 1.0], [4.0])
    """
    conns = _same_source(conns)
    return _propagate_brainevent(tuple(c.targets for c in conns), tuple(c.weights for c in conns), spikes,
                                 tuple(c.n_post for c in conns))
