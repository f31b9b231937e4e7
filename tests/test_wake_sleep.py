"""Theta schedules and the local wake-sleep rule of the theta-gated hippocampal model (George et al. 2023)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bioplastic._checks import BadInput
from bioplastic.data.synthetic import gp_latents
from bioplastic.neurons.two_compartment import TwoCompartmentInput, TwoCompartmentUnit
from bioplastic.simulation.theta_gate import theta_schedule
from bioplastic.rules.wake_sleep import WakeSleepSettings, compartment_error, init_trace, wake_sleep


def wake_sleep_update(weights, trace, pre, delta, dt_ms, settings):
    """One step of the rule, its change applied: ``(new weights, new trace)``."""
    change, trace = wake_sleep(settings, dt_ms=dt_ms).update(trace, weights, pre=pre, error=delta)
    return weights + change, trace

QUIET = dict(basal_noise_sigma=0.0, apical_noise_sigma=0.0)        # noise-free compartments

# ----------------------------------------------------------------------------- theta schedules


@pytest.mark.parametrize("frequency_hz, duty, phase", [(5.0, 0.5, 0.0), (8.0, 0.3, 0.25), (10.0, 0.75, 0.9)])
def test_square_schedule_follows_its_definition_exactly(frequency_hz, duty, phase):
    dt = 1.0
    gate = theta_schedule(3000, dt, frequency_hz, duty, phase)
    cycles = np.arange(3000) * dt * 1e-3 * frequency_hz + phase
    np.testing.assert_array_equal(gate, (np.mod(cycles, 1.0) < duty).astype(np.float32))
    assert abs(gate.mean() - duty) < 0.01
    rises = np.flatnonzero(np.diff(gate) > 0) + 1          # generative phase onsets, one per cycle
    np.testing.assert_allclose(np.diff(rises), 1000.0 / frequency_hz, atol=1.0)


def test_sine_schedule_mixes_the_compartments_smoothly():
    gate = theta_schedule(200, 1.0, 5.0, phase=0.25, shape="sine")
    np.testing.assert_allclose(gate, 0.5 * (1 + np.sin(2 * np.pi * (np.arange(200) * 5e-3 + 0.25))), atol=1e-6)
    assert gate[0] == pytest.approx(1.0) and gate[100] == pytest.approx(0.0, abs=1e-6)


def test_jittered_schedule_has_random_cycle_lengths_within_bounds():
    gate = theta_schedule(20000, 1.0, 8.0, duty=0.5, shape="jittered", jitter=0.3, seed=3)
    rises = np.flatnonzero(np.diff(gate) > 0) + 1
    lengths = np.diff(rises)
    assert lengths.min() >= 125 * 0.7 - 1 and lengths.max() <= 125 * 1.3 + 1
    assert lengths.std() > 10                               # not periodic
    assert abs(gate.mean() - 0.5) < 0.02
    assert not np.array_equal(gate, theta_schedule(20000, 1.0, 8.0, duty=0.5, shape="jittered", jitter=0.3, seed=4))
    np.testing.assert_array_equal(gate, theta_schedule(20000, 1.0, 8.0, duty=0.5, shape="jittered", jitter=0.3, seed=3))


@pytest.mark.parametrize("kwargs, message", [
    (dict(duty=1.5), "duty: got 1.5; allowed: a fraction of the cycle in [0, 1]"),
    (dict(phase=1.0), "phase: got 1.0; allowed: an offset in cycles in [0, 1)"),
    (dict(shape="triangle"), "shape: got 'triangle'"),
    (dict(frequency_hz=0.0), "frequency_hz: got 0.0"),
])
def test_bad_schedules_are_rejected(kwargs, message):
    with pytest.raises(BadInput, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        theta_schedule(10, 25.0, **kwargs)


# ----------------------------------------------------------------------------- the rule


def test_trace_is_a_low_pass_filter_of_the_update():
    settings = WakeSleepSettings(learning_rate=0.0, tau_ms=100.0)
    weights, trace = jnp.zeros((2, 3)), init_trace(jnp.zeros((2, 3)))
    delta, pre = jnp.array([1.0, -2.0]), jnp.array([0.5, 0.0, 1.0])
    for _ in range(40):
        weights, trace = wake_sleep_update(weights, trace, pre, delta, 25.0, settings)
    np.testing.assert_allclose(trace, (1 - 0.75**40) * np.outer(delta, pre), rtol=1e-5)


def test_l1_and_l2_shrink_weights_without_error():
    settings = WakeSleepSettings(learning_rate=0.1, l1=0.01, l2=0.5)
    weights = jnp.array([[1.0, -2.0, 0.0]])
    new, _ = wake_sleep_update(weights, init_trace(weights), jnp.ones(3), jnp.zeros(1), 25.0, settings)
    np.testing.assert_allclose(new, [[1.0 - 0.1 * (0.5 + 0.01), -2.0 + 0.1 * (1.0 + 0.01), 0.0]], rtol=1e-6)


@pytest.mark.parametrize("activation_name", ["linear", "rectified_tanh", "tanh"])
def test_the_rule_is_local(activation_name):
    """d(change of W[i, j]) / d(anything of neuron k != i, or input l != j) is exactly zero."""
    settings = WakeSleepSettings(learning_rate=0.3, tau_ms=50.0, l1=0.01, l2=0.1)
    key_w, key_p, key_x, key_s, key_v = jax.random.split(jax.random.PRNGKey(0), 5)
    weights, trace = jax.random.normal(key_w, (3, 4)), jax.random.normal(key_p, (3, 4))

    def change(pre, soma, potential):
        delta = compartment_error(soma, potential, activation_name)
        return wake_sleep_update(weights, trace, pre, delta, 25.0, settings)[0]

    pre, soma, potential = jax.random.normal(key_x, (4,)), jax.random.normal(key_s, (3,)), jax.random.uniform(key_v, (3,))
    d_pre, d_soma, d_potential = jax.jacobian(change, argnums=(0, 1, 2))(pre, soma, potential)
    for i in range(3):
        for j in range(4):
            assert np.all(np.delete(np.asarray(d_pre[i, j]), j) == 0)
            assert np.all(np.delete(np.asarray(d_soma[i, j]), i) == 0)
            assert np.all(np.delete(np.asarray(d_potential[i, j]), i) == 0)
    assert float(jnp.abs(d_soma).sum()) > 0


def test_gate_held_at_inference_apical_weights_recover_a_linear_generative_model():
    """x = G z. EC infers z exactly (fixed basal weights); HPC's apical weights learn G from the wake phase."""
    n_latent, n_visible, dt = 3, 8, 25.0
    generative = jax.random.normal(jax.random.PRNGKey(1), (n_visible, n_latent)) / np.sqrt(n_latent)
    latents = gp_latents(jax.random.PRNGKey(2), n_latent, 20000, dt_ms=dt, timescale_ms=500.0)
    inference = jnp.linalg.pinv(generative)                    # EC basal weights, fixed
    unit = TwoCompartmentUnit()
    params = unit.params(**QUIET)
    gate = jnp.asarray(theta_schedule(20000, dt, duty=0.0))     # always inference
    assert float(gate.max()) == 0.0
    settings = WakeSleepSettings(learning_rate=0.05, tau_ms=100.0)

    def step(carry, inputs):
        hpc, ec, apical, trace = carry
        z, theta = inputs
        x = generative @ z
        hpc, r_hpc = unit.step(params, hpc, TwoCompartmentInput(x, apical @ ec.rate, theta), dt)
        ec, r_ec = unit.step(params, ec, TwoCompartmentInput(inference @ r_hpc, jnp.zeros(n_latent), theta), dt)
        delta = compartment_error(r_hpc, apical @ r_ec, "linear")
        apical, trace = wake_sleep_update(apical, trace, r_ec, delta, dt, settings)
        return (hpc, ec, apical, trace), None

    start = (unit.init(params, n_visible, jax.random.PRNGKey(3)), unit.init(params, n_latent, jax.random.PRNGKey(4)),
             jnp.zeros((n_visible, n_latent)), jnp.zeros((n_visible, n_latent)))
    (_, _, apical, _), _ = jax.lax.scan(step, start, (latents, gate))
    assert float(jnp.linalg.norm(apical - generative) / jnp.linalg.norm(generative)) < 0.01


def test_theta_network_recovers_the_generative_model_with_the_gate_held_at_inference():
    """The same toy as above, wired declaratively: fixed sensory and inference weights, plastic apical ones.

    HPC is updated first, so its apical input is EC's previous step: the apical weights
    regress x(t) on z(t - 1), and with a constant learning rate they fluctuate around G.
    Slow latents (4 s) keep both effects small (from 100 % at the start).
    """
    from bioplastic.networks.theta_network import ThetaConnection, ThetaLayer, ThetaNetwork

    n_latent, n_visible, dt, n = 3, 8, 25.0, 20000
    generative = jax.random.normal(jax.random.PRNGKey(1), (n_visible, n_latent)) / np.sqrt(n_latent)
    latents = gp_latents(jax.random.PRNGKey(2), n_latent, n, dt_ms=dt, timescale_ms=4000.0)
    net = ThetaNetwork(
        layers=(ThetaLayer("hpc", n_visible, **QUIET), ThetaLayer("ec", n_latent, **QUIET)),
        connections=(ThetaConnection("sensory", "z", "hpc", "basal", plastic=False),
                     ThetaConnection("infer", "hpc", "ec", "basal", plastic=False),
                     ThetaConnection("generate", "ec", "hpc", "apical", init_std=0.0)),
        inputs={"z": n_latent}, dt_ms=dt, settings=WakeSleepSettings(learning_rate=0.02, tau_ms=100.0))
    state = net.init(jax.random.PRNGKey(3), weights={"sensory": generative, "infer": jnp.linalg.pinv(generative)})
    state, out = net.run(state, {"z": latents}, theta_schedule(n, dt, duty=0.0))
    error = float(jnp.linalg.norm(state["weights"]["generate"] - generative) / jnp.linalg.norm(generative))
    assert error < 0.02
    np.testing.assert_array_equal(state["weights"]["infer"], jnp.linalg.pinv(generative))   # fixed stays fixed
    hpc_mismatch = np.asarray(out["mismatch"]["hpc"])
    assert hpc_mismatch[-1000:].mean() < 0.05 * hpc_mismatch[:100].mean()


def test_theta_network_rejects_unknown_layers_and_bad_weights():
    from bioplastic.networks.theta_network import ThetaConnection, ThetaLayer, ThetaNetwork

    with pytest.raises(BadInput, match=r"connection 'c'.pre: got 'ca1'; allowed: one of hpc, x"):
        ThetaNetwork(layers=(ThetaLayer("hpc", 2),), connections=(ThetaConnection("c", "ca1", "hpc", "basal"),),
                     inputs={"x": 2})
    net = ThetaNetwork(layers=(ThetaLayer("hpc", 2),), connections=(ThetaConnection("c", "x", "hpc", "basal"),),
                       inputs={"x": 3})
    with pytest.raises(BadInput, match=r"weights\['c'\]: got shape \(3, 2\); allowed: \(2, 3\)"):
        net.init(jax.random.PRNGKey(0), weights={"c": jnp.zeros((3, 2))})


def test_a_connection_can_have_its_own_learning_rate_and_decay():
    from bioplastic.networks.theta_network import ThetaConnection, ThetaLayer, ThetaNetwork

    net = ThetaNetwork(layers=(ThetaLayer("a", 3, **QUIET),),
                       connections=(ThetaConnection("slow", "x", "a", "basal", learning_rate=0.0),
                                    ThetaConnection("fast", "y", "a", "apical", learning_rate=0.1),
                                    ThetaConnection("decaying", "z", "a", "apical", l2=0.5)),
                       inputs={"x": 2, "y": 2, "z": 2}, settings=WakeSleepSettings(learning_rate=0.05))
    state = net.init(jax.random.PRNGKey(0))
    before = {name: np.asarray(w) for name, w in state["weights"].items()}
    inputs = {"x": jnp.ones((20, 2)), "y": jnp.ones((20, 2)), "z": jnp.zeros((20, 2))}
    state, _ = net.run(state, inputs, theta_schedule(20, 25.0))
    np.testing.assert_array_equal(state["weights"]["slow"], before["slow"])
    assert float(np.abs(np.asarray(state["weights"]["fast"]) - before["fast"]).max()) > 0
    # a silent input: only the decay acts, W <- W (1 - eta l2) at every step
    np.testing.assert_allclose(state["weights"]["decaying"], before["decaying"] * (1 - 0.05 * 0.5) ** 20, rtol=1e-5)
