"""A spiking MLP of discrete-time LIF neurons, trained by BPTT or by DSR, that reports its traces.

The network of the HLOP experiments (Xiao et al., ICLR 2024; neuron and constants from
their code): the input is a constant current (the pixels, repeated for ``T`` steps);
each hidden neuron integrates its input current ``I_t`` as::

    u_t = beta u_{t-1} + (1 - beta) I_t,        beta = exp(-dt / tau)
    spike when u_t >= alpha v_th,  then u_t -= v_th,  emitting v_th / dt

(``T`` = 20 steps, ``tau`` = 1, ``dt`` = 0.05, ``alpha`` = 0.3, ``v_th`` = 0.3); there are no
biases. The readout is linear and non-spiking: the logits are the last hidden layer's
*weighted firing rate* ``r = sum_t w_t o_t / sum_t w_t`` (``w_t = exp(-(T - t) dt / tau)``)
times the output weights. The layers are simulated one after the other over all ``T``
steps (exact for a feedforward network), so each layer is one ``(T * batch) x n`` matrix
product.

Two trainers give the gradient of the cross-entropy of the logits:

- ``"bptt"``: backpropagation through time with a surrogate spike derivative
  (:mod:`bioplastic.neurons.surrogate`; the reset passes no gradient);
- ``"dsr"``: differentiation on spike representation (Meng et al. 2022), the HLOP code's
  default: each layer is differentiated as the rate map ``r = clip(a / tau, 0, v_th / dt)``
  of its weighted mean input current ``a``: the gradient of ``I_t`` is
  ``(1 / T) (g / tau) [0 < a < v_th tau / dt]`` at every step, with ``g = T sum_t w_t g_t / sum_t w_t``;
- ``"dsr_fa"``: DSR with feedback alignment (Lillicrap et al. 2016; the HLOP code's
  ``-feedback_alignment``): the same layer derivative, but the error reaches the layer
  below through a fixed random matrix ``B_l`` (``feedback``, shaped like ``W_l``) instead of
  ``W_l``; each weight gradient is still the layer's own presynaptic activity times its error.

Both also return each layer's *presynaptic trace*: the input itself for the first layer,
the weighted firing rate of the layer below for the others (``batch x n_in`` each), which
is what HLOP's lateral neurons learn from.

Example
-------
>>> import jax, jax.numpy as jnp
>>> weights = init_spiking_mlp(jax.random.PRNGKey(0), (6, 8, 3))
>>> x, labels = jnp.ones((4, 6)), jnp.array([0, 1, 2, 0])
>>> loss, gradient, traces = spiking_gradients(weights, x, labels, trainer="dsr")
>>> [g.shape for g in gradient], [t.shape for t in traces]
([(6, 8), (8, 3)], [(4, 6), (4, 8)])
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np

from bioplastic._checks import BadInput, check_choice, check_positive, check_size
from bioplastic.neurons.surrogate import Surrogate, spike
from bioplastic.rules.hebbian_subspace import off_span

TRAINERS = {          # name -> description; the one place a trainer is named
    "bptt": "backpropagation through time, surrogate spike derivative",
    "dsr": "differentiation on spike representation (the HLOP code's)",
    "dsr_fa": "DSR with feedback alignment: errors sent down by fixed random matrices, not the weights",
}
RATE_TRAINERS = ("dsr", "dsr_fa")     # differentiated by DSR: they can project frozen rows in their backward pass


@dataclasses.dataclass(frozen=True)
class SpikingMLPConfig:
    """Neuron and simulation constants (dimensionless time: ``tau`` and ``dt`` in the same unit).

    ``surrogate`` is used by the ``"bptt"`` trainer only; its width is in units of the
    membrane potential.

    Fields: ``time_steps`` ``T``; ``tau`` membrane time constant and ``dt`` step (same time
    unit); ``alpha`` (spikes when ``u >= alpha v_th``); ``v_th`` threshold (units of the input current).

    Example
    -------
    >>> config = SpikingMLPConfig(time_steps=4)
    >>> round(config.beta, 4), np.round(config.rate_weights.astype(float), 3).tolist()   # later steps weigh more
    (0.9512, [0.232, 0.243, 0.256, 0.269])
    """

    time_steps: int = 20
    tau: float = 1.0
    dt: float = 0.05
    alpha: float = 0.3
    v_th: float = 0.3
    surrogate: Surrogate = Surrogate("fast_sigmoid", width=0.1)

    def __post_init__(self):
        check_size(self.time_steps, "time_steps")
        for name in ("tau", "dt", "alpha", "v_th"):
            check_positive(getattr(self, name), name)

    @property
    def beta(self) -> float:
        """Membrane decay per step, ``exp(-dt / tau)`` (dimensionless).

        Example
        -------
        >>> round(SpikingMLPConfig().beta, 4), round(SpikingMLPConfig(tau=1.0, dt=1.0).beta, 4)   # exp(-0.05), exp(-1)
        (0.9512, 0.3679)
        """
        return float(np.exp(-self.dt / self.tau))

    @property
    def rate_weights(self) -> np.ndarray:
        """``w_t / sum_t w_t`` for ``t = 1 .. T`` (later steps count more).

        Example
        -------
        The weights sum to 1 and the last step outweighs the first by ``exp((T - 1) dt / tau)``:

        >>> w = SpikingMLPConfig().rate_weights
        >>> w.shape, round(float(w.sum()), 6), round(float(w[-1] / w[0]), 4), round(float(np.exp(19 * 0.05)), 4)
        ((20,), 1.0, 2.5857, 2.5857)
        """
        t = np.arange(1, self.time_steps + 1)
        w = np.exp(-(self.time_steps - t) * self.dt / self.tau)
        return (w / w.sum()).astype(np.float32)


def init_spiking_mlp(key: jax.Array, sizes) -> tuple:
    """Weights ``(n_in, n_out)`` per layer, uniform in ``+-1 / sqrt(n_in)`` (PyTorch's default), no biases.

    Parameters
    ----------
    key : jax key
    sizes : sequence of int
        Layer widths, input first and classes last (at least two).

    Returns
    -------
    tuple of arrays
        One float32 matrix ``(sizes[i], sizes[i + 1])`` per layer.

    Example
    -------
    >>> weights = init_spiking_mlp(jax.random.PRNGKey(0), (4, 3, 2))
    >>> [w.shape for w in weights], bool(jnp.abs(weights[0]).max() <= 0.5)     # 1 / sqrt(4)
    ([(4, 3), (3, 2)], True)
    """
    sizes = tuple(sizes)
    if len(sizes) < 2 or any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1 for n in sizes):
        raise BadInput("sizes", f"{sizes!r}", "two or more layer sizes, whole numbers >= 1")
    keys = jax.random.split(key, len(sizes) - 1)
    return tuple(jax.random.uniform(k, (n_in, n_out), jnp.float32, -1, 1) / np.sqrt(n_in)
                 for k, n_in, n_out in zip(keys, sizes[:-1], sizes[1:]))


def _integrate(currents, config: SpikingMLPConfig, bptt: bool, v_th):
    """Spikes (T, batch, n), each ``v_th / dt`` or 0, of LIF neurons driven by ``currents`` (T, batch, n)."""
    beta = config.beta

    def step(u, current):
        u = beta * u + (1.0 - beta) * current
        if bptt:
            fired = spike(u - config.alpha * v_th, config.surrogate)
            u = u - jax.lax.stop_gradient(fired) * v_th
        else:
            fired = (u >= config.alpha * v_th).astype(u.dtype)
            u = u - fired * v_th
        return u, fired * (v_th / config.dt)

    return jax.lax.scan(step, jnp.zeros_like(currents[0]), currents)[1]


def _currents(inputs, w, config: SpikingMLPConfig):
    """Input currents (T, batch, n_out): ``inputs @ w`` at every step, or once for a held ``inputs`` (batch, n_in)."""
    if inputs.ndim == 2:
        return jnp.broadcast_to(inputs @ w, (config.time_steps, len(inputs), w.shape[1]))
    return inputs @ w


@functools.partial(jax.custom_vjp, nondiff_argnums=(5, 6))
def _dsr_layer(inputs, w, frozen, feedback, v_th, config: SpikingMLPConfig, held: bool):
    """Spikes (T, batch, n_out) of a layer driven by ``inputs @ w``, differentiated by DSR.

    ``inputs``: the spikes of the layer below (T, batch, n_in), or the input (batch, n_in)
    held for ``T`` steps. ``frozen`` (k x n_in, or None): rows whose span the weight
    gradient is projected off (HLOP's frozen subspace); it gets no gradient itself.
    ``feedback`` (shaped like ``w``, or None: ``w`` itself): the matrix that sends the
    error to ``inputs``; it gets no gradient. ``v_th``: the layer's threshold (a scalar), whose gradient
    is the HLOP code's (``train_Vth``): ``dt`` times the sum of the rate gradient over the saturated
    neurons (``a > v_th tau / dt``). ``held``: ``inputs`` is the held input (``inputs.ndim == 2``).
    """
    return _integrate(_currents(inputs, w, config), config, False, v_th)


def _dsr_forward(inputs, w, frozen, feedback, v_th, config, held):
    currents = _currents(inputs, w, config)
    mean_current = jnp.sum(jnp.asarray(config.rate_weights)[:, None, None] * currents, axis=0)
    summed = inputs if held else jnp.sum(inputs, axis=0)     # a held input's sum over steps is T x inputs
    return _integrate(currents, config, False, v_th), (summed, w, frozen, feedback, v_th, mean_current)


def _dsr_backward(config, held, residuals, g):
    """DSR's gradient of every step's current is the same (batch, n_out) array, so the
    products with ``w`` and with the input are taken once, on the input summed over steps,
    instead of once per step: the same sums, ``T`` times fewer multiplications."""
    summed, w, frozen, feedback, v_th, mean_current = residuals
    down = w if feedback is None else feedback           # the matrix the error goes down through
    rate_gradient = config.time_steps * jnp.sum(jnp.asarray(config.rate_weights)[:, None, None] * g, axis=0)
    saturation = v_th * config.tau / config.dt
    gate = (mean_current > 0) & (mean_current < saturation)
    # the HLOP code's threshold gradient: dt (not 1 / dt, the rate map's derivative) times the saturated part
    d_v_th = config.dt * jnp.sum(jnp.where(mean_current > saturation, rate_gradient, 0.0))
    per_step = jnp.where(gate, rate_gradient / config.tau, 0.0) / config.time_steps
    if held:
        per_step_sum = config.time_steps * per_step
        d_inputs = per_step_sum @ down.T
        presynaptic, postsynaptic = summed, per_step_sum
    else:
        d_inputs = jnp.broadcast_to(per_step @ down.T, (config.time_steps,) + summed.shape)
        presynaptic, postsynaptic = summed, per_step
    if frozen is not None:
        presynaptic = off_span(presynaptic, frozen)
    return d_inputs, presynaptic.T @ postsynaptic, _no_gradient(frozen), _no_gradient(feedback), d_v_th.astype(
        jnp.result_type(v_th))


def _no_gradient(constant):
    """The cotangent of an argument that takes no gradient: zeros, or None for None."""
    return None if constant is None else jnp.zeros_like(constant)


_dsr_layer.defvjp(_dsr_forward, _dsr_backward)


@jax.custom_vjp
def _readout(rates, w, frozen, feedback):
    """``rates @ w``, whose weight gradient is projected off the span of the rows ``frozen`` (k x n_in, or None),
    and whose error reaches ``rates`` through ``feedback`` (shaped like ``w``; None: ``w``)."""
    return rates @ w


def _readout_forward(rates, w, frozen, feedback):
    return rates @ w, (rates, w, frozen, feedback)


def _readout_backward(residuals, g):
    rates, w, frozen, feedback = residuals
    presynaptic = rates if frozen is None else off_span(rates, frozen)
    down = w if feedback is None else feedback
    return g @ down.T, presynaptic.T @ g, _no_gradient(frozen), _no_gradient(feedback)


_readout.defvjp(_readout_forward, _readout_backward)


def spiking_forward(weights, x, trainer: str = "bptt", config: SpikingMLPConfig = SpikingMLPConfig(), frozen=None,
                    feedback=None, thresholds=None):
    """Logits (batch x classes) and the presynaptic trace of every layer.

    Parameters
    ----------
    weights : tuple of arrays
        From :func:`init_spiking_mlp`.
    x : array (batch, n_in)
        Input currents, held for ``config.time_steps`` steps.
    trainer : {"bptt", "dsr", "dsr_fa"}
        Which gradient flows through the spikes (the forward pass is the same).
    config : SpikingMLPConfig
    frozen : tuple of arrays, optional
        With ``"dsr"`` or ``"dsr_fa"``: each layer's frozen rows (k_l x n_in_l, as HLOP keeps them:
        :func:`bioplastic.rules.hlop.frozen_bases`), or None for a layer without. Every weight gradient is then projected
        off their span in the backward pass, on the presynaptic activity (batch x n_in)
        rather than on the gradient (n_in x n_out): :func:`~bioplastic.rules.hebbian_subspace.project_gradient`'s
        result with fewer multiplications. The forward pass is unchanged.
    feedback : tuple of arrays
        With ``"dsr_fa"`` (and only then): one fixed matrix per layer, shaped like its weights
        (e.g. a second :func:`init_spiking_mlp`), through which the error goes down.
    thresholds : tuple of scalars, optional
        Each hidden layer's ``v_th`` (units of the input current), in place of ``config.v_th``;
        differentiable (with DSR, by the HLOP code's rule: see :func:`spiking_gradients`).

    Returns
    -------
    logits : array (batch, n_classes)
    traces : tuple of arrays
        ``x``, then the weighted firing rate (up to ``v_th / dt``) of each hidden layer.

    Example
    -------
    One hidden neuron with unit weights and input: its weighted firing rate is the logit.

    >>> ones = jnp.ones((1, 1))
    >>> logits, traces = spiking_forward((ones, ones), ones, trainer="dsr")
    >>> round(float(logits[0, 0]), 4), [t.shape for t in traces]
    (1.2481, [(1, 1), (1, 1)])
    """
    check_choice(trainer, "trainer", TRAINERS)
    if frozen is not None:
        frozen = _checked_frozen(frozen, weights, trainer)
    feedback = _checked_feedback(feedback, weights, trainer)
    if thresholds is not None and len(thresholds) != len(weights) - 1:
        raise BadInput("thresholds", f"{len(thresholds)} values", f"one per hidden layer ({len(weights) - 1})")
    v_th_of = (lambda layer: config.v_th) if thresholds is None else (lambda layer: thresholds[layer])
    frozen_of = (lambda layer: None) if frozen is None else (lambda layer: frozen[layer])
    feedback_of = (lambda layer: None) if feedback is None else (lambda layer: feedback[layer])
    rate_weights = jnp.asarray(config.rate_weights)[:, None, None]
    traces = [x]
    inputs = x   # the input: a constant current, so its product is taken once
    for layer, w in enumerate(weights[:-1]):
        if trainer in RATE_TRAINERS:
            inputs = _dsr_layer(inputs, w, frozen_of(layer), feedback_of(layer), jnp.asarray(v_th_of(layer), jnp.float32),
                                config, inputs.ndim == 2)
        else:
            inputs = _integrate(_currents(inputs, w, config), config, True, v_th_of(layer))
        traces.append(jnp.sum(rate_weights * inputs, axis=0))
    last = len(weights) - 1
    if frozen_of(last) is None and feedback_of(last) is None:
        logits = traces[-1] @ weights[-1]
    else:
        logits = _readout(traces[-1], weights[-1], frozen_of(last), feedback_of(last))
    return logits, tuple(jax.lax.stop_gradient(t) for t in traces)


def _checked_frozen(frozen, weights, trainer: str) -> tuple:
    """``frozen`` as a tuple of one (k, n_in) array per layer, checked against ``weights`` and the trainer."""
    if trainer not in RATE_TRAINERS:
        raise BadInput("frozen", f"frozen rows with trainer {trainer!r}",
                       "trainer 'dsr' or 'dsr_fa' (with 'bptt' project the gradient: bioplastic.rules.hlop.hlop_update)")
    frozen = tuple(frozen)
    shapes = [None if h is None else tuple(np.shape(h)) for h in frozen]
    if len(frozen) != len(weights) or any(s is not None and (len(s) != 2 or s[1] != w.shape[0])
                                          for s, w in zip(shapes, weights)):
        raise BadInput("frozen", f"arrays of shapes {shapes}",
                       f"one (rows, n_in) array (or None: no projection) per layer, n_in = {[w.shape[0] for w in weights]}")
    return frozen


def _checked_feedback(feedback, weights, trainer: str):
    """``feedback`` as a tuple shaped like ``weights`` for ``"dsr_fa"``; None for the other trainers."""
    if trainer != "dsr_fa":
        if feedback is not None:
            raise BadInput("feedback", f"feedback matrices with trainer {trainer!r}", "feedback only with trainer 'dsr_fa'")
        return None
    shapes = None if feedback is None else [tuple(np.shape(b)) for b in feedback]
    if shapes != [tuple(w.shape) for w in weights]:
        raise BadInput("feedback", "none" if shapes is None else f"arrays of shapes {shapes}",
                       f"with trainer 'dsr_fa', one fixed matrix per layer shaped like its weights: {[w.shape for w in weights]}")
    return tuple(feedback)


def spiking_gradients(weights, x, labels, trainer: str = "bptt", config: SpikingMLPConfig = SpikingMLPConfig(),
                      frozen=None, feedback=None, thresholds=None):
    """``(loss, gradient per layer, presynaptic trace per layer)`` for integer ``labels``.

    The loss is the mean cross-entropy (nats) of the logits of :func:`spiking_forward`;
    ``gradient`` has the shapes of ``weights``.

    Parameters
    ----------
    weights : tuple of arrays
        From :func:`init_spiking_mlp`.
    x : array (batch, n_in)
        Input currents (units of ``config.v_th``), held for ``config.time_steps`` steps.
    labels : int array (batch,)
        Class indices in ``[0, n_classes)``.
    trainer : {"bptt", "dsr", "dsr_fa"}
        Which gradient flows through the spikes (see the module docstring).
    config : SpikingMLPConfig
    frozen : tuple of arrays, optional
        With ``"dsr"`` or ``"dsr_fa"``: each layer's frozen rows; the gradient comes back projected off
        them (see :func:`spiking_forward`).
    feedback : tuple of arrays
        With ``"dsr_fa"``: the fixed feedback matrices (see :func:`spiking_forward`).
    thresholds : tuple of scalars, optional
        Each hidden layer's ``v_th``; then their gradient is returned too. With DSR it is the
        HLOP code's (``train_Vth``): ``dt sum g [a > v_th tau / dt]``, ``g`` the rate gradient
        (see the module docstring) summed over the batch's saturated neurons. That is the
        derivative of the rate map's ceiling ``v_th / dt`` times ``dt^2``, the code's scale.

    Returns
    -------
    loss : scalar array
        Mean cross-entropy (nats).
    gradient : tuple of arrays
        d loss / d weights, one per layer, shaped like ``weights``.
    traces : tuple of arrays
        Presynaptic trace per layer, as returned by :func:`spiking_forward`.
    threshold_gradient : tuple of scalars
        Only when ``thresholds`` is given: d loss / d thresholds.

    Example
    -------
    >>> weights = init_spiking_mlp(jax.random.PRNGKey(0), (6, 8, 3))
    >>> loss, gradient, traces = spiking_gradients(weights, jnp.ones((4, 6)), jnp.array([0, 1, 2, 0]), trainer="dsr")
    >>> round(float(loss), 3), [g.shape for g in gradient]
    (1.137, [(6, 8), (8, 3)])
    """

    def loss(weights, thresholds):
        logits, traces = spiking_forward(weights, x, trainer, config, frozen, feedback, thresholds)
        log_p = jax.nn.log_softmax(logits)
        return -jnp.mean(jnp.take_along_axis(log_p, labels[:, None], axis=-1)), traces

    if thresholds is None:
        (value, traces), gradient = jax.value_and_grad(loss, has_aux=True)(weights, None)
        return value, gradient, traces
    thresholds = tuple(jnp.asarray(t, jnp.float32) for t in thresholds)
    (value, traces), (gradient, threshold_gradient) = jax.value_and_grad(loss, argnums=(0, 1), has_aux=True)(
        weights, thresholds)
    return value, gradient, traces, threshold_gradient
