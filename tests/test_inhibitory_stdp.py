"""Inhibitory STDP (Vogels et al. 2011) against its closed forms, its mean drift, and its homeostasis in a protocol."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bioplastic._checks import BadInput
from bioplastic.analysis import spike_recordings
from bioplastic.experiments import run_protocol, validate_protocol
from bioplastic.protocol.errors import ProtocolError
from bioplastic.rules.events import SpikeTriggeredChange, incoming, weight_change
from bioplastic.rules.inhibitory_stdp import inhibitory_stdp
from bioplastic.runs import read_npz
from bioplastic.synapses.connectivity import dense, fixed_probability

ETA, RHO0_HZ, TAU_MS = 0.01, 10.0, 20.0
ALPHA = 2 * RHO0_HZ * TAU_MS / 1000.0            # the paper's alpha = 2 rho0 tau_STDP


def total_change(rule, conn, pre, post):
    """Summed change of every synapse over spike trains (time, n), the weights held fixed."""

    def body(carry, spikes):
        state, total = carry
        change, state = rule.update(state, conn, pre=spikes[0], post=spikes[1])
        return (state, total + weight_change(change, conn)), None

    (_, total), _ = jax.lax.scan(body, (rule.init(conn), jnp.zeros_like(conn.weights)),
                                 (jnp.asarray(pre, jnp.float32), jnp.asarray(post, jnp.float32)))
    return total


def unbounded(**kwargs):
    return inhibitory_stdp(ETA, RHO0_HZ, TAU_MS, w_min=-1e9, dt_ms=1.0, **kwargs)


@pytest.mark.parametrize("lag_ms", [-60, -15, -1, 0, 1, 7, 40])
def test_a_pair_in_either_order_adds_the_symmetric_window_minus_alpha(lag_ms):
    """pre at 80 ms, post at 80 + lag: eta (exp(-|lag| / tau) - alpha); lag 0 counts once."""
    pre, post = np.zeros((200, 1)), np.zeros((200, 1))
    pre[80, 0], post[80 + lag_ms, 0] = 1.0, 1.0
    total = float(total_change(unbounded(), dense(1, 1, 0.0), pre, post)[0, 0])
    assert total == pytest.approx(ETA * (math.exp(-abs(lag_ms) / TAU_MS) - ALPHA), rel=1e-5)


def test_a_lone_presynaptic_spike_depresses_by_eta_alpha_and_a_lone_postsynaptic_one_does_nothing():
    rule, conn = unbounded(), dense(1, 1, 0.0)
    lone_pre = np.zeros((50, 1))
    lone_pre[10] = 1.0
    assert float(total_change(rule, conn, lone_pre, np.zeros((50, 1)))[0, 0]) == pytest.approx(-ETA * ALPHA, rel=1e-6)
    assert float(total_change(rule, conn, np.zeros((50, 1)), lone_pre)[0, 0]) == 0.0


def test_random_trains_give_every_pair_once_minus_alpha_per_presynaptic_spike():
    """All-to-all pairing: sum over pre-post pairs of eta exp(-|t_post - t_pre| / tau), minus eta alpha per pre spike."""
    steps = 400
    pre = np.asarray(jax.random.uniform(jax.random.PRNGKey(0), (steps, 3)) < 0.04, np.float32)
    post = np.asarray(jax.random.uniform(jax.random.PRNGKey(1), (steps, 2)) < 0.05, np.float32)
    total = np.asarray(total_change(unbounded(), dense(3, 2, 0.0), pre, post))
    for i in range(3):
        for j in range(2):
            t_pre, t_post = np.flatnonzero(pre[:, i]), np.flatnonzero(post[:, j])
            pairs = np.exp(-np.abs(t_post[None, :] - t_pre[:, None]) / TAU_MS).sum()
            assert total[i, j] == pytest.approx(ETA * (pairs - ALPHA * len(t_pre)), rel=1e-4, abs=1e-7)


def test_the_event_route_on_padded_out_lists_matches_the_dense_change_and_keeps_w_min():
    conn = fixed_probability(jax.random.PRNGKey(3), 30, 12, 0.3, 0.02)
    rule = inhibitory_stdp(0.05, 20.0, TAU_MS, w_min=0.0, dt_ms=1.0)
    pre = (jax.random.uniform(jax.random.PRNGKey(4), (200, 30)) < 0.05).astype(jnp.float32)
    post = (jax.random.uniform(jax.random.PRNGKey(5), (200, 12)) < 0.01).astype(jnp.float32)     # 10 Hz < 20 Hz
    index = incoming(conn)

    def body(carry, spikes):
        state, by_events, by_dense = carry
        change, state = rule.update(state, conn.with_weights(by_events), pre=spikes[0], post=spikes[1])
        assert isinstance(change, SpikeTriggeredChange)
        by_events = change.apply(conn.with_weights(by_events), index)
        by_dense = by_dense + change.dense(conn.with_weights(by_dense))
        return (state, by_events, by_dense), None

    (_, by_events, by_dense), _ = jax.lax.scan(body, (rule.init(conn), conn.weights, conn.weights), (pre, post))
    np.testing.assert_allclose(by_events, by_dense, atol=1e-6)
    assert float(by_events[conn.mask].min()) >= 0.0 and float(by_events[conn.mask].min()) == 0.0   # some hit w_min
    assert not np.array_equal(np.asarray(by_events), np.asarray(conn.weights))


@pytest.mark.parametrize("post_rate_hz", [2.0, 10.0, 30.0])
def test_the_mean_drift_of_independent_trains_has_the_sign_of_the_post_rate_minus_rho0(post_rate_hz):
    """Bernoulli trains (p = rate dt): mean change per step eta p_pre (p_post (1 + d) / (1 - d) - alpha), d = exp(-dt / tau).

    (1 + d) / (1 - d) -> 2 tau / dt, so the drift is eta rho_pre (2 rho_post tau - alpha) per unit time: zero at
    rho_post = rho0 = alpha / (2 tau), the paper's fixed point.
    """
    n_pre, n_post, steps, pre_hz, dt = 64, 64, 20_000, 20.0, 1.0
    pre = (jax.random.uniform(jax.random.PRNGKey(6), (steps, n_pre)) < pre_hz * dt / 1000).astype(jnp.float32)
    post = (jax.random.uniform(jax.random.PRNGKey(7), (steps, n_post)) < post_rate_hz * dt / 1000).astype(jnp.float32)
    totals = np.asarray(total_change(unbounded(), dense(n_pre, n_post, 0.0), pre, post))
    d = math.exp(-dt / TAU_MS)
    p_pre, p_post = pre_hz * dt / 1000, post_rate_hz * dt / 1000
    expected = steps * ETA * p_pre * (p_post * (1 + d) / (1 - d) - ALPHA)
    # synapses share their trains: the mean over all of them is at least as precise as over n_pre independent rows
    standard_error = totals.std() / math.sqrt(min(n_pre, n_post))
    assert abs(totals.mean() - expected) < 4 * standard_error
    if post_rate_hz != RHO0_HZ:
        assert np.sign(totals.mean()) == np.sign(post_rate_hz - RHO0_HZ)
        assert abs(expected) > 8 * standard_error                      # the test tells the sign apart


HOMEOSTASIS = """
name = "istdp_homeostasis"
seed = {seed}
[simulation]
dt_ms = 0.1
duration_ms = 7000.0
chunk_ms = 3500.0
[model.populations.cell]
neuron = "lif"
size = 1
params = {{ tau_ms = 20.0, v_rest_mv = -60.0, v_th_mv = -50.0, v_reset_mv = -60.0, tau_ref_ms = 2.0 }}
initial = {{ v_mv = -60.0 }}
[model.populations.inhibitory]
neuron = "spike_source"
size = 50
[model.projections.inhibition]
pre = "inhibitory"
post = "cell"
weight = 0.0
connectivity = {{ type = "dense" }}
synapse = {{ type = "exponential_conductance", tau_ms = 10.0, reversal_mv = -80.0 }}
plasticity = {{ rule = "inhibitory_stdp", params = {{ learning_rate = 1e-3, target_rate_hz = {target}, tau_ms = 20.0 }} }}
[inputs.drive]
target = "cell"
type = "constant"
current_mv = 20.0
[inputs.inhibitory]
target = "inhibitory"
type = "poisson"
rate_hz = 20.0
current = 1.0
[recordings.output]
population = "cell"
variable = "spike"
"""


def test_a_driven_neuron_settles_at_the_target_rate(tmp_path, target_hz=10.0):
    """One LIF neuron driven to ~60 Hz by a constant current; 50 inhibitory afferents (20 Hz Poisson) start at w = 0.

    iSTDP grows the inhibition until the output fires at rho0 (within ~2 s at eta = 1e-3). Tolerance: the
    rate over the last 4 s counts ~40 spikes, whose Poisson s.d. is 1.6 Hz (the output here is no more
    irregular than Poisson); 2 s.d. more cover the bias of the inhibitory spikes' short-lag anticorrelation
    with the output (fewer pairs than independent trains have, so a rate a little above rho0) and the
    weights' jitter: 3 s.d. = 4.7 Hz, against a start at ~60 Hz.
    """
    path = tmp_path / "homeostasis.toml"
    path.write_text(HOMEOSTASIS.format(seed=0, target=target_hz))
    run_dir = run_protocol(path, tmp_path / "runs", progress=False)
    times_s = np.asarray(spike_recordings(read_npz(run_dir / "recordings.npz"))["output"].steps) * 1e-4
    first, last = np.sum(times_s < 0.5) / 0.5, np.sum(times_s >= 3.0) / 4.0
    assert first > 4 * target_hz                                    # far from the target at the start
    assert abs(last - target_hz) < 4.7
    final = np.asarray(read_npz(run_dir / "weights.npz")["inhibition.weights"])
    assert final.min() > 0.0                                        # inhibition was learnt from w = 0


@pytest.mark.parametrize("kwargs, message", [
    (dict(learning_rate=-1e-3), "learning_rate: got -0.001; allowed: a finite number >= 0"),
    (dict(target_rate_hz=-5.0), "target_rate_hz: got -5.0; allowed: a finite number >= 0 (Hz)"),
    (dict(tau_ms=0.0), "tau_ms: got 0.0; allowed: a finite number > 0 (ms)"),
    (dict(w_min=-math.inf), "w_min: got -inf; allowed: a finite lower bound (the paper's is 0)"),
    (dict(w_max=float("nan")), "w_max: got nan; allowed: a number (or inf for no upper bound)"),
    (dict(w_min=0.5, w_max=0.1), "w_max: got 0.1; allowed: a bound >= w_min = 0.5"),
    (dict(dt_ms=0.0), "dt_ms: got 0.0; allowed: a finite number > 0 (milliseconds)"),
])
def test_bad_hyperparameters_are_named_with_what_is_allowed(kwargs, message):
    arguments = dict(dt_ms=1.0) | kwargs
    with pytest.raises(BadInput) as error:
        inhibitory_stdp(**arguments)
    assert str(error.value) == message


def test_a_misspelt_parameter_in_a_protocol_names_the_rule_s_parameters(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(HOMEOSTASIS.format(seed=0, target=10.0).replace("target_rate_hz", "target_rate"))
    with pytest.raises(ProtocolError) as error:
        validate_protocol(path)
    assert str(error.value).endswith(
        "model.projections.inhibition.plasticity.params.target_rate: got an unknown key, not a parameter of rule "
        "'inhibitory_stdp'; allowed: learning_rate, target_rate_hz, tau_ms, w_min, w_max (did you mean 'target_rate_hz'?)")
