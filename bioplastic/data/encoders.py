"""Images to input over time: Poisson spike trains, constant currents, latency codes.

Every encoder returns an array of shape ``(n_steps, *images.shape)`` -- time first, the
layout :class:`~bioplastic.simulation.TimeSeries` reads (``values[n]`` at step ``n``) --
as float32. Intensities are in ``[0, 1]``; integer images (uint8 datasets) are divided
by 255 first. All are pure JAX functions: under ``jax.jit`` pass ``n_steps`` (and
``tau_steps``) as static arguments; the value checks run only on concrete inputs.

- :func:`poisson_encode`: rate coding. Each pixel is an independent Bernoulli train
  with ``P(spike in a step) = intensity * max_rate_hz * dt_ms / 1000`` -- a Poisson
  process at ``intensity * max_rate_hz`` Hz, sampled on the step grid.
- :func:`constant_current`: ``intensity * scale`` at every step.
- :func:`latency_encode`: one spike per pixel, brighter pixels earlier; pixels of
  intensity 0 never spike (see the function for the two latency laws).

Example
-------
>>> import jax, jax.numpy as jnp
>>> from bioplastic.data.encoders import constant_current, latency_encode, poisson_encode
>>> image = jnp.array([[0.0, 0.5, 1.0]])
>>> poisson_encode(image, 100, max_rate_hz=200.0, dt_ms=1.0, key=jax.random.PRNGKey(0)).shape
(100, 1, 3)
>>> latency_encode(image, 5).argmax(axis=0).tolist(), latency_encode(image, 5).sum(axis=0).tolist()
([[0, 2, 0]], [[0.0, 1.0, 1.0]])
>>> constant_current(image, 2, scale=10.0)[1].tolist()
[[0.0, 5.0, 10.0]]
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from bioplastic._checks import BadInput, _is_tracer, check_finite, check_nonnegative, check_positive, check_size


def _intensity(images, where: str = "images") -> jax.Array:
    """``images`` as float32 intensities in [0, 1] (integer images / 255, booleans 0/1); checked when concrete."""
    images = jnp.asarray(images)
    if jnp.issubdtype(images.dtype, jnp.integer):
        if not _is_tracer(images) and images.size and (int(images.min()) < 0 or int(images.max()) > 255):
            raise BadInput(where,
                           f"integer values in [{int(images.min())}, {int(images.max())}]",
                           "0..255 (scaled by 1/255)")
        return images.astype(jnp.float32) / 255.0
    if not _is_tracer(images):
        check_nonnegative(images, where)
        if images.size and float(images.max()) > 1.0:
            raise BadInput(where, f"{float(images.max())!r}", "intensities in [0, 1] (or integers 0..255)")
    return images.astype(jnp.float32)


def _time_axis(n_steps: int, ndim: int) -> jax.Array:
    return jnp.arange(n_steps).reshape((n_steps,) + (1,) * ndim)


def poisson_encode(images, n_steps: int, max_rate_hz, dt_ms, key: jax.Array) -> jax.Array:
    """Rate-coded spike trains: pixel intensity ``x`` fires at ``x * max_rate_hz`` (Hz).

    Parameters
    ----------
    images : array
        Intensities in [0, 1] (or integers 0..255), any shape.
    n_steps : int
        Number of time steps (static under ``jit``).
    max_rate_hz : float
        Rate of a pixel of intensity 1 (Hz).
    dt_ms : float
        Step (ms); ``max_rate_hz * dt_ms / 1000`` must be <= 1 (at most one spike a step).
    key : jax key
        Seed; the same key gives the same trains.

    Returns
    -------
    array, shape (n_steps, *images.shape), float32 0/1

    Example
    -------
    >>> import jax, jax.numpy as jnp
    >>> s = poisson_encode(jnp.full((1000,), 0.5), 1000, 100.0, 1.0, jax.random.PRNGKey(1))
    >>> round(float(s.mean()) / (1.0e-3 * 1.0), 0)  # mean rate (Hz) ~ 0.5 * 100
    50.0
    """
    n_steps = check_size(n_steps, "n_steps")
    check_nonnegative(max_rate_hz, "max_rate_hz", "Hz")
    check_positive(dt_ms, "dt_ms", "ms")
    if not _is_tracer((max_rate_hz, dt_ms)):
        probability = float(np.max(max_rate_hz)) * float(np.max(dt_ms)) / 1000.0
        if probability > 1.0:
            raise BadInput("max_rate_hz * dt_ms / 1000", f"{probability!r}", "<= 1 (at most one spike per step)")
    intensity = _intensity(images)
    probability = jnp.clip(intensity * jnp.asarray(max_rate_hz, jnp.float32) * jnp.asarray(dt_ms, jnp.float32) / 1000.0, 0.0, 1.0)
    uniform = jax.random.uniform(key, (n_steps,) + intensity.shape, jnp.float32)
    return (uniform < probability).astype(jnp.float32)


def constant_current(images, n_steps: int, scale) -> jax.Array:
    """The same input ``intensity * scale`` at each of ``n_steps`` steps.

    Parameters
    ----------
    images : array
        Intensities in [0, 1] (or integers 0..255).
    n_steps : int
        Number of steps (static under ``jit``).
    scale : float or array
        Input at intensity 1, in the unit the neuron takes (e.g. mV across R for
        :class:`~bioplastic.neurons.lif.LIF`); broadcasts against ``images``.

    Example
    -------
    >>> import jax.numpy as jnp
    >>> constant_current(jnp.array([0, 255], jnp.uint8), 3, 20.0).tolist()
    [[0.0, 20.0], [0.0, 20.0], [0.0, 20.0]]
    """
    n_steps = check_size(n_steps, "n_steps")
    check_finite(scale, "scale")
    value = _intensity(images) * jnp.asarray(scale, jnp.float32)
    return jnp.broadcast_to(value, (n_steps,) + value.shape)


def latency_steps(images, n_steps: int, tau_steps=None) -> jax.Array:
    """The step at which each pixel spikes under :func:`latency_encode`; ``n_steps`` means never.

    Linear law (``tau_steps=None``): ``round((1 - x) * (n_steps - 1))`` -- intensity 1 at
    step 0, the faintest pixels near the last step. Logarithmic law (``tau_steps``
    given): ``round(tau_steps * ln(1 / x))``, the time a threshold decaying as
    ``exp(-t / tau_steps)`` from 1 takes to fall to ``x``; latencies beyond the window
    mean no spike. Intensity 0 never spikes under either law.

    Parameters
    ----------
    images : array
        Intensities in [0, 1] (or integers 0..255).
    n_steps : int
        Window length in steps (static under ``jit``).
    tau_steps : float or None
        ``None``: the linear law; a number > 0: the time constant of the logarithmic law (steps).

    Returns
    -------
    array, shape images.shape, int32
        Spike step of each pixel in ``[0, n_steps - 1]``, or ``n_steps`` for no spike.

    Example
    -------
    >>> import jax.numpy as jnp
    >>> latency_steps(jnp.array([1.0, 0.5, 0.0]), 11).tolist()
    [0, 5, 11]
    >>> latency_steps(jnp.array([1.0, 0.5, 0.01]), 11, tau_steps=4.0).tolist()
    [0, 3, 11]
    """
    n_steps = check_size(n_steps, "n_steps")
    intensity = _intensity(images)
    if tau_steps is None:
        steps = jnp.round((1.0 - intensity) * (n_steps - 1))
    else:
        check_positive(tau_steps, "tau_steps", "steps")
        safe = jnp.where(intensity > 0, intensity, 1.0)
        steps = jnp.round(jnp.asarray(tau_steps, jnp.float32) * -jnp.log(safe))
    steps = jnp.where((intensity > 0) & (steps <= n_steps - 1), steps, n_steps)
    return steps.astype(jnp.int32)


def latency_encode(images, n_steps: int, tau_steps=None) -> jax.Array:
    """Latency code: each pixel spikes once, at :func:`latency_steps` (brighter = earlier).

    Parameters
    ----------
    images : array
        Intensities in [0, 1] (or integers 0..255).
    n_steps : int
        Window length in steps (static under ``jit``).
    tau_steps : float or None
        ``None``: latency falls linearly from ``n_steps - 1`` (faintest) to 0 (intensity 1).
        A number: latency ``tau_steps * ln(1/x)``; pixels whose latency falls outside the
        window do not spike.

    Returns
    -------
    array, shape (n_steps, *images.shape), float32 0/1 with at most one 1 per pixel

    Example
    -------
    >>> import jax.numpy as jnp
    >>> latency_encode(jnp.array([1.0, 0.25]), 5)[:, 1].tolist()  # round((1 - 0.25) * 4) = 3
    [0.0, 0.0, 0.0, 1.0, 0.0]
    """
    steps = latency_steps(images, n_steps, tau_steps)
    return (_time_axis(n_steps, steps.ndim) == steps[None]).astype(jnp.float32)
