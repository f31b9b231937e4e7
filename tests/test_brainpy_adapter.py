"""Tests for bioplastic.neurons.brainpy_adapter: brainpy.state neurons behind the bioplastic interface."""

from __future__ import annotations

import math

import brainpy
import brainstate
import braintools
import brainunit as u
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bioplastic._checks import BadInput
from bioplastic.neurons.base import NeuronModel
from bioplastic.neurons.brainpy_adapter import BrainPyNeuron

bs = brainpy.state
V_REST = braintools.init.Constant(-65.0 * u.mV)


# ----------------------------------------------------------------------------- helpers


def run_adapter(model, params, inputs, dt, steps, key=0):
    """Run ``model`` for ``steps`` steps in jax.lax.scan under jax.jit; return (state, V, spikes)."""
    state = model.init(params, np.shape(inputs) or 1, jax.random.PRNGKey(key))

    def body(state, _):
        state, spikes = model.step(params, state, inputs, dt)
        return state, (state.V, spikes)

    state, (v, spikes) = jax.jit(lambda s: jax.lax.scan(body, s, None, length=steps))(state)
    return state, np.asarray(v), np.asarray(spikes)


def run_brainpy(neuron, x, dt, steps):
    """The brainpy.state idiom: init_all_states, then for_loop with t = i * dt in the environment."""
    brainstate.nn.init_all_states(neuron)

    def one(i):
        with brainstate.environ.context(t=i * dt * u.ms):
            spikes = neuron.update(x)
        return neuron.V.value.to_decimal(u.mV), u.get_magnitude(spikes)

    with brainstate.environ.context(dt=dt * u.ms):
        v, spikes = brainstate.transform.for_loop(one, jnp.arange(steps))
    return np.asarray(v), np.asarray(spikes)


def spike_times(spikes, dt):
    return np.nonzero(np.asarray(spikes) > 0.5)[0] * dt


def global_rng_data():
    return np.asarray(jax.random.key_data(brainstate.random.DEFAULT.value))


class NoisyLIF(bs.Neuron):
    """A user-written brainpy.state neuron that draws from brainstate's global RNG each step."""

    def __init__(self, in_size, tau=10.0 * u.ms, sigma=2.0 * u.mV, V_th=10.0 * u.mV,
                 spk_fun=braintools.surrogate.ReluGrad(), spk_reset="hard", name=None):
        super().__init__(in_size, spk_fun=spk_fun, spk_reset=spk_reset, name=name)
        self.tau = braintools.init.param(tau, self.varshape)
        self.sigma = braintools.init.param(sigma, self.varshape)
        self.V_th = braintools.init.param(V_th, self.varshape)

    def init_state(self, batch_size=None, **kwargs):
        self.V = brainstate.HiddenState(braintools.init.param(braintools.init.Constant(0.0 * u.mV), self.varshape))

    def get_spike(self, V=None):
        V = self.V.value if V is None else V
        return self.spk_fun((V - self.V_th) / self.V_th)

    def update(self, x=0.0 * u.mA):
        dt = brainstate.environ.get_dt()
        noise = self.sigma * u.math.sqrt(2 * dt / self.tau) * brainstate.random.randn(*self.varshape)
        v = self.V.value + (-self.V.value + x * u.ohm) / self.tau * dt + noise
        spikes = self.get_spike(v)
        self.V.value = u.math.where(spikes > 0, 0.0 * u.mV, v)
        return spikes


# ------------------------------------------------------------------ (1) LIF vs brainpy


def test_lif_trace_matches_brainpy_run_directly():
    dt, steps = 0.1, 600
    currents = np.array([12.0, 16.0, 20.0, 40.0], dtype=np.float32)  # mA into R = 1 ohm: R*I in mV
    values = dict(tau=10.0 * u.ms, V_th=-50.0 * u.mV, V_reset=-65.0 * u.mV, V_rest=-65.0 * u.mV)

    v_direct, s_direct = run_brainpy(bs.LIF(4, V_initializer=V_REST, **values), currents * u.mA, dt, steps)
    model = BrainPyNeuron(bs.LIF, kwargs={"V_initializer": V_REST})
    _, v, spikes = run_adapter(model, model.params(**values), currents, dt, steps)

    np.testing.assert_allclose(v, v_direct, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(spikes, s_direct)
    assert spikes[:, 0].sum() == 0 and spikes[:, 1].sum() > 0  # 12 mV < 15 mV to threshold; 16 mV fires


@pytest.mark.parametrize("cls, tau_ref", [(bs.LIF, 0.0), (bs.LIFRef, 2.0)])
@pytest.mark.parametrize("ri", [1.5, 3.0])
def test_lif_interspike_interval_matches_closed_form(cls, tau_ref, ri):
    dt, tau, v_th, v_reset = 0.1, 10.0, 1.0, 0.0
    model = BrainPyNeuron(cls, kwargs={"spk_reset": "hard"})
    values = dict(tau=tau, V_th=v_th, V_reset=v_reset, V_rest=0.0)
    if tau_ref:
        values["tau_ref"] = tau_ref
    _, _, spikes = run_adapter(model, model.params(**values), np.float32(ri), dt, 1500)

    isi = np.diff(spike_times(spikes[:, 0], dt))
    expected = tau * math.log(ri / (ri - (v_th - v_reset))) + tau_ref
    assert len(isi) >= 5
    assert np.all(np.abs(isi - expected) <= dt + 1e-4), (isi, expected)


@pytest.mark.parametrize(
    "cls, currents, unit, dt",
    [
        (bs.LIFRef, [1.5, 2.0, 5.0], u.mA, 0.1),  # refractory: reads t from the environment
        (bs.AdExIFRef, [10.0, 20.0, 50.0], u.mA, 0.1),
        (bs.Izhikevich, [5.0, 10.0, 20.0], u.mV / u.ms, 0.1),
        (bs.HH, [0.0, 5.0, 10.0], u.uA, 0.02),
    ],
)
def test_other_models_match_brainpy_run_directly(cls, currents, unit, dt):
    steps = int(60 / dt)
    init = braintools.init.Constant((0.0 if cls is bs.LIFRef else -65.0) * u.mV)
    x = np.asarray(currents, dtype=np.float32)
    v_direct, s_direct = run_brainpy(cls(3, V_initializer=init), x * unit, dt, steps)
    model = BrainPyNeuron(cls, kwargs={"V_initializer": init})
    _, v, spikes = run_adapter(model, model.params(), x, dt, steps)

    np.testing.assert_array_equal(spikes, s_direct)
    # Same equations; XLA rounds differently in the two compiled loops (even the adapter
    # stepped eagerly differs from itself in a scan by as much), and the steep upstroke of
    # an Izhikevich or HH spike amplifies float32 rounding to ~1e-2 mV.
    np.testing.assert_allclose(v, v_direct, rtol=1e-3, atol=2e-2)


# ----------------------------------------------------------------------------- (2) HH


def test_hh_spikes_repetitively_for_strong_current_and_not_for_zero():
    model = BrainPyNeuron(bs.HH)
    assert model.input_unit == u.uA and model.state_variables == ("V", "h", "m", "n")
    dt = 0.025
    _, v, spikes = run_adapter(model, model.params(), np.array([0.0, 0.0, 10.0, 10.0], np.float32), dt, int(200 / dt))

    assert spikes.shape == (8000, 4) and set(np.unique(spikes)) <= {0.0, 1.0}
    assert spikes[:, :2].sum() == 0 and v[:, :2].max() < -50.0  # silent at rest
    for k in (2, 3):
        isi = np.diff(spike_times(spikes[:, k], dt))
        assert len(isi) >= 10  # ~70 Hz for 10 uA/cm^2
        assert np.ptp(isi[2:]) < 0.5  # tonic: regular after the first spikes
        rising = np.sum((v[1:, k] > 20.0) & (v[:-1, k] <= 20.0))
        assert spikes[:, k].sum() == rising  # one spike per action potential


# ---------------------------------------------------------------------------- (3) AdEx


def test_adexif_shows_spike_frequency_adaptation():
    model = BrainPyNeuron(bs.AdExIF)
    assert model.state_units == {"V": "mV", "w": "mA"}
    dt = 0.1
    _, _, spikes = run_adapter(model, model.params(), np.float32(20.0), dt, 2000)
    isi = np.diff(spike_times(spikes[:, 0], dt))
    assert len(isi) >= 8
    assert isi[-1] > 1.2 * isi[0]  # intervals lengthen ...
    assert np.all(np.diff(isi[:6]) >= -dt)  # ... monotonically (to within a step) at first


# ---------------------------------------------------- (4) keys, purity, jit, grad, vmap


def test_same_key_gives_identical_results_and_keys_matter():
    model = BrainPyNeuron(bs.HH)  # random initial V: Uniform(-70 mV, -60 mV)
    params = model.params()
    before = global_rng_data()
    a = run_adapter(model, params, np.full(5, 8.0, np.float32), 0.05, 400, key=1)
    b = run_adapter(model, params, np.full(5, 8.0, np.float32), 0.05, 400, key=1)
    c = run_adapter(model, params, np.full(5, 8.0, np.float32), 0.05, 400, key=2)
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
    assert not np.array_equal(a[1][0], c[1][0])
    assert np.all((a[1][0] > -71.0) & (a[1][0] < -59.0))
    np.testing.assert_array_equal(global_rng_data(), before)  # brainstate's global RNG untouched


def test_model_randomness_comes_from_the_key_only():
    model = BrainPyNeuron(NoisyLIF)
    params = model.params(sigma=3.0)
    before = global_rng_data()
    x = np.full(50, 9.0, np.float32)  # subthreshold: spikes only through noise
    s1, v1, spikes1 = run_adapter(model, params, x, 0.1, 300, key=7)
    _, v2, spikes2 = run_adapter(model, params, x, 0.1, 300, key=7)
    _, v3, _ = run_adapter(model, params, x, 0.1, 300, key=8)
    np.testing.assert_array_equal(v1, v2)
    np.testing.assert_array_equal(spikes1, spikes2)
    assert not np.array_equal(v1, v3)
    assert np.std(v1[-1]) > 0.5 and spikes1.sum() > 0  # independent noise per neuron, noise-driven spikes
    assert not np.array_equal(np.asarray(s1.rng), np.asarray(model.init(params, 50, jax.random.PRNGKey(7)).rng))
    np.testing.assert_array_equal(global_rng_data(), before)

    # The same run stepped in plain Python (no outer jit) gives the same numbers.
    state = model.init(params, 50, jax.random.PRNGKey(7))
    for _ in range(300):
        state, _ = model.step(params, state, x, 0.1)
    np.testing.assert_allclose(np.asarray(state.V), v1[-1], rtol=1e-6, atol=1e-5)


def test_params_reach_grad_and_vmap():
    model = BrainPyNeuron(bs.LIF)
    # Threshold out of reach and far enough that brainpy's surrogate spike gradient
    # (ReluGrad, nonzero within one (V_th - V_reset) of threshold) is zero: smooth dynamics.
    params = model.params(tau=10.0, V_th=100.0, V_reset=50.0)

    def final_v(tau):
        p = params._replace(tau=tau)
        state = model.init(p, 3, jax.random.PRNGKey(0))
        state, _ = jax.lax.scan(lambda s, _: (model.step(p, s, jnp.full(3, 2.0), 0.1)[0], None), state, None, length=50)
        return state.V.sum()

    grad = jax.grad(final_v)(jnp.float32(10.0))  # V(t) = 2 (1 - exp(-t / tau)): dV/dtau < 0
    expected = -3 * 2.0 * 5.0 / 10.0**2 * math.exp(-0.5)
    assert np.isfinite(grad) and grad == pytest.approx(expected, rel=1e-3)

    counts = jax.vmap(
        lambda tau: run_adapter_counts(model, params._replace(tau=tau, V_th=jnp.float32(1.0), V_reset=jnp.float32(0.0)))
    )(jnp.array([5.0, 10.0, 20.0]))
    assert counts[0] > counts[1] > counts[2] > 0


def run_adapter_counts(model, params):
    state = model.init(params, 1, jax.random.PRNGKey(0))
    state, spikes = jax.lax.scan(lambda s, _: model.step(params, s, 2.0, 0.1), state, None, length=500)
    return spikes.sum()


def test_interface_and_state_layout():
    model = BrainPyNeuron("LIFRef", kwargs={"spk_reset": "hard"})
    assert isinstance(model, NeuronModel) and model.neuron_class is bs.LIFRef
    assert hash(model) == hash(BrainPyNeuron(bs.LIFRef, kwargs=(("spk_reset", "hard"),)))
    assert model.param_units == {"R": "ohm", "tau": "ms", "tau_ref": "ms", "V_th": "mV", "V_reset": "mV", "V_rest": "mV"}
    assert model.state_variables == ("V", "last_spike_time")
    params = model.params(tau=20.0 * u.ms, V_th=np.full((2, 3), 1.0), tau_ref=0.003 * u.second)
    assert type(params).__name__ == "LIFRefParams" and float(params.tau_ref) == pytest.approx(3.0)
    state = model.init(params, (2, 3), jax.random.key(0))
    assert type(state).__name__ == "LIFRefState" and state._fields == ("V", "last_spike_time", "i", "rng")
    assert state.V.shape == (2, 3) and state.V.dtype == jnp.float32 and state.i.dtype == jnp.int32
    new_state, spikes = model.step(params, state, 0.5, 0.1)
    assert spikes.shape == (2, 3) and spikes.dtype == jnp.float32
    assert jax.tree.structure(new_state) == jax.tree.structure(state)
    assert int(new_state.i[0, 0]) == 1


def test_static_params_model_nest_style():
    # iaf_psc_alpha builds NumPy propagators from its parameters, so it needs static_params.
    model = BrainPyNeuron("iaf_psc_alpha", static_params=True, kwargs={"tau_m": 10.0, "I_e": 0.0 * u.pA})
    assert model.input_unit == u.pA and model.params() == ()
    state = model.init((), 2, jax.random.PRNGKey(0), dt=0.1)

    def body(state, _):
        return model.step((), state, jnp.array([300.0, 500.0]), 0.1)

    _, spikes = jax.jit(lambda s: jax.lax.scan(body, s, None, length=2000))(state)
    counts = np.asarray(spikes.sum(0))
    # 300 pA * tau_m / C_m = 12 mV < 15 mV to threshold: silent; 500 pA fires ~ every 16 ms.
    assert counts[0] == 0 and 8 <= counts[1] <= 15


# ------------------------------------------------------------------ (5) bad input


@pytest.fixture(scope="module")
def lif():
    model = BrainPyNeuron(bs.LIF)
    params = model.params()
    return model, params, model.init(params, 3, jax.random.PRNGKey(0))


@pytest.mark.parametrize(
    "make, message",
    [
        (
            lambda: BrainPyNeuron("LIFF"),
            "neuron_class: got 'LIFF'; allowed: the name of a brainpy.state neuron class such as "
            "'LIF', 'LIFRef', 'AdExIF', 'HH', 'Izhikevich' (did you mean 'LIF'?)",
        ),
        (
            lambda: BrainPyNeuron(bs.Expon),
            "neuron_class: got brainpy.state.Expon; allowed: a concrete subclass of brainpy.state.Neuron "
            "(such as brainpy.state.LIF) or its name",
        ),
        (
            lambda: BrainPyNeuron(bs.Neuron),
            "neuron_class: got brainpy.state.Neuron; allowed: a concrete subclass of brainpy.state.Neuron "
            "(such as brainpy.state.LIF) or its name",
        ),
        (
            lambda: BrainPyNeuron("iaf_psc_alpha"),
            "neuron_class: got brainpy.state.iaf_psc_alpha, which turns its parameters into Python numbers "
            "while being built; allowed: models that accept traced parameters here. Use "
            "BrainPyNeuron('iaf_psc_alpha', static_params=True) and give numeric parameters in kwargs",
        ),
        (
            lambda: BrainPyNeuron(bs.LIF, kwargs={"tau": 10.0 * u.ms}),
            "kwargs: got 'tau', a numeric parameter; allowed: 'V_initializer', 'spk_fun', 'spk_reset'; "
            "give numeric parameters to params(), e.g. params(tau=...)",
        ),
        (
            lambda: BrainPyNeuron(bs.LIF, kwargs={"spk_rest": "hard"}),
            "kwargs: got 'spk_rest'; allowed: 'V_initializer', 'spk_fun', 'spk_reset' (did you mean 'spk_reset'?)",
        ),
        (
            lambda: BrainPyNeuron(bs.LIF, input_unit=u.mV),
            "input_unit: got mV; allowed: a unit with the dimension of mA (what LIF.update expects)",
        ),
        (
            lambda: BrainPyNeuron(bs.LIF, spike_method="get_spikes"),
            "spike_method: got 'get_spikes'; allowed: 'update' or the name of a method of LIF that returns "
            "spikes, such as 'get_spike'",
        ),
    ],
)
def test_bad_model_arguments(make, message):
    with pytest.raises(BadInput) as info:
        make()
    assert str(info.value) == message


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda m, p, s: m.params(taux=1.0), "params: got 'taux'; allowed: 'R', 'tau', 'V_th', 'V_reset', 'V_rest' (did you mean 'tau'?)"),
        (lambda m, p, s: m.params(tau=5.0 * u.mV), "params.tau: got 5.0 mV; allowed: a number in ms or a brainunit quantity of that dimension"),
        (lambda m, p, s: m.init(p, 0, jax.random.PRNGKey(0)), "shape: got 0; allowed: a whole number >= 1 or a tuple of them"),
        (lambda m, p, s: m.init(p, (3, 0), jax.random.PRNGKey(0)), "shape: got (3, 0); allowed: a whole number >= 1 or a tuple of them"),
        (lambda m, p, s: m.init(m.params(tau=np.ones(4)), 3, jax.random.PRNGKey(0)), "params.tau: got shape (4,); allowed: a shape that broadcasts to (3,)"),
        (lambda m, p, s: m.step(p, s, 1.0, 0.0), "dt: got 0.0; allowed: a finite number > 0 (milliseconds)"),
        (lambda m, p, s: m.step(p, s, 1.0, -0.1), "dt: got -0.1; allowed: a finite number > 0 (milliseconds)"),
        (lambda m, p, s: m.step(p, s, np.ones(4), 0.1), "input: got shape (4,); allowed: a shape that broadcasts to (3,)"),
        (lambda m, p, s: m.step(p, tuple(s), 1.0, 0.1), "state: got tuple; allowed: the LIFState that init() returns"),
    ],
)
def test_bad_call_arguments(lif, call, message):
    model, params, state = lif
    with pytest.raises(BadInput) as info:
        call(model, params, state)
    assert str(info.value) == message


def test_nest_style_model_without_dt_at_init():
    model = BrainPyNeuron("iaf_psc_alpha", static_params=True)
    with pytest.raises(BadInput) as info:
        model.init((), 2, jax.random.PRNGKey(0))
    assert str(info.value) == (
        "dt: got None; allowed: a finite number > 0 (milliseconds); "
        "iaf_psc_alpha reads dt when it is initialised, so pass init(..., dt=...)"
    )
