"""Seeded synthetic inputs: smooth latents, an agent on a track with place cells, a cue-outcome task.

Every generator is a pure JAX function of a key: the same key gives the same data. Sizes
and time constants (``n_steps``, ``dt_ms``, ...) fix array shapes and precomputed
coefficients, so they must be concrete (static under ``jax.jit``); the key may be traced.

- :func:`gp_latents` -- independent Gaussian processes with the RBF (squared-exponential)
  kernel, autocorrelation ``exp(-lag^2 / (2 timescale^2))``, unit variance; sampled
  exactly (to ~exp(-50)) by circulant embedding with an FFT.
- :func:`mix_latents` -- a random linear mixture of latents into ``n_features`` signals.
- :func:`track_agent` -- position on a 1-D periodic track (a ring) with an
  Ornstein-Uhlenbeck velocity, sampled with the exact discretisation of the joint
  (position, velocity) process.
- :func:`place_cells` -- Gaussian place fields on the ring (periodic distance), with a
  remapped or shifted second environment.
- :func:`cue_outcome_task` -- trials of a cue followed, with a cue-specific probability,
  by an outcome (of a cue-specific identity) at a cue-specific latency; the latency, the
  probability and the identity can each switch at a scheduled trial.

Example
-------
>>> import jax
>>> from bioplastic.data.synthetic import gp_latents, place_cells, track_agent
>>> gp_latents(jax.random.PRNGKey(0), 3, 500, dt_ms=1.0, timescale_ms=20.0).shape
(500, 3)
>>> track = track_agent(jax.random.PRNGKey(1), 1000, dt_ms=10.0)
>>> place_cells(track.positions_m, 8, width_m=0.1, length_m=1.0).activity.shape
(1000, 8)
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from bioplastic._checks import (
    BadInput,
    check_choice,
    check_dt,
    check_finite,
    check_nonnegative,
    check_positive,
    check_size,
)

# --------------------------------------------------------------------------- latents


def _rbf_circulant_amplitude(n_steps: int, timescale_steps: float) -> np.ndarray:
    """``sqrt(eigenvalues / M)`` of the circulant embedding of the RBF kernel (float64, length ``M``).

    ``M`` is the smallest power of two >= ``n_steps`` + 10 timescales, so over lags
    < ``n_steps`` the periodised kernel differs from the kernel by < exp(-50). The
    covariance the embedding produces is ``np.fft.ifft(M * amplitude**2).real``.
    """
    size = 1 << max(1, math.ceil(math.log2(n_steps + math.ceil(10.0 * timescale_steps) + 1)))
    index = np.arange(size, dtype=np.float64)
    periodised = sum(np.exp(-0.5 * ((index + shift * size) / timescale_steps) ** 2) for shift in range(-2, 3))
    eigenvalues = np.clip(np.fft.fft(periodised).real, 0.0, None)
    return np.sqrt(eigenvalues / size)


def gp_latents(key: jax.Array, n_latents: int, n_steps: int, dt_ms: float, timescale_ms: float) -> jax.Array:
    """Independent zero-mean, unit-variance Gaussian processes with an RBF kernel, sampled every ``dt_ms``.

    Covariance between steps ``i`` and ``j``: ``exp(-((i - j) dt)^2 / (2 timescale^2))``.

    Method: circulant embedding. The kernel is made periodic with a period ``M dt`` at
    least ``n_steps dt + 10 timescale`` (so the periodic copy differs from it by at most
    ``exp(-50)`` over the returned window); the eigenvalues of its circulant covariance
    matrix are the FFT of the periodised kernel (non-negative: the aliased RBF spectral
    density); ``FFT(sqrt(eigenvalues / M) * complex white noise)`` then has exactly that
    covariance in its real part and, independently, in its imaginary part. Cost
    ``O(M log M)`` per pair of latents, so long series are cheap.

    Parameters
    ----------
    key : jax key
        Seed.
    n_latents, n_steps : int
        Number of processes and of time steps.
    dt_ms : float
        Sampling step (ms).
    timescale_ms : float
        Length scale ``l`` of the kernel (ms).

    Returns
    -------
    array, shape (n_steps, n_latents), float32

    Example
    -------
    >>> import jax, numpy as np
    >>> z = np.asarray(gp_latents(jax.random.PRNGKey(0), 200, 400, dt_ms=1.0, timescale_ms=10.0))
    >>> round(float(np.mean(z[:-10] * z[10:])), 1)  # exp(-1/2) = 0.61
    0.6
    """
    n_latents = check_size(n_latents, "n_latents")
    n_steps = check_size(n_steps, "n_steps")
    dt = check_dt(dt_ms)
    check_positive(timescale_ms, "timescale_ms", "ms")
    amplitude = jnp.asarray(_rbf_circulant_amplitude(n_steps, float(timescale_ms) / dt), jnp.float32)
    size = amplitude.shape[0]
    n_pairs = (n_latents + 1) // 2
    noise = jax.random.normal(key, (2, size, n_pairs), jnp.float32)
    samples = jnp.fft.fft(amplitude[:, None] * (noise[0] + 1j * noise[1]), axis=0)[:n_steps]
    return jnp.concatenate([samples.real, samples.imag], axis=1)[:, :n_latents].astype(jnp.float32)


def mix_latents(key: jax.Array, latents, n_features: int) -> tuple[jax.Array, jax.Array]:
    """Random linear mixture ``features = latents @ mixing``, ``mixing ~ N(0, 1 / n_latents)``.

    Parameters
    ----------
    key : jax key
        Seed of the mixing matrix.
    latents : array, shape (n_steps, n_latents)
    n_features : int

    Returns
    -------
    features : array, shape (n_steps, n_features)
        Unit variance on average when the latents are independent with unit variance.
    mixing : array, shape (n_latents, n_features)

    Example
    -------
    >>> import jax, jax.numpy as jnp
    >>> features, mixing = mix_latents(jax.random.PRNGKey(0), jnp.ones((5, 3)), 7)
    >>> features.shape, mixing.shape
    ((5, 7), (3, 7))
    """
    n_features = check_size(n_features, "n_features")
    latents = jnp.asarray(latents, jnp.float32)
    if latents.ndim != 2:
        raise BadInput("latents", f"shape {latents.shape}", "(n_steps, n_latents)")
    check_finite(latents, "latents")
    mixing = jax.random.normal(key, (latents.shape[1], n_features), jnp.float32) / math.sqrt(latents.shape[1])
    return latents @ mixing, mixing


# --------------------------------------------------------------------------- track and place cells


class Track(NamedTuple):
    """An agent's path: ``positions_m`` in ``[0, length_m)`` and ``velocities_m_s``, each (n_steps,).

    Returned by :func:`track_agent`; positions in m, velocities in m/s.

    Example
    -------
    >>> track = Track(positions_m=jnp.array([0.5, 0.6]), velocities_m_s=jnp.array([5.0, 5.0]))
    >>> track.velocities_m_s.tolist()
    [5.0, 5.0]
    """

    positions_m: jax.Array
    velocities_m_s: jax.Array


def _ou_coefficients(dt_s: float, coherence_s: float, sd: float) -> tuple[float, float, float, float, float]:
    """Exact one-step (position, velocity) update of an OU velocity with stationary sd ``sd``.

    With ``a = exp(-dt/tau)``, ``b = 1 - a``, ``x = dt/tau``:
    ``v' = a v + e_v``, ``X = v tau b + e_x`` (``X`` the distance covered), where
    ``Var e_v = sd^2 (1 - a^2)``, ``Var e_x = sd^2 tau^2 (2x - 2b - b^2)``,
    ``Cov(e_x, e_v) = sd^2 tau b^2``. Returns ``(a, tau b, s_v, c_xv / s_v, s_x|v)``, the
    noise written as ``e_v = s_v z0``, ``e_x = (c_xv / s_v) z0 + s_x|v z1``.
    """
    x = dt_s / coherence_s
    b = -math.expm1(-x)
    a = 1.0 - b
    var_v = sd**2 * b * (2.0 - b)  # 1 - a^2 = b (2 - b)
    var_x = sd**2 * coherence_s**2 * (2.0 * x - 2.0 * b - b * b)
    cov = sd**2 * coherence_s * b * b
    if var_v <= 0.0:
        return a, coherence_s * b, 0.0, 0.0, 0.0
    s_v = math.sqrt(var_v)
    return a, coherence_s * b, s_v, cov / s_v, math.sqrt(max(var_x - cov * cov / var_v, 0.0))


def track_agent(key: jax.Array, n_steps: int, dt_ms: float, length_m: float = 1.0,
                velocity_sd_m_s: float = 0.5, coherence_s: float = 0.7, velocity_mean_m_s: float = 0.0) -> Track:
    """An agent running on a ring of circumference ``length_m`` with Ornstein-Uhlenbeck velocity.

    The velocity is stationary Gaussian with mean ``velocity_mean_m_s``, sd
    ``velocity_sd_m_s`` and autocorrelation ``exp(-lag / coherence_s)`` (the mean only
    adds ``mean x t`` to the positions, so it is added after sampling the zero-mean path). Each step samples the exact conditional distribution of
    the next (position, velocity) pair given the current one (see
    :func:`_ou_coefficients`), so statistics do not depend on ``dt_ms``. The first
    position is uniform on the ring, the first velocity drawn from the stationary law;
    positions wrap into ``[0, length_m)``.

    Parameters
    ----------
    key : jax key
    n_steps : int
        Number of samples (the first is the initial state).
    dt_ms : float
        Step (ms).
    length_m, velocity_sd_m_s, coherence_s : float
        Ring circumference (m), stationary velocity sd (m/s, >= 0), velocity correlation time (s).
    velocity_mean_m_s : float
        Mean velocity (m/s); positive runs the ring in the direction of increasing position.

    Returns
    -------
    Track
        ``positions_m`` and ``velocities_m_s``, each (n_steps,) float32.

    Example
    -------
    >>> import jax
    >>> t = track_agent(jax.random.PRNGKey(0), 100, dt_ms=20.0, length_m=2.0)
    >>> bool((t.positions_m >= 0).all() and (t.positions_m < 2.0).all())
    True
    """
    n_steps = check_size(n_steps, "n_steps")
    dt_s = check_dt(dt_ms) / 1000.0
    check_positive(length_m, "length_m", "m")
    check_nonnegative(velocity_sd_m_s, "velocity_sd_m_s", "m/s")
    check_positive(coherence_s, "coherence_s", "s")
    check_finite(velocity_mean_m_s, "velocity_mean_m_s")
    length, sd, mean = float(length_m), float(velocity_sd_m_s), float(velocity_mean_m_s)
    a, drift, s_v, s_xz0, s_xz1 = _ou_coefficients(dt_s, float(coherence_s), sd)
    key_position, key_velocity, key_noise = jax.random.split(key, 3)
    x0 = jax.random.uniform(key_position, (), jnp.float32) * length
    v0 = sd * jax.random.normal(key_velocity, (), jnp.float32)
    noise = jax.random.normal(key_noise, (n_steps - 1, 2), jnp.float32)

    def step(carry, z):
        x, v = carry
        x_next = jnp.mod(x + drift * v + s_xz0 * z[0] + s_xz1 * z[1], length)
        v_next = a * v + s_v * z[0]
        return (x_next, v_next), (x_next, v_next)

    _, (xs, vs) = jax.lax.scan(step, (x0, v0), noise)
    positions = jnp.concatenate([x0[None], xs])
    if mean:
        positions = jnp.mod(positions + mean * dt_s * jnp.arange(n_steps, dtype=jnp.float32), length)
    positions = jnp.where(positions >= length, positions - length, positions)  # float32 rounding of mod
    return Track(positions.astype(jnp.float32), (jnp.concatenate([v0[None], vs]) + mean).astype(jnp.float32))


class PlaceCells(NamedTuple):
    """Place-cell ``activity`` (positions.shape + (n_cells,), peak 1) and field ``centers_m`` (n_cells,).

    Returned by :func:`place_cells`; centres in m, activity dimensionless.

    Example
    -------
    >>> cells = place_cells(jnp.array([0.125, 0.625]), 4, width_m=0.1, length_m=1.0)
    >>> cells.centers_m.tolist()
    [0.125, 0.375, 0.625, 0.875]
    >>> np.round(np.asarray(cells.activity, float), 2).tolist()      # each position is at one field's centre
    [[1.0, 0.04, 0.0, 0.04], [0.0, 0.04, 1.0, 0.04]]
    """

    activity: jax.Array
    centers_m: jax.Array


def ring_distance(a, b, length_m):
    """The shorter way round a ring of circumference ``length_m`` between positions ``a`` and ``b`` (m).

    Parameters
    ----------
    a, b : float or array
        Positions on the ring (m); broadcast against each other, any value (taken modulo ``length_m``).
    length_m : float or array
        Ring circumference (m).

    Returns
    -------
    array
        Distance in ``[0, length_m / 2]`` (m), shape of ``a`` and ``b`` broadcast.

    Example
    -------
    >>> round(float(ring_distance(0.1, 0.9, 1.0)), 6)
    0.2
    """
    offset = jnp.mod(jnp.asarray(a) - jnp.asarray(b), length_m)
    return jnp.minimum(offset, length_m - offset)


def place_cells(positions, n_cells: int, width_m: float, length_m: float, key: jax.Array | None = None,
                remap: bool = False, shift_m: float = 0.0, jitter: float | None = None) -> PlaceCells:
    """Gaussian place fields on a ring: ``exp(-d^2 / (2 width^2))``, ``d`` the periodic distance.

    Parameters
    ----------
    positions : array
        Positions (m), any shape; taken modulo ``length_m``.
    n_cells : int
    width_m : float
        Field width (sd of the Gaussian, m).
    length_m : float
        Ring circumference (m).
    key : jax key or None
        ``None``: centres evenly spaced, ``(i + 1/2) length / n_cells``. A key: centres
        uniform on the ring, drawn from ``fold_in(key, 0)`` -- or, with ``jitter``, a
        jittered grid ``(i + 1/2 + u_i) length / n_cells``, ``u_i`` uniform in
        ``[-jitter, jitter]``.
    remap : bool
        A second environment: every cell gets a new, independent centre, drawn from
        ``fold_in(key, 1)`` (global remapping; needs ``key``).
    shift_m : float
        Rotate all centres by this distance (m), e.g. a shifted second environment.
    jitter : float or None
        With a key: jittered-grid centres (fraction of the spacing, in [0, 0.5]); the
        remapped environment re-draws the jitter and shuffles which cell has which centre
        (``fold_in(key, 2)``), as in George et al. (2023).

    Returns
    -------
    PlaceCells
        ``activity`` of shape ``positions.shape + (n_cells,)`` and ``centers_m``.

    Example
    -------
    >>> import jax.numpy as jnp
    >>> cells = place_cells(jnp.array([0.0, 1.0]), 4, width_m=0.1, length_m=1.0)
    >>> bool(jnp.allclose(cells.activity[0], cells.activity[1]))  # 0 and 1 m are the same place
    True
    """
    n_cells = check_size(n_cells, "n_cells")
    check_positive(width_m, "width_m", "m")
    check_positive(length_m, "length_m", "m")
    check_finite(shift_m, "shift_m")
    check_finite(positions, "positions")
    length = jnp.asarray(length_m, jnp.float32)
    if remap and key is None:
        raise BadInput("place_cells.key", "None with remap=True", "a jax key (the remapped centres are random)")
    if jitter is not None and not 0.0 <= jitter <= 0.5:
        raise BadInput("place_cells.jitter", f"{jitter!r}", "a fraction of the spacing in [0, 0.5]")
    if key is None:
        centers = (jnp.arange(n_cells, dtype=jnp.float32) + 0.5) * length / n_cells
    elif jitter is not None:
        offsets = jax.random.uniform(jax.random.fold_in(key, 1 if remap else 0), (n_cells,), jnp.float32, -jitter, jitter)
        centers = (jnp.arange(n_cells, dtype=jnp.float32) + 0.5 + offsets) * length / n_cells
        if remap:
            centers = centers[jax.random.permutation(jax.random.fold_in(key, 2), n_cells)]
    else:
        centers = jax.random.uniform(jax.random.fold_in(key, 1 if remap else 0), (n_cells,), jnp.float32) * length
    centers = jnp.mod(centers + jnp.asarray(shift_m, jnp.float32), length)
    distance = ring_distance(jnp.asarray(positions, jnp.float32)[..., None], centers, length)
    activity = jnp.exp(-0.5 * (distance / jnp.asarray(width_m, jnp.float32)) ** 2)
    return PlaceCells(activity, centers)


# --------------------------------------------------------------------------- cue-outcome task


class Trials(NamedTuple):
    """Per-trial metadata, each (n_trials,): ``cue`` index, ``latency_ms`` and ``probability`` in
    force, ``rewarded`` (the outcome was delivered), ``start_step``, ``outcome_step`` (absolute step
    the outcome is due, delivered or not), ``identity`` (index, in the task's ``outcome_names``, of
    the outcome in force for the trial's cue, delivered or not).

    Example
    -------
    >>> trials = cue_outcome_task(jax.random.PRNGKey(4), 4, dt_ms=10.0, trial_ms=1000.0).trials
    >>> trials.cue.tolist(), trials.latency_ms.tolist()                    # cue 0: 300 ms, cue 1: 600 ms
    ([0, 1, 0, 1], [300.0, 600.0, 300.0, 600.0])
    >>> trials.outcome_step.tolist(), trials.rewarded.tolist()             # steps of 10 ms
    ([30, 160, 230, 360], [False, True, False, True])
    >>> trials.identity.tolist()                                           # one outcome, shared by both cues
    [0, 0, 0, 0]
    """

    cue: jax.Array
    latency_ms: jax.Array
    probability: jax.Array
    rewarded: jax.Array
    start_step: jax.Array
    outcome_step: jax.Array
    identity: jax.Array


class CueOutcomeTask(NamedTuple):
    """``cue_inputs`` (n_steps, n_cues) 0/1, ``outcome`` (n_steps,) 0/1, per-trial :class:`Trials`, ``outcome_names``.

    Returned by :func:`cue_outcome_task`; one step is its ``dt_ms``. ``outcome`` marks a
    delivered outcome whatever its identity; ``trials.identity`` says which of
    ``outcome_names`` it is.

    Example
    -------
    >>> task = cue_outcome_task(jax.random.PRNGKey(4), 4, dt_ms=10.0, trial_ms=1000.0)
    >>> task.cue_inputs.shape, task.outcome.shape, float(task.outcome.sum())     # two of four trials rewarded
    ((400, 2), (400,), 2.0)
    >>> task.outcome_names
    ('outcome',)
    """

    cue_inputs: jax.Array
    outcome: jax.Array
    trials: Trials
    outcome_names: tuple = ("outcome",)


def _per_cue(values, n_cues: int, where: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.shape != (n_cues,):
        raise BadInput(where, f"shape {array.shape}", f"one value per cue ({n_cues},)")
    check_finite(array, where)
    return array


SHARED_OUTCOME = "outcome"      # the name of the one outcome when a task names none


def outcome_names(outcomes=None, switched=None) -> tuple:
    """The distinct outcome identities of a task, in order of first appearance (before, then after a switch).

    ``outcomes`` and ``switched`` name each cue's outcome before and after the switch;
    ``None`` before the switch means one outcome, ``SHARED_OUTCOME``, for every cue.

    Example
    -------
    >>> outcome_names(["X", "Y"], ["Y", "X"]), outcome_names(["X", "X", "Y"]), outcome_names()
    (('X', 'Y'), ('X', 'Y'), ('outcome',))
    >>> outcome_names(["X", "Y"], ["Z", "X"])                   # a new outcome after the switch
    ('X', 'Y', 'Z')
    """
    names = [SHARED_OUTCOME] if outcomes is None else list(outcomes)
    return tuple(dict.fromkeys(names + list(switched or ())))


def _outcomes_per_cue(values, n_cues: int, where: str) -> list:
    if isinstance(values, str) or len(values) != n_cues or not all(isinstance(v, str) and v for v in values):
        raise BadInput(where, f"{values!r}", f"one outcome name (a non-empty string) per cue ({n_cues})")
    return list(values)


def cue_outcome_task(key: jax.Array, n_trials: int, dt_ms: float, cues=("A", "B"), latencies_ms=(300.0, 600.0),
                     probabilities=(0.25, 0.75), trial_ms: float = 1500.0, cue_ms: float = 100.0,
                     outcome_ms: float | None = None, switch_trial: int | None = None,
                     switch: dict | None = None, outcomes=None) -> CueOutcomeTask:
    """Back-to-back trials: a random cue, then (with the cue's probability) an outcome at the cue's latency.

    Trial ``k`` occupies steps ``[k S, (k + 1) S)``, ``S = round(trial_ms / dt_ms)``. Its
    cue -- uniform among ``cues`` -- is on (input 1 on that cue's channel) for the first
    ``round(cue_ms / dt_ms)`` steps; the outcome is due ``round(latency / dt_ms)`` steps
    after trial start and is delivered (1 for ``round(outcome_ms / dt_ms)`` steps, one
    step when ``outcome_ms`` is ``None``) with the cue's probability. Each cue's outcome has
    an identity (``outcomes``: a name per cue; by default one outcome shared by every
    cue). From trial ``switch_trial`` on, the values in ``switch`` replace the initial
    ones; each of the three properties (identity, latency, probability) switches alone
    when ``switch`` names only it. The random draws (each trial's cue, and whether its
    outcome is delivered: a uniform number below the probability) come from ``key``
    alone, so two tasks from one key differ only where their values do.

    Parameters
    ----------
    key : jax key
    n_trials : int
    dt_ms : float
        Step (ms).
    cues : sequence of str
        Cue names; channel ``i`` of ``cue_inputs`` is ``cues[i]``.
    latencies_ms, probabilities : sequence of float
        Outcome latency after cue onset (ms) and probability, one per cue.
    trial_ms, cue_ms : float
        Trial and cue durations (ms); every outcome must end within its trial.
    outcome_ms : float or None
        Outcome duration (ms); ``None`` for a one-step pulse.
    switch_trial : int or None
        First trial with the switched values.
    switch : dict
        New ``latencies_ms``, ``probabilities`` and/or ``outcomes`` (one per cue), e.g.
        ``dict(probabilities=(0.75, 0.25))`` for a reversal of probabilities, or
        ``dict(outcomes=("Y", "X"))`` for two cues that swap their outcomes.
    outcomes : sequence of str or None
        The name of each cue's outcome (cues may share one); ``None``: one outcome,
        ``SHARED_OUTCOME``, for every cue.

    Returns
    -------
    CueOutcomeTask
        ``cue_inputs`` (n_trials S, n_cues) and ``outcome`` (n_trials S,), float32, ``trials``,
        and ``outcome_names`` (:func:`outcome_names`; ``trials.identity`` indexes it).

    Example
    -------
    >>> import jax
    >>> task = cue_outcome_task(jax.random.PRNGKey(0), 4, 10.0, trial_ms=1000.0, switch_trial=2,
    ...                         switch=dict(latencies_ms=(600.0, 300.0)))
    >>> task.cue_inputs.shape, task.trials.start_step.tolist()
    ((400, 2), [0, 100, 200, 300])
    >>> [float(task.cue_inputs[:10].sum()), float(task.cue_inputs[10:100].sum())]
    [10.0, 0.0]

    The two cues swap their outcomes at trial 2; latencies and probabilities stay:

    >>> swap = cue_outcome_task(jax.random.PRNGKey(4), 4, 10.0, trial_ms=1000.0, outcomes=("X", "Y"), switch_trial=2,
    ...                         switch=dict(outcomes=("Y", "X")))
    >>> swap.outcome_names, swap.trials.cue.tolist(), swap.trials.identity.tolist()
    (('X', 'Y'), [0, 1, 0, 1], [0, 1, 1, 0])
    >>> swap.trials.latency_ms.tolist(), swap.trials.probability.tolist()
    ([300.0, 600.0, 300.0, 600.0], [0.25, 0.75, 0.25, 0.75])
    """
    n_trials = check_size(n_trials, "n_trials")
    dt = check_dt(dt_ms)
    cues = tuple(cues)
    n_cues = check_size(len(cues), "len(cues)")
    before = {"latencies_ms": _per_cue(latencies_ms, n_cues, "latencies_ms"),
              "probabilities": _per_cue(probabilities, n_cues, "probabilities"),
              "outcomes": [SHARED_OUTCOME] * n_cues if outcomes is None else _outcomes_per_cue(outcomes, n_cues, "outcomes")}
    after = dict(before)
    if switch_trial is not None:
        if isinstance(switch_trial, bool) or not isinstance(switch_trial, (int, np.integer)) or not 0 <= switch_trial < n_trials:
            raise BadInput("switch_trial", f"{switch_trial!r}", f"a trial index in [0, {n_trials})")
        if not switch:
            raise BadInput("switch", f"{switch!r}", "a dict with new 'latencies_ms', 'probabilities' and/or 'outcomes'")
        for name, values in switch.items():
            check_choice(name, "switch", tuple(before))
            if name == "outcomes":
                if outcomes is None:
                    raise BadInput("switch['outcomes']", f"{values!r}", "new outcomes only for a task that names its "
                                   "outcomes (outcomes=...)")
                after[name] = _outcomes_per_cue(values, n_cues, "switch['outcomes']")
            else:
                after[name] = _per_cue(values, n_cues, f"switch[{name!r}]")
    elif switch:
        raise BadInput("switch_trial", f"None with switch={switch!r}", "the trial index the switch happens at")
    check_positive(trial_ms, "trial_ms", "ms")
    check_positive(cue_ms, "cue_ms", "ms")
    trial_steps = int(round(float(trial_ms) / dt))
    cue_steps = int(round(float(cue_ms) / dt))
    outcome_steps = 1 if outcome_ms is None else int(round(float(check_positive(outcome_ms, "outcome_ms", "ms")) / dt))
    if cue_steps < 1 or outcome_steps < 1 or cue_steps > trial_steps:
        raise BadInput("cue_ms / outcome_ms",
                       f"{cue_steps} / {outcome_steps} steps in a trial of {trial_steps}",
                       "1 to trial length")
    steps_of = {}
    for label, phase in (("before", before), ("after", after)):
        check_nonnegative(phase["latencies_ms"], "latencies_ms", "ms")
        probs = phase["probabilities"]
        if np.any((probs < 0) | (probs > 1)):
            raise BadInput("probabilities", probs.tolist(), "values in [0, 1]")
        steps_of[label] = np.round(phase["latencies_ms"] / dt).astype(np.int32)
        if np.any(steps_of[label] + outcome_steps > trial_steps):
            raise BadInput("latencies_ms",
                           phase['latencies_ms'].tolist(),
                           f"outcomes that end within the trial ({float(trial_ms)} ms)")

    key_cue, key_reward = jax.random.split(key)
    cue = jax.random.randint(key_cue, (n_trials,), 0, n_cues)
    switched = jnp.arange(n_trials) >= (n_trials if switch_trial is None else switch_trial)

    def per_trial(first, second, dtype):
        """Trial-wise value of a per-cue quantity: ``first`` before the switch, ``second`` from it on.

        Parameters
        ----------
        first, second : array, shape (n_cues,)
            Per-cue values in force before the switch and from ``switch_trial`` on.
        dtype : dtype
            dtype of the result.

        Returns
        -------
        array, shape (n_trials,)
            The value of each trial's cue.
        """
        return jnp.where(switched, jnp.asarray(second, dtype)[cue], jnp.asarray(first, dtype)[cue])

    names = outcome_names(before["outcomes"], after["outcomes"])
    identity_of = {label: np.array([names.index(name) for name in phase["outcomes"]], np.int32)
                   for label, phase in (("before", before), ("after", after))}
    trial_latency_steps = per_trial(steps_of["before"], steps_of["after"], jnp.int32)
    probability = per_trial(before["probabilities"], after["probabilities"], jnp.float32)
    rewarded = jax.random.uniform(key_reward, (n_trials,)) < probability
    start_step = jnp.arange(n_trials, dtype=jnp.int32) * trial_steps

    step = jnp.arange(n_trials * trial_steps)
    trial, within = step // trial_steps, step % trial_steps
    cue_inputs = jax.nn.one_hot(cue[trial], n_cues, dtype=jnp.float32) * (within < cue_steps)[:, None]
    due = trial_latency_steps[trial]
    outcome = (rewarded[trial] & (within >= due) & (within < due + outcome_steps)).astype(jnp.float32)
    trials = Trials(
        cue=cue.astype(jnp.int32),
        latency_ms=per_trial(before["latencies_ms"], after["latencies_ms"], jnp.float32),
        probability=probability,
        rewarded=rewarded,
        start_step=start_step,
        outcome_step=start_step + trial_latency_steps,
        identity=per_trial(identity_of["before"], identity_of["after"], jnp.int32),
    )
    return CueOutcomeTask(cue_inputs, outcome, trials, names)
