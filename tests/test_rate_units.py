"""Rate, dyadic and two-compartment units against their closed forms and statistics."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bioplastic._checks import BadInput
from bioplastic.neurons.activations import ACTIVATIONS, activation
from bioplastic.neurons.dyadic import DyadicInput, DyadicUnit, dyad_activity, dyad_error
from bioplastic.neurons.rate import RateUnit
from bioplastic.neurons.two_compartment import TwoCompartmentInput, TwoCompartmentUnit
from bioplastic.simulation import Constant, Probe, simulate


def test_activations_closed_forms():
    x = jnp.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    expected = {
        "linear": x,
        "relu": np.maximum(x, 0),
        "sigmoid": 1 / (1 + np.exp(-x)),
        "tanh": np.tanh(x),
        "elu": np.where(x > 0, x, np.exp(x) - 1),
        "rectified_tanh": np.maximum(np.tanh(x), 0),
        "hard_sigmoid": np.clip(x, 0, 1),
    }
    assert set(expected) == set(ACTIVATIONS)
    for name, values in expected.items():
        np.testing.assert_allclose(activation(name)(x), values, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_leaky_rate_unit_relaxes_exponentially(name):
    unit = RateUnit(activation=name)
    params = unit.params(tau_ms=8.0)
    current = jnp.array([-1.0, 0.3, 1.5])
    _, rec = simulate(unit.step, unit.init(params, 3, None), 100, params=params, dt=0.5,
                      drive=Constant(current), probes={"u": Probe("u"), "r": Probe("output")})
    t = 0.5 * np.arange(1, 101)[:, None]
    u = np.asarray(current) * (1 - np.exp(-t / 8.0))
    np.testing.assert_allclose(rec["u"], u, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rec["r"], activation(name)(jnp.asarray(u)), rtol=1e-5, atol=1e-6)


def test_instantaneous_rate_unit_is_the_activation_of_its_input():
    unit = RateUnit(activation="sigmoid", leaky=False)
    state, rate = unit.step(unit.params(), unit.init(unit.params(), 2, None), jnp.array([0.0, 1.0]), 1.0)
    np.testing.assert_allclose(rate, [0.5, 1 / (1 + np.exp(-1.0))], rtol=1e-6)


def test_dyad_without_feedback_is_an_ordinary_unit_and_splits_feedback():
    unit = DyadicUnit(activation="tanh")
    params = unit.params(alpha=0.5)
    a, fb = jnp.array([0.2, -0.4, 1.0]), jnp.array([0.0, 0.3, -0.2])
    state, activity = unit.step(params, unit.init(params, 3, None), DyadicInput(a, fb), 1.0)
    np.testing.assert_allclose(state.s_plus, np.tanh(a + 0.5 * fb), rtol=1e-6)
    np.testing.assert_allclose(state.s_minus, np.tanh(a - 0.5 * fb), rtol=1e-6)
    np.testing.assert_allclose(dyad_activity(state), activity)
    assert float(dyad_error(state)[0]) == 0.0
    # For small feedback the error is f'(a) * feedback (the dyad computes a local derivative).
    small = 1e-3 * fb
    state, _ = unit.step(params, state, DyadicInput(a, small), 1.0)
    np.testing.assert_allclose(dyad_error(state), (1 - np.tanh(a) ** 2) * small, rtol=1e-2, atol=1e-7)


def test_asymmetric_dyad_and_leaky_relaxation():
    unit = DyadicUnit(activation="linear", leaky=True)
    params = unit.params(alpha=1.0, tau_ms=2.0)
    drive = DyadicInput(jnp.array([1.0]), jnp.array([0.5]))
    _, rec = simulate(unit.step, unit.init(params, 1, None), 40, params=params, dt=0.1, drive=Constant(drive),
                      probes={"plus": Probe("s_plus"), "minus": Probe("s_minus")})
    t = 0.1 * np.arange(1, 41)
    np.testing.assert_allclose(rec["plus"][:, 0], 1.5 * (1 - np.exp(-t / 2.0)), rtol=1e-5)
    np.testing.assert_allclose(rec["minus"][:, 0], 1.0 * (1 - np.exp(-t / 2.0)), rtol=1e-5)


def test_two_compartment_gate_selects_the_driving_compartment():
    unit = TwoCompartmentUnit(basal_activation="relu", apical_activation="tanh", soma_activation="linear")
    params = unit.params(basal_noise_sigma=0.0, apical_noise_sigma=0.0)
    state = unit.init(params, 2, jax.random.PRNGKey(0))
    basal, apical = jnp.array([-1.0, 2.0]), jnp.array([0.5, -0.5])
    for gate, expected in [(0.0, np.maximum(basal, 0)), (1.0, np.tanh(apical)),
                           (0.25, 0.75 * np.maximum(basal, 0) + 0.25 * np.tanh(apical))]:
        _, rate = unit.step(params, state, TwoCompartmentInput(basal, apical, jnp.float32(gate)), 25.0)
        np.testing.assert_allclose(rate, expected, rtol=1e-6)


@pytest.mark.parametrize("compartment, sigma", [("basal", 0.01), ("apical", 0.05)])
def test_two_compartment_noise_is_stationary_ou_with_each_compartments_sigma(compartment, sigma):
    unit = TwoCompartmentUnit()
    tau, dt = 300.0, 25.0
    params = unit.params(basal_noise_sigma=0.01, apical_noise_sigma=0.05, noise_tau_ms=tau)
    zeros = jnp.zeros(500)
    drive = TwoCompartmentInput(zeros, zeros, jnp.float32(0.0))
    _, rec = simulate(unit.step, unit.init(params, 500, jax.random.PRNGKey(1)), 400, params=params, dt=dt,
                      drive=Constant(drive), probes={"xi": Probe(f"noise_{compartment}")})
    xi = np.asarray(rec["xi"])
    assert xi.std() == pytest.approx(sigma, rel=0.05)
    lag = 12  # 300 ms: autocorrelation exp(-1)
    corr = np.mean(xi[:-lag] * xi[lag:]) / xi.var()
    assert corr == pytest.approx(np.exp(-lag * dt / tau), abs=0.05)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: RateUnit(activation="rectified_tan"),
         "RateUnit.activation: got 'rectified_tan'; allowed: 'linear', 'relu', 'sigmoid', 'tanh', 'elu', "
         "'rectified_tanh', 'hard_sigmoid' (did you mean 'rectified_tanh'?)"),
        (lambda: RateUnit().params(tau_ms=0.0), "RateUnit.params.tau_ms: got 0.0; allowed: a finite number > 0 (ms)"),
        (lambda: DyadicUnit().params(alpha=1.5), "DyadicUnit.params.alpha: got 1.5; allowed: a number in [0, 1]"),
        (lambda: TwoCompartmentUnit().params(apical_noise_sigma=-0.1),
         "TwoCompartmentUnit.params.apical_noise_sigma: got -0.1; allowed: a finite number >= 0"),
        (lambda: TwoCompartmentUnit().params(noise_tau_ms=float("inf")),
         "TwoCompartmentUnit.params.noise_tau_ms: got inf containing NaN or inf; allowed: finite numbers"),
    ],
)
def test_bad_input_messages(call, message):
    with pytest.raises(BadInput) as error:
        call()
    assert str(error.value) == message
