"""Event-driven weight changes: a rule's change at the synapses of this step's spiking neurons only.

The spike-timing rules (pair and triplet STDP, inhibitory STDP, the eligibility of
reward-modulated STDP) change a synapse ``i -> j`` only in a step in which ``i`` or ``j``
fires, and their change is a short sum of outer products of per-neuron vectors::

    change_ij = sum_k u_k[i] v_k[j]

(pair STDP: ``a_plus x_i post_j - a_minus pre_i y_j``). Each term is *pre-gated* (``u_k`` is 0
except at the presynaptic neurons that fired) or *post-gated* (``v_k`` is 0 except at the
postsynaptic neurons that fired). Such a rule returns a :class:`SpikeTriggeredChange` instead
of a full ``(n_pre, max_out)`` array, and the network applies it by visiting

- the out-list row of every presynaptic neuron that fired (every term, ``max_out`` synapses
  each), then
- the incoming synapses of every postsynaptic neuron that fired (the post-gated terms, on the
  synapses whose presynaptic neuron did not fire, which the rows have done already), through
  an :class:`Incoming` index,

so the work per step is proportional to the number of spikes: the spiking neurons of each
side are taken ``max_events`` at a time (32 by default; a ``lax.while_loop`` over as many
batches as there are spikes, none in a silent step), each batch gathered into one buffer and
written back in one scatter, so no spike is ever dropped. Plus the rule's traces, one number
per neuron. Measured with pair STDP from 4000 spike sources onto 4000 LIF neurons, 250
synapses each, both sides at 5 Hz, 1 ms steps, 2 CPU cores (``Network`` step, one scan):
0.56 ms per step against 2.2 ms when the dense form is added and 0.20 ms without plasticity;
0.49 ms at 1 Hz and 0.85 ms at 20 Hz. Below ~20 000 synapses the dense sum is the cheaper one
(a fixed cost of ~20 us per step here), so a ``Network`` adds it for plastic projections of at most
``bioplastic.networks.network.DENSE_LEARNING_SLOTS`` synapse slots. Each touched weight becomes
``w + gate * (clip(w + change, w_min, w_max) - w)``: exactly what the dense form,
:meth:`SpikeTriggeredChange.dense`, adds, so the two routes give the same weights (tested).

Example
-------
Pair STDP's step in which presynaptic neuron 0 fires (trace 1) while postsynaptic trace ``y``
is ``[0.5, 0.25]``: the depression ``-a_minus y`` reaches row 0 only.

>>> import jax.numpy as jnp
>>> from bioplastic.synapses.connectivity import dense
>>> conn = dense(2, 2, 1.0)
>>> pre, post, y = jnp.array([1.0, 0.0]), jnp.zeros(2), jnp.array([0.5, 0.25])
>>> change = SpikeTriggeredChange(pre_gated=((0.1 * pre, -y),), post_gated=(), pre_events=pre, post_events=post,
...                               w_min=0.0, w_max=2.0)
>>> [[round(float(x), 4) for x in row] for row in change.dense(conn)]
[[-0.05, -0.025], [0.0, 0.0]]
>>> [[round(float(x), 4) for x in row] for row in change.apply(conn, incoming(conn), 1.0)]
[[0.95, 0.975], [1.0, 1.0]]
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from bioplastic._checks import BadInput
from bioplastic.rules.base import bounded_change


class Incoming(NamedTuple):
    """The synapses onto each postsynaptic neuron: ``flat`` (n_post, max_in), int32.

    Row ``j`` holds the flat slot ``i * max_out + s`` of every synapse onto ``j`` (out-list
    row ``i``, slot ``s``), padded with ``n_pre * max_out`` (one past the last slot).

    Example
    -------
    >>> from bioplastic.synapses.connectivity import Connectivity
    >>> conn = Connectivity(jnp.array([[0, 1], [1, 2]]), jnp.array([[1.0, 2.0], [3.0, 0.0]]), n_post=2)
    >>> incoming(conn).flat.tolist()           # 0 <- slot 0 (row 0); 1 <- slots 1 (row 0) and 2 (row 1)
    [[0, 4], [1, 2]]
    """

    flat: jax.Array

    def padded(self, width: int, end: int) -> "Incoming":
        """The same index in rows of ``width`` (at least ``max_in``), padded with ``end`` (``n_pre * max_out``).

        Example
        -------
        >>> Incoming(jnp.array([[0], [1]])).padded(2, 4).flat.tolist()
        [[0, 4], [1, 4]]
        """
        if width < self.flat.shape[1]:
            raise BadInput("width", width, f"at least max_in = {self.flat.shape[1]}")
        return Incoming(jnp.pad(self.flat, ((0, 0), (0, width - self.flat.shape[1])), constant_values=end))


def incoming(conn, width: int | None = None) -> Incoming:
    """The :class:`Incoming` index of ``conn`` (built once, on the host, from its concrete targets).

    Parameters
    ----------
    conn : Connectivity
        Padded out-lists.
    width : int, optional
        Slots per row (at least the largest in-degree); default the largest in-degree (at least 1).

    Example
    -------
    >>> from bioplastic.synapses.connectivity import dense
    >>> incoming(dense(3, 2, 1.0)).flat.tolist()
    [[0, 2, 4], [1, 3, 5]]
    """
    targets = np.asarray(conn.targets).ravel()
    n_post, end = conn.n_post, targets.size
    real = np.flatnonzero(targets < n_post)
    order = real[np.argsort(targets[real], kind="stable")]
    counts = np.bincount(targets[real], minlength=n_post)
    width = max(1, int(counts.max(initial=0))) if width is None else width
    if width < counts.max(initial=0):
        raise BadInput("width", width, f"at least the largest in-degree, {int(counts.max())}")
    flat = np.full((n_post, width), end, np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    columns = np.arange(order.size) - np.repeat(starts, counts)
    flat[np.repeat(np.arange(n_post), counts), columns] = order
    return Incoming(jnp.asarray(flat, jnp.int32))


@jax.tree_util.register_pytree_node_class
class SpikeTriggeredChange:
    """A weight change ``sum_k u_k[i] v_k[j]`` on every synapse ``i -> j``, kept within ``[w_min, w_max]``.

    Parameters
    ----------
    pre_gated : tuple of (u (n_pre,), v (n_post,))
        Terms whose ``u`` is 0 except at ``pre_events``.
    post_gated : tuple of (u (n_pre,), v (n_post,))
        Terms whose ``v`` is 0 except at ``post_events``.
    pre_events, post_events : array (n_pre,), array (n_post,)
        Non-zero at the neurons that fired this step.
    w_min, w_max : float
        Hard bounds of every weight.

    A pytree: it can leave a ``jax.lax.scan`` like any array.
    """

    def __init__(self, pre_gated, post_gated, pre_events, post_events, w_min, w_max):
        self.pre_gated, self.post_gated = tuple(pre_gated), tuple(post_gated)
        self.pre_events, self.post_events = pre_events, post_events
        self.w_min, self.w_max = w_min, w_max

    def tree_flatten(self):
        return (self.pre_gated, self.post_gated, self.pre_events, self.post_events, self.w_min, self.w_max), None

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(*children)

    def dense(self, conn) -> jax.Array:
        """The change of every synapse at once, ``(n_pre, max_out)``: what adding it to ``conn.weights`` does.

        Example
        -------
        >>> from bioplastic.synapses.connectivity import dense
        >>> change = SpikeTriggeredChange((), ((jnp.array([2.0, 0.5]), jnp.array([1.0])),), jnp.zeros(2), jnp.ones(1),
        ...                               w_min=0.0, w_max=1.5)
        >>> change.dense(dense(2, 1, 1.0)).tolist()            # 1 + 2 is cut to 1.5
        [[0.5], [0.5]]
        """
        return bounded_change(conn, self.terms(conn), self.w_min, self.w_max)

    def terms(self, conn) -> jax.Array:
        """``sum_k u_k[i] v_k[j]`` at every synapse, ``(n_pre, max_out)``, 0 on padding, before the bounds.

        Example
        -------
        >>> from bioplastic.synapses.connectivity import dense
        >>> change = SpikeTriggeredChange((), ((jnp.array([2.0, 0.5]), jnp.array([1.0])),), jnp.zeros(2), jnp.ones(1),
        ...                               w_min=0.0, w_max=1.5)
        >>> change.terms(dense(2, 1, 1.0)).tolist()
        [[2.0], [0.5]]
        """
        terms = sum((u[:, None] * conn.at_targets(v) for u, v in self.pre_gated + self.post_gated),
                    jnp.zeros_like(conn.weights))
        return jnp.where(conn.mask, terms, 0.0)

    def apply(self, conn, index: Incoming | None, gate: Any = 1.0, max_events: int = 32) -> jax.Array:
        """The new weights ``(n_pre, max_out)``, touching only the synapses of neurons that fired.

        The rows of the presynaptic spikes are gathered, changed and written back
        ``max_events`` at a time, then the incoming synapses of the postsynaptic spikes; a step
        with more spikes than ``max_events`` on a side takes more such batches (a
        ``lax.while_loop``), so no spike is ever dropped and the work stays proportional to the
        number of spikes.

        Parameters
        ----------
        conn : Connectivity
            The projection with its current weights.
        index : Incoming or None
            ``incoming(conn)``; without it the dense form is added (every synapse, same result).
        gate : float or array
            Factor on the change (0 freezes learning).
        max_events : int
            Spikes per side handled in one batch (one gather and one scatter).

        Example
        -------
        >>> from bioplastic.synapses.connectivity import fixed_probability
        >>> conn = fixed_probability(jax.random.PRNGKey(0), 20, 10, 0.3, 0.5)
        >>> pre = (jnp.arange(20) % 7 == 0).astype(jnp.float32)
        >>> post = (jnp.arange(10) % 4 == 1).astype(jnp.float32)
        >>> change = SpikeTriggeredChange(((0.1 * pre, jnp.ones(10)),), ((jnp.ones(20), 0.2 * post),), pre, post, 0.0, 0.6)
        >>> dense = conn.weights + change.dense(conn)
        >>> bool(jnp.allclose(change.apply(conn, incoming(conn)), dense))
        True
        >>> bool(jnp.allclose(change.apply(conn, incoming(conn), max_events=2), dense))    # 3 + 3 spikes: two batches a side
        True
        """
        if index is None:
            return conn.weights + gate * self.dense(conn)
        n_pre, max_out = conn.weights.shape
        end = n_pre * max_out                                                    # one past the last slot
        every = self.pre_gated + self.post_gated

        def update(flat, slots, change, real):
            old = flat.at[slots].get(mode="fill", fill_value=0.0)
            new = old + gate * (jnp.clip(old + change, self.w_min, self.w_max) - old)
            return flat.at[slots].set(jnp.where(real, new, old), mode="drop")

        def rows_changed(rows, flat):                                            # every term, on whole out-list rows
            targets = conn.targets.at[rows].get(mode="fill", fill_value=conn.n_post)
            change = sum((jnp.append(u, 0.0)[rows][:, None] * jnp.append(v, 0.0)[targets] for u, v in every),
                         jnp.zeros(targets.shape, flat.dtype))
            slots = jnp.where(rows[:, None] < n_pre, rows[:, None] * max_out + jnp.arange(max_out), end)
            return update(flat, slots, change, targets < conn.n_post)

        silent = [jnp.append(jnp.where(self.pre_events == 0, u, 0.0), 0.0) for u, _ in self.post_gated]  # rows done

        def columns_changed(columns, flat):                                      # post-gated terms, on incoming synapses
            slots = jnp.where(columns[:, None] < conn.n_post, index.flat.at[columns].get(mode="fill", fill_value=end), end)
            sources = jnp.minimum(slots // max_out, n_pre)                       # padding -> the appended 0
            change = sum((u[sources] * jnp.append(v, 0.0)[columns][:, None] for u, (_, v) in zip(silent, self.post_gated)),
                         jnp.zeros(slots.shape, flat.dtype))
            return update(flat, slots, change, slots < end)

        flat = _in_batches(rows_changed, self.pre_events, max_events, conn.weights.reshape(-1))
        if self.post_gated:
            flat = _in_batches(columns_changed, self.post_events, max_events, flat)
        return flat.reshape(n_pre, max_out)


def _in_batches(change, events: jax.Array, size: int, flat: jax.Array) -> jax.Array:
    """``flat`` after ``change(indices, flat)`` on the indices of ``events``' non-zeros, ``size`` at a time.

    ``indices`` is padded with ``len(events)`` past the last spike; a step without spikes runs
    no batch.

    Example
    -------
    >>> add_one = lambda indices, flat: flat.at[indices].add(1.0, mode="drop")
    >>> _in_batches(add_one, jnp.array([1.0, 0.0, 1.0, 1.0]), 2, jnp.zeros(4)).tolist()
    [1.0, 0.0, 1.0, 1.0]
    """
    n = events.shape[0]
    size = min(size, n)
    batches = -(-n // size)
    indices = jnp.nonzero(events, size=batches * size, fill_value=n)[0]
    count = jnp.count_nonzero(events)

    def batch(carry):
        b, flat = carry
        return b + 1, change(jax.lax.dynamic_slice(indices, (b * size,), (size,)), flat)

    return jax.lax.while_loop(lambda carry: carry[0] * size < count, batch, (0, flat))[1]


def weight_change(delta, conn) -> jax.Array:
    """A rule's returned change as a ``(n_pre, max_out)`` array, whichever form the rule returned.

    Example
    -------
    >>> from bioplastic.synapses.connectivity import dense
    >>> weight_change(jnp.ones((1, 1)), dense(1, 1, 0.0)).tolist()
    [[1.0]]
    """
    return delta.dense(conn) if isinstance(delta, SpikeTriggeredChange) else delta
