"""Homogeneous transmission delays: a ring buffer of the last ``delay_steps`` spike vectors.

A projection with delay ``d`` ms delivers at step ``n`` the spikes emitted at step
``n - round(d / dt)``. The buffer is part of the network state (a pytree), so a delayed
network still runs as one ``lax.scan``. ``delay_steps = 0`` delivers at once.

Example
-------
>>> import jax.numpy as jnp
>>> from bioplastic.synapses.delay import SpikeDelay
>>> delay = SpikeDelay(delay_steps=2)
>>> buffer = delay.init(3)
>>> outs = []
>>> for n in range(4):
...     buffer, out = delay.push(buffer, jnp.array([float(n == 0), 0.0, float(n == 1)]))
...     outs.append(out.tolist())
>>> outs
[[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp

from bioplastic._checks import BadInput, check_dt, check_nonnegative, check_whole_steps


class DelayBuffer(NamedTuple):
    """``spikes``: (delay_steps, n) past spike vectors; ``head``: slot of the oldest one.

    Example
    -------
    >>> buffer = SpikeDelay(delay_steps=3).init(2)
    >>> buffer.spikes.shape, int(buffer.head)
    ((3, 2), 0)
    """

    spikes: jax.Array
    head: jax.Array


@dataclasses.dataclass(frozen=True)
class SpikeDelay:
    """A fixed delay of ``delay_steps`` steps (see :meth:`from_ms`).

    Example
    -------
    A delay of 0.2 ms at ``dt = 0.1`` ms: a spike pushed at step 0 comes out at step 2.

    >>> delay = SpikeDelay.from_ms(0.2, dt=0.1)
    >>> buffer = delay.init(1)
    >>> delivered = []
    >>> for spike in (1.0, 0.0, 0.0):
    ...     buffer, out = delay.push(buffer, jnp.array([spike]))
    ...     delivered.append(float(out[0]))
    >>> delay.delay_steps, delivered
    (2, [0.0, 0.0, 1.0])
    """

    delay_steps: int

    def __post_init__(self):
        if isinstance(self.delay_steps, bool) or not isinstance(self.delay_steps, int) or self.delay_steps < 0:
            raise BadInput("delay_steps", f"{self.delay_steps!r}", "a whole number >= 0")

    @classmethod
    def from_ms(cls, delay_ms: float, dt: float) -> "SpikeDelay":
        """The delay of ``delay_ms`` in whole steps of ``dt`` ms (a delay between two steps is refused).

        Example
        -------
        >>> SpikeDelay.from_ms(1.5, 0.1).delay_steps
        15
        >>> SpikeDelay.from_ms(0.15, 0.1)
        Traceback (most recent call last):
        ...
        bioplastic._checks.BadInput: delay_ms: got 0.15; allowed: a whole number of steps of dt_ms = 0.1 (nearest: 0.1 or 0.2 ms)
        """
        check_nonnegative(delay_ms, "delay_ms", "ms")
        return cls(check_whole_steps(float(delay_ms), check_dt(dt), "delay_ms"))

    def init(self, n: int, dtype=jnp.float32) -> DelayBuffer:
        """An empty buffer for ``n`` presynaptic neurons: ``delay_steps`` zero spike vectors, ``head = 0``.

        Example
        -------
        >>> buffer = SpikeDelay(delay_steps=3).init(2)
        >>> buffer.spikes.tolist(), int(buffer.head)
        ([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]], 0)
        >>> SpikeDelay(delay_steps=0).init(2).spikes.shape         # no delay, nothing stored
        (0, 2)
        """
        return DelayBuffer(jnp.zeros((self.delay_steps, n), dtype), jnp.zeros((), jnp.int32))

    def push(self, buffer: DelayBuffer, spikes: jax.Array):
        """Store this step's ``spikes``; return ``(buffer, spikes emitted delay_steps ago)``.

        The first ``delay_steps`` pushes deliver the zeros of the empty buffer.

        Example
        -------
        A spike pushed at step 0 comes out exactly ``delay_steps = 3`` steps later:

        >>> delay = SpikeDelay(delay_steps=3)
        >>> buffer = delay.init(1)
        >>> delivered_at = []
        >>> for n in range(6):
        ...     buffer, out = delay.push(buffer, jnp.array([1.0 if n == 0 else 0.0]))
        ...     if out[0] > 0:
        ...         delivered_at.append(n)
        >>> delivered_at, int(buffer.head)                # head: 6 pushes mod 3 slots
        ([3], 0)

        With ``delay_steps = 0`` the spikes pass straight through:

        >>> SpikeDelay(0).push(SpikeDelay(0).init(2), jnp.array([1.0, 0.0]))[1].tolist()
        [1.0, 0.0]
        """
        if self.delay_steps == 0:
            return buffer, spikes
        delivered = buffer.spikes[buffer.head]
        stored = buffer.spikes.at[buffer.head].set(spikes.astype(buffer.spikes.dtype))
        return DelayBuffer(stored, (buffer.head + 1) % self.delay_steps), delivered
