"""Seeded connectivity builders, stored as padded out-lists ("ELL" format).

A :class:`Connectivity` from ``n_pre`` to ``n_post`` neurons holds, for each
presynaptic neuron ``i``, its postsynaptic targets ``targets[i, :]`` and the weights
``weights[i, :]`` of those synapses, padded to the largest out-degree ``max_out``.
Padding entries point at ``n_post`` (one past the last neuron) with weight 0, so they
fall off every scatter. This layout is what event-driven propagation needs: the synaptic
work of a spike is one row, whatever ``n_post`` is.

Builders (all seeded by a ``jax.random`` key, so one protocol seed fixes them):

- :func:`dense`: every pre neuron projects to every post neuron.
- :func:`fixed_probability`: each pair is connected independently with probability ``p``
  (exact Bernoulli sampling in O(number of synapses) time, by geometric skips).
- :func:`fixed_out_degree`: each pre neuron has exactly ``k`` distinct targets.

Weights are homogeneous at build time (``weight``, in the units of the receiving
synapse: conductance relative to leak, or mV of current); replace ``weights`` for
heterogeneous ones, e.g. ``conn.with_weights(w)`` (a Connectivity is a pytree whose
leaves are ``targets`` and ``weights``: ``jax.grad`` reaches ``weights``).

Example
-------
>>> import jax
>>> from bioplastic.synapses.connectivity import fixed_out_degree
>>> conn = fixed_out_degree(jax.random.PRNGKey(0), n_pre=5, n_post=10, k=3, weight=0.5)
>>> conn.targets.shape, float(conn.to_dense().sum())
((5, 3), 7.5)
"""

from __future__ import annotations

import dataclasses
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from bioplastic._checks import BadInput, check_finite, check_size


@partial(jax.tree_util.register_dataclass, data_fields=["targets", "weights"], meta_fields=["n_post"])
@dataclasses.dataclass(frozen=True)
class Connectivity:
    """Padded out-lists of a projection from ``n_pre`` to ``n_post`` neurons.

    Fields
    ------
    targets : int32 array (n_pre, max_out)
        Postsynaptic index of each synapse; ``n_post`` marks padding.
    weights : float32 array (n_pre, max_out)
        Synaptic weight of each synapse; 0 on padding.
    n_post : int
        Number of postsynaptic neurons (static).

    Example
    -------
    Neuron 0 projects to 1 and 2 (weight 0.5 each), neuron 1 to 0 only (its second slot,
    target ``n_post = 3``, is padding):

    >>> conn = Connectivity(targets=jnp.array([[1, 2], [0, 3]], jnp.int32),
    ...                     weights=jnp.array([[0.5, 0.5], [2.0, 0.0]]), n_post=3)
    >>> conn.n_pre, conn.max_out, conn.n_synapses
    (2, 2, 3)
    >>> conn.to_dense().tolist()
    [[0.0, 0.5, 0.5], [2.0, 0.0, 0.0]]
    """

    targets: jax.Array
    weights: jax.Array
    n_post: int

    @property
    def n_pre(self) -> int:
        """Number of presynaptic neurons (rows of ``targets``).

        Example
        -------
        Three presynaptic neurons onto two: 0 -> 0 (weight 1) and 0 -> 1 (2), 1 -> 1 (3);
        neuron 2 has no synapse (a row of padding, target ``n_post = 2``).

        >>> conn = Connectivity(jnp.array([[0, 1], [1, 2], [2, 2]]),
        ...                     jnp.array([[1.0, 2.0], [3.0, 0.0], [0.0, 0.0]]), n_post=2)
        >>> conn.n_pre, conn.n_post
        (3, 2)
        """
        return self.targets.shape[0]

    @property
    def max_out(self) -> int:
        """Largest out-degree (the padded row length).

        Example
        -------
        >>> conn = Connectivity(jnp.array([[0, 1], [1, 2], [2, 2]]),
        ...                     jnp.array([[1.0, 2.0], [3.0, 0.0], [0.0, 0.0]]), n_post=2)
        >>> conn.max_out, conn.targets.shape
        (2, (3, 2))
        """
        return self.targets.shape[1]

    @property
    def mask(self) -> jax.Array:
        """True where a slot holds a real synapse, False on padding (target ``n_post``).

        Example
        -------
        >>> conn = Connectivity(jnp.array([[0, 1], [1, 2], [2, 2]]),
        ...                     jnp.array([[1.0, 2.0], [3.0, 0.0], [0.0, 0.0]]), n_post=2)
        >>> conn.mask.tolist()
        [[True, True], [True, False], [False, False]]
        """
        return self.targets < self.n_post

    @property
    def n_synapses(self) -> int:
        """Number of real synapses (padding slots not counted).

        Example
        -------
        >>> conn = Connectivity(jnp.array([[0, 1], [1, 2], [2, 2]]),
        ...                     jnp.array([[1.0, 2.0], [3.0, 0.0], [0.0, 0.0]]), n_post=2)
        >>> conn.n_synapses, conn.n_pre * conn.max_out
        (3, 6)
        """
        return int(jnp.sum(self.mask))

    def at_targets(self, values) -> jax.Array:
        """``values`` (n_post,) read at every synapse's target, shaped like ``targets``; 0 on padding.

        Example
        -------
        The postsynaptic value each synapse sees (e.g. a trace for a learning rule):

        >>> conn = Connectivity(jnp.array([[0, 1], [1, 2], [2, 2]]),
        ...                     jnp.array([[1.0, 2.0], [3.0, 0.0], [0.0, 0.0]]), n_post=2)
        >>> conn.at_targets(jnp.array([10.0, 20.0])).tolist()
        [[10.0, 20.0], [20.0, 0.0], [0.0, 0.0]]
        """
        return jnp.append(values, 0.0)[self.targets]

    def padded(self, width: int) -> "Connectivity":
        """The same synapses in rows of ``width`` slots (at least ``max_out``); the new slots are padding.

        Runs batched together need equal shapes: each seed's out-lists padded to the widest.

        Example
        -------
        >>> conn = Connectivity(jnp.array([[0, 1], [1, 2]]), jnp.array([[1.0, 2.0], [3.0, 0.0]]), n_post=2)
        >>> wide = conn.padded(3)
        >>> wide.targets.tolist(), bool((wide.to_dense() == conn.to_dense()).all())
        ([[0, 1, 2], [1, 2, 2]], True)
        >>> conn.padded(1)
        Traceback (most recent call last):
        ...
        bioplastic._checks.BadInput: width: got 1; allowed: at least max_out = 2
        """
        if width < self.max_out:
            raise BadInput("width", width, f"at least max_out = {self.max_out}")
        extra = ((0, 0), (0, width - self.max_out))
        return Connectivity(jnp.pad(self.targets, extra, constant_values=self.n_post), jnp.pad(self.weights, extra),
                            self.n_post)

    def with_weights(self, weights) -> "Connectivity":
        """Same structure, new weights (broadcast to ``targets``; padding forced to 0).

        Example
        -------
        >>> conn = Connectivity(jnp.array([[0, 1], [1, 2], [2, 2]]),
        ...                     jnp.array([[1.0, 2.0], [3.0, 0.0], [0.0, 0.0]]), n_post=2)
        >>> new = conn.with_weights(0.5)
        >>> new.weights.tolist(), bool((new.targets == conn.targets).all())
        ([[0.5, 0.5], [0.5, 0.0], [0.0, 0.0]], True)
        """
        weights = jnp.broadcast_to(jnp.asarray(weights, jnp.float32), self.targets.shape)
        return Connectivity(self.targets, jnp.where(self.mask, weights, 0.0), self.n_post)

    def to_dense(self) -> jax.Array:
        """The (n_pre, n_post) weight matrix; repeated synapses add up.

        Example
        -------
        >>> conn = Connectivity(jnp.array([[0, 1], [1, 2], [2, 2]]),
        ...                     jnp.array([[1.0, 2.0], [3.0, 0.0], [0.0, 0.0]]), n_post=2)
        >>> conn.to_dense().tolist()
        [[1.0, 2.0], [0.0, 3.0], [0.0, 0.0]]

        Two synapses 0 -> 0 (weights 1 and 2) make one entry of 3:

        >>> Connectivity(jnp.array([[0, 0]]), jnp.array([[1.0, 2.0]]), n_post=1).to_dense().tolist()
        [[3.0]]
        """
        rows = jnp.broadcast_to(jnp.arange(self.n_pre)[:, None], self.targets.shape)
        dense = jnp.zeros((self.n_pre, self.n_post + 1), self.weights.dtype)
        return dense.at[rows, self.targets].add(self.weights)[:, : self.n_post]

    def to_csr(self):
        """``(data, indices, indptr)`` numpy arrays of the same synapses in CSR order.

        Row ``i``'s synapses are ``data[indptr[i]:indptr[i + 1]]`` onto
        ``indices[indptr[i]:indptr[i + 1]]``; padding is dropped (e.g. for ``scipy.sparse.csr_matrix``).

        Example
        -------
        >>> conn = Connectivity(jnp.array([[0, 1], [1, 2], [2, 2]]),
        ...                     jnp.array([[1.0, 2.0], [3.0, 0.0], [0.0, 0.0]]), n_post=2)
        >>> data, indices, indptr = conn.to_csr()
        >>> data.tolist(), indices.tolist(), indptr.tolist()
        ([1.0, 2.0, 3.0], [0, 1, 1], [0, 2, 3, 3])
        """
        mask = np.asarray(self.mask)
        indptr = np.concatenate([[0], np.cumsum(mask.sum(axis=1))]).astype(np.int32)
        return np.asarray(self.weights)[mask], np.asarray(self.targets)[mask].astype(np.int32), indptr


def _numpy_rng(key: jax.Array) -> np.random.Generator:
    """A NumPy generator seeded deterministically from a JAX key."""
    return np.random.default_rng(np.asarray(jax.random.key_data(key)).ravel().tolist())


def _pack(rows: np.ndarray, cols: np.ndarray, n_pre: int, n_post: int, weight: float) -> Connectivity:
    """Pack (row, col) synapse lists, sorted by row, into padded out-lists."""
    degree = np.bincount(rows, minlength=n_pre)
    max_out = max(int(degree.max(initial=0)), 1)
    slot = np.arange(rows.size) - np.repeat(np.cumsum(degree) - degree, degree)
    targets = np.full((n_pre, max_out), n_post, np.int32)
    targets[rows, slot] = cols
    weights = np.where(targets < n_post, np.float32(weight), np.float32(0.0))
    return Connectivity(jnp.asarray(targets), jnp.asarray(weights), n_post)


def _check_common(n_pre, n_post, weight):
    check_size(n_pre, "n_pre")
    check_size(n_post, "n_post")
    check_finite(weight, "weight")


def dense(n_pre: int, n_post: int, weight: float) -> Connectivity:
    """All-to-all connectivity with homogeneous ``weight``.

    Parameters
    ----------
    n_pre, n_post : int
        Numbers of presynaptic and postsynaptic neurons.
    weight : float
        Weight of every synapse, in the receiving synapse's unit (conductance relative to leak, or mV).

    Example
    -------
    >>> dense(2, 3, 1.0).to_dense().shape
    (2, 3)
    """
    _check_common(n_pre, n_post, weight)
    targets = np.broadcast_to(np.arange(n_post, dtype=np.int32), (n_pre, n_post))
    return Connectivity(jnp.asarray(targets), jnp.full((n_pre, n_post), weight, jnp.float32), n_post)


def _check_self(allow_self: bool, n_pre: int, n_post: int):
    if not allow_self and n_pre != n_post:
        raise BadInput("allow_self",
                       f"False with n_pre={n_pre} != n_post={n_post}",
                       "False only for a population projecting onto itself (n_pre == n_post)")


MIN_PROBABILITY = 1e-15       # the geometric gap between synapses, ~1 / p, must fit a 64-bit integer with room


def fixed_probability(
    key: jax.Array, n_pre: int, n_post: int, p: float, weight: float, allow_self: bool = True
) -> Connectivity:
    """Each of the ``n_pre * n_post`` pairs connected independently with probability ``p``.

    ``allow_self=False`` (for a population onto itself) removes the ``i -> i`` synapses.

    Parameters
    ----------
    key : jax key
        Seeds the draw (the same key gives the same synapses).
    n_pre, n_post : int
        Numbers of presynaptic and postsynaptic neurons.
    p : float
        Connection probability of each pair, in [0, 1].
    weight : float
        Weight of every synapse, in the receiving synapse's unit (conductance relative to leak, or mV).
    allow_self : bool
        Keep ``i -> i`` synapses; False needs ``n_pre == n_post``.

    Example
    -------
    >>> conn = fixed_probability(jax.random.PRNGKey(1), 1000, 1000, 0.02, 0.6)
    >>> 18_000 < conn.n_synapses < 22_000
    True
    """
    _check_common(n_pre, n_post, weight)
    _check_self(allow_self, n_pre, n_post)
    if not 0.0 <= float(p) <= 1.0:
        raise BadInput("p", f"{p!r}", "a probability in [0, 1]")
    if 0.0 < p < MIN_PROBABILITY:
        raise BadInput("p", f"{p!r}", f"0, or at least {MIN_PROBABILITY:g} (the gaps between synapses are drawn as "
                       "64-bit integers)")
    rng = _numpy_rng(key)
    total = n_pre * n_post
    if p == 0.0:
        flat = np.zeros(0, np.int64)
    elif p == 1.0:
        flat = np.arange(total, dtype=np.int64)
    else:
        # Gaps between successive Bernoulli successes are geometric: draw enough of them.
        expected = total * p
        n_draw = int(expected + 10 * np.sqrt(expected) + 100)
        flat = np.cumsum(rng.geometric(p, size=n_draw)) - 1
        while flat[-1] < total:
            more = np.cumsum(rng.geometric(p, size=n_draw)) + flat[-1]
            flat = np.concatenate([flat, more])
        flat = flat[flat < total]
    rows, cols = flat // n_post, flat % n_post
    if not allow_self:
        keep = rows != cols
        rows, cols = rows[keep], cols[keep]
    return _pack(rows, cols, n_pre, n_post, weight)


def fixed_out_degree(
    key: jax.Array, n_pre: int, n_post: int, k: int, weight: float, allow_self: bool = True
) -> Connectivity:
    """Each presynaptic neuron gets exactly ``k`` distinct targets, drawn uniformly.

    ``allow_self=False`` (for a population onto itself) never picks ``i -> i``.

    Parameters
    ----------
    key : jax key
        Seeds the draw (the same key gives the same synapses).
    n_pre, n_post : int
        Numbers of presynaptic and postsynaptic neurons.
    k : int
        Out-degree, in ``[1, n_post]`` (``[1, n_post - 1]`` without self-connections).
    weight : float
        Weight of every synapse, in the receiving synapse's unit (conductance relative to leak, or mV).
    allow_self : bool
        Allow ``i -> i`` synapses; False needs ``n_pre == n_post``.

    Example
    -------
    >>> conn = fixed_out_degree(jax.random.PRNGKey(2), 4, 4, 3, 1.0, allow_self=False)
    >>> bool((conn.to_dense().diagonal() == 0).all()), conn.to_dense().sum(axis=1).tolist()
    (True, [3.0, 3.0, 3.0, 3.0])
    """
    _check_common(n_pre, n_post, weight)
    _check_self(allow_self, n_pre, n_post)
    choices = n_post - (0 if allow_self else 1)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 < k <= choices:
        raise BadInput("k", f"{k!r}", f"a whole number in [1, {choices}] (distinct targets per neuron)")
    rng = _numpy_rng(key)
    if k > choices // 4:
        # Dense regime: a random permutation per row.
        picks = np.argsort(rng.random((n_pre, choices)), axis=1)[:, :k]
    else:
        # Sparse regime: draw with replacement and redraw duplicates until none is left.
        picks = rng.integers(0, choices, size=(n_pre, k))
        while True:
            order = np.sort(picks, axis=1)
            duplicate_rows = np.nonzero((order[:, 1:] == order[:, :-1]).any(axis=1))[0]
            if duplicate_rows.size == 0:
                break
            for row in duplicate_rows:
                seen, values = set(), picks[row]
                for slot, value in enumerate(values):
                    while value in seen:
                        value = rng.integers(0, choices)
                    seen.add(value)
                    values[slot] = value
    if not allow_self:
        picks = picks + (picks >= np.arange(n_pre)[:, None])
    picks = np.sort(picks, axis=1)
    rows = np.repeat(np.arange(n_pre), k)
    return _pack(rows, picks.ravel(), n_pre, n_post, weight)


def stack(conns, target_offsets, n_post: int) -> Connectivity:
    """One projection made of the rows of several, each into its own block of targets.

    Row block ``m`` is ``conns[m]`` with its targets shifted by ``target_offsets[m]`` into
    a target space of ``n_post`` entries (padding re-pointed at ``n_post``; rows padded to
    the longest). Used to fuse all projections leaving one population -- for instance
    excitatory rows into the excitatory-conductance block and inhibitory rows into the
    inhibitory block -- so a step does one gather and one scatter.

    Parameters
    ----------
    conns : sequence of Connectivity
        The row blocks, in order.
    target_offsets : sequence of int
        First target index of each block; block ``m`` must fit in ``[0, n_post)``.
    n_post : int
        Size of the joint target space.

    Returns
    -------
    Connectivity
        ``sum(conn.n_pre)`` rows, ``max(conn.max_out)`` slots per row.

    Example
    -------
    >>> a, b = dense(1, 2, 1.0), dense(1, 2, 2.0)
    >>> stack([a, b], [0, 2], 4).to_dense().tolist()
    [[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 2.0, 2.0]]
    """
    check_size(n_post, "n_post")
    if len(conns) != len(target_offsets):
        raise BadInput("target_offsets", f"{len(target_offsets)} offsets", f"one per connectivity ({len(conns)})")
    width = max(conn.max_out for conn in conns)
    targets, weights = [], []
    for conn, offset in zip(conns, target_offsets):
        if offset < 0 or offset + conn.n_post > n_post:
            raise BadInput("target_offsets", f"{offset} for {conn.n_post} targets", f"blocks inside [0, {n_post})")
        pad = ((0, 0), (0, width - conn.max_out))
        shifted = jnp.where(conn.mask, conn.targets + offset, n_post)
        targets.append(jnp.pad(shifted, pad, constant_values=n_post))
        weights.append(jnp.pad(conn.weights, pad))
    return Connectivity(jnp.concatenate(targets).astype(jnp.int32), jnp.concatenate(weights), n_post)
