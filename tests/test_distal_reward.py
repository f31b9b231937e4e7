"""The distal reward experiment (Izhikevich 2007): the reward loop, the rule's closed forms, credit to the right synapse.

The reward, the dopamine and the eligibility are checked against their definitions on
hand-made spikes; the learning rule's grouped (per-delay) arrivals against a per-synapse
reference written with numpy; the closed loop on a tiny network whose every spike is
forced; and the firing rates of the paper's network over one simulated second.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bioplastic._checks import BadInput
from bioplastic.networks.distal_reward import (
    CoincidenceReward,
    DistalRewardConfig,
    build_distal_reward,
    chosen_rank,
    run_steps,
)
from bioplastic.rules.dopamine_stdp import dopamine_stdp
from bioplastic.synapses.connectivity import Connectivity, dense

# Izhikevich (2007): tau_c = 1 s, tau_d = 0.2 s, STDP with A+ = 1, A- = 1.5 and 20-ms windows;
# the reward comes 1-3 s after a post spike within 10 ms after the pre spike.
TAU_C, TAU_D, A_PLUS, A_MINUS, TAU_STDP = 1000.0, 200.0, 1.0, 1.5, 20.0


def run_reward(reward, pre, post, key=0):
    """``(earned, released)`` per step of ``reward`` driven by 0/1 spike trains of the chosen pair."""

    def body(state, inputs):
        t, p, q = inputs
        state, earned, released = reward.step(state, p, q, t, jax.random.fold_in(jax.random.PRNGKey(key), t))
        return state, (earned, released)

    steps = jnp.arange(len(pre), dtype=jnp.int32)
    _, (earned, released) = jax.jit(lambda p, q: jax.lax.scan(body, reward.init(), (steps, p, q)))(
        jnp.asarray(pre, jnp.float32), jnp.asarray(post, jnp.float32))
    return np.asarray(earned), np.asarray(released)


def test_reward_comes_1_to_3_s_after_each_rewarded_pairing_and_never_otherwise():
    reward = CoincidenceReward()                              # the paper's 10-ms window, 1-3 s delays, 0.5 each
    n = 60_000
    pre, post = np.zeros(n), np.zeros(n)
    # (pre spike times, post spike time) every 4 s, longer than the largest delay: the post spike
    # is rewarded 1..10 ms after the pre neuron's latest spike, never at 0 or 11 ms or before it.
    cases = [((0,), 1), ((4000,), 4005), ((8000,), 8010), ((12000,), 12011), ((16000,), 16000), ((20003,), 20000),
             ((24000, 24003), 24012), ((28000, 28009), 28010), ((32000,), 32030), ((36000,), 36007)]
    rewarded = {1, 4005, 8010, 24012, 28010, 36007}
    for pres, q in cases:
        pre[list(pres)] = 1.0
        post[q] = 1.0
    earned, released = run_reward(reward, pre, post)
    assert set(np.flatnonzero(earned).tolist()) == rewarded
    times = np.flatnonzero(released)
    assert len(times) == len(rewarded)
    assert np.allclose(released[times], 0.5)
    for t_earned, t_released in zip(sorted(rewarded), times):       # 4 s apart: releases keep the order
        assert 1000 <= t_released - t_earned <= 3000


def test_reward_delays_cover_1_to_3_s():
    reward = CoincidenceReward()
    n = 120 * 3001
    pre, post = np.zeros(n), np.zeros(n)
    pre[::3001] = 1.0
    post[5::3001] = 1.0
    earned, released = run_reward(reward, pre, post, key=3)
    delays = np.flatnonzero(released) - np.flatnonzero(earned)
    assert len(delays) == 120 and delays.min() >= 1000 and delays.max() <= 3000
    # Uniform on 1-3 s: each third of the range holds about a third of the 120 draws (40 +- 5).
    counts = np.histogram(delays, bins=[1000, 1667, 2334, 3001])[0]
    assert counts.min() > 25


@pytest.mark.parametrize("lag_ms", [-12, -1, 0, 1, 7, 30])
def test_one_pairing_sets_the_eligibility_to_the_stdp_window(lag_ms):
    rule = dopamine_stdp(tonic=0.0, dt_ms=1.0)
    w = dense(1, 1, 1.0)
    pre_at, post_at = 50, 50 + lag_ms
    t = jnp.arange(100)

    def body(state, t):
        return rule.update(state, w, pre=(t == pre_at)[None] * 1.0, post=(t == post_at)[None] * 1.0, reward=0.0)[1], None

    state, _ = jax.lax.scan(body, rule.init(w), t)
    # A post spike in the step of the arrival or later potentiates, an earlier one depresses;
    # the nearest pair on each side has the full amplitude (Izhikevich's daspnet.m window).
    if lag_ms >= 0:
        expected = A_PLUS * np.exp(-lag_ms / TAU_STDP)
    else:
        expected = -A_MINUS * np.exp(-(-lag_ms - 1) / TAU_STDP)
    expected *= np.exp(-(99 - max(pre_at, post_at)) / TAU_C)
    assert float(state.eligibility[0, 0]) == pytest.approx(expected, rel=1e-5)


def test_dopamine_eligibility_and_weight_follow_their_closed_forms_for_one_pairing_and_one_reward():
    tonic, rate, amount = 0.002, 0.01, 0.5                  # daspnet.m: s += (0.002 + DA) sd every 10 ms
    rule = dopamine_stdp(tonic=tonic, learning_rate=rate, dt_ms=1.0)
    w = dense(1, 1, 1.0)
    horizon, pair_at, lag, reward_at = 4000, 10, 5, 1500
    pre = np.zeros(horizon)
    post = np.zeros(horizon)
    reward = np.zeros(horizon)
    pre[pair_at], post[pair_at + lag], reward[reward_at] = 1.0, 1.0, amount

    def body(carry, inputs):
        state, weights = carry
        p, q, r = inputs
        delta, state = rule.update(state, Connectivity(w.targets, weights, 1), pre=p[None], post=q[None], reward=r)
        return (state, weights + delta), (state.eligibility[0, 0], state.dopamine, weights[0, 0] + delta[0, 0])

    _, (c, d, weight) = jax.lax.scan(body, (rule.init(w), w.weights), (jnp.asarray(pre), jnp.asarray(post), jnp.asarray(reward)))
    t = np.arange(horizon)
    start = pair_at + lag
    c0 = A_PLUS * np.exp(-lag / TAU_STDP)
    c_closed = np.where(t >= start, c0 * np.exp(-(t - start) / TAU_C), 0.0)
    d_closed = np.where(t >= reward_at, amount * np.exp(-(t - reward_at) / TAU_D), 0.0)
    np.testing.assert_allclose(np.asarray(c), c_closed, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(np.asarray(d), d_closed, rtol=1e-4, atol=1e-7)
    # dw = rate * c * (d + tonic) per ms, summed: two geometric series.
    q_c, q_cd = np.exp(-1 / TAU_C), np.exp(-1 / TAU_C - 1 / TAU_D)
    last = horizon - 1
    tonic_part = tonic * c0 * (1 - q_c ** (last - start + 1)) / (1 - q_c)
    reward_part = amount * c0 * q_c ** (reward_at - start) * (1 - q_cd ** (last - reward_at + 1)) / (1 - q_cd)
    assert float(weight[-1]) - 1.0 == pytest.approx(rate * (tonic_part + reward_part), rel=1e-4)


def test_grouped_arrivals_equal_a_per_synapse_reference():
    """Arrivals per group of slots (one group per delay) against every synapse's own pairs, with padding."""
    rng = np.random.default_rng(0)
    n_pre, n_post, max_out, groups, steps = 6, 5, 4, 2, 400
    targets = rng.integers(0, n_post, size=(n_pre, max_out))
    targets[1, 3] = n_post                                    # one padding slot
    conn = Connectivity(jnp.asarray(targets, jnp.int32), jnp.where(jnp.asarray(targets) < n_post, 2.0, 0.0), n_post)
    arrivals = (rng.random((steps, n_pre, groups)) < 0.05).astype(np.float32)
    post = (rng.random((steps, n_post)) < 0.05).astype(np.float32)
    reward = (rng.random(steps) < 0.02) * 0.5
    rule = dopamine_stdp(tonic=0.002, learning_rate=0.01, w_min=0.0, w_max=4.0, pre_groups=groups, dt_ms=1.0)

    def body(carry, inputs):
        state, weights = carry
        a, q, r = inputs
        delta, state = rule.update(state, Connectivity(conn.targets, weights, n_post), pre=a, post=q, reward=r)
        return (state, weights + delta), None

    (state, weights), _ = jax.lax.scan(body, (rule.init(conn), conn.weights),
                                       (jnp.asarray(arrivals), jnp.asarray(post), jnp.asarray(reward, jnp.float32)))
    # Reference: every real synapse with its own pre trace, pairs as in the module docstring.
    slot_group = np.arange(max_out) // (max_out // groups)
    x, y = np.zeros((n_pre, max_out)), np.zeros(n_post)
    c, d, w = np.zeros((n_pre, max_out)), 0.0, np.asarray(conn.weights, float).copy()
    real = targets < n_post
    safe = np.where(real, targets, 0)
    for a, q, r in zip(arrivals, post, reward):
        arrive = a[:, slot_group]
        x = x * np.exp(-1 / TAU_STDP) + arrive
        terms = A_PLUS * x * q[safe] - A_MINUS * arrive * y[safe]
        y = y * np.exp(-1 / TAU_STDP) + q
        c = c * np.exp(-1 / TAU_C) + np.where(real, terms, 0.0)
        d = d * np.exp(-1 / TAU_D) + r
        w = np.where(real, np.clip(w + 0.01 * c * (d + 0.002), 0.0, 4.0), 0.0)
    np.testing.assert_allclose(np.asarray(state.eligibility), c, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(np.asarray(weights), w, rtol=1e-5, atol=1e-6)
    assert float(weights[1, 3]) == 0.0 and float(state.eligibility[1, 3]) == 0.0


def tiny_network(tonic):
    """Four excitatory neurons and one inhibitory, 1-ms delays, no noise: the chosen synapse 0 -> 1, a control 2 -> 3."""
    config = DistalRewardConfig(n_exc=4, n_inh=1, synapses_per_neuron=2, max_delay_ms=1, noise_amplitude=0.0,
                                tonic_dopamine=tonic)
    model, params = build_distal_reward(jax.random.PRNGKey(0), config)
    targets = jnp.array([[1, 4], [0, 4], [3, 4], [2, 4], [0, 2]], jnp.int32)
    params = params._replace(targets=targets, chosen=jnp.array([0, 0, 1], jnp.int32))
    state = model.init(params)
    # Both synapses start at 1 mV, like the rest: a single spike (1 mV) never makes a neuron fire.
    return model, params, state._replace(weights=jnp.ones((4, 2), jnp.float32))


def forced_pairings(n_steps, lag, control_at):
    """A current that makes neuron 0 fire at 0 ms and 1 ``lag`` ms later; 2 and 3 likewise from ``control_at``."""
    drive = np.zeros((n_steps, 5), np.float32)
    for neuron, at in ((0, 0), (1, lag), (2, control_at), (3, control_at + lag)):
        drive[at, neuron] = 1000.0
    return jnp.asarray(drive)


def test_closed_loop_credits_the_rewarded_synapse_and_not_an_equally_paired_one():
    # The same pre-before-post pairing (5 ms) for both synapses; only the chosen one earns a
    # reward (1-3 s later). The control pairs at 5 s, when that reward's dopamine has gone
    # (tau_d = 0.2 s: below exp(-10) of its peak), and no reward follows. Tonic dopamine is
    # off here: it would add the same amount to both (its closed form is tested above).
    model, params, state = tiny_network(tonic=0.0)
    n_steps, lag = 8000, 5
    state, record = run_steps(model, params, state, n_steps, forced_pairings(n_steps, lag, control_at=5000))
    earned = np.flatnonzero(np.asarray(record.earned))
    released = np.flatnonzero(np.asarray(record.released))
    assert earned.tolist() == [lag] and len(released) == 1 and 1000 <= released[0] - lag <= 3000
    # Every forced spike happened, and no other (1-mV synapses never make a neuron fire).
    assert int(np.sum(np.asarray(record.exc_spikes))) == 4 and int(np.sum(np.asarray(record.inh_spikes))) == 0
    chosen_growth = float(state.weights[0, 0]) - 1.0
    control_growth = float(state.weights[2, 0]) - 1.0
    # The chosen synapse: A+ exp(-4/20) (its arrival is 1 ms after the pre spike, so 4 ms before
    # the post spike) decayed until the release, times the dopamine's sum, 0.5 / (1 - q_c q_d).
    q_c, q_cd = np.exp(-1 / TAU_C), np.exp(-1 / TAU_C - 1 / TAU_D)
    c0 = A_PLUS * np.exp(-(lag - 1) / TAU_STDP)
    after = n_steps - released[0]
    expected = 0.01 * 0.5 * c0 * q_c ** (released[0] - lag) * (1 - q_cd ** after) / (1 - q_cd)
    assert chosen_growth == pytest.approx(expected, rel=1e-3)
    assert chosen_growth > 0.03
    assert abs(control_growth) < 1e-3 * chosen_growth


def test_firing_rates_of_the_paper_network_over_one_second():
    model, params = build_distal_reward(jax.random.PRNGKey(0))
    state, record = run_steps(model, params, model.init(params), 1000)
    exc_hz = float(np.sum(np.asarray(record.exc_spikes))) / 800
    inh_hz = float(np.sum(np.asarray(record.inh_spikes))) / 200
    # Izhikevich (2007) runs the network in low-rate irregular spontaneous activity, about 1 Hz per
    # neuron (issue 23 puts it at 1-2 Hz); the chance coincidences that earn the first rewards rest
    # on it. We allow 0.5-3 Hz.
    assert 0.5 < exc_hz < 3.0
    assert 0.2 < inh_hz < 3.0


def test_chosen_rank_counts_larger_weights():
    weights = np.array([[0.5, 4.0, 1.0], [4.0, 0.0, 2.0]])
    assert chosen_rank(weights, 0, 1) == (1, 80.0)           # ties at the top share rank 1
    assert chosen_rank(weights, 1, 1) == (6, 0.0)
    assert chosen_rank(weights, 0, 2) == (4, 40.0)


def test_bad_constants_are_refused_with_exact_messages():
    with pytest.raises(BadInput, match=r"^max_delay_ms: got 30; allowed: a divisor of synapses_per_neuron = 100 "
                                       r"\(each delay takes the same number of synapses\)$"):
        DistalRewardConfig(max_delay_ms=30)
    with pytest.raises(BadInput, match=r"^reward.delay_max_ms: got 500; allowed: a delay >= delay_min_ms = 1000$"):
        CoincidenceReward(delay_max_ms=500)
    with pytest.raises(BadInput, match=r"^chosen_delay_ms: got 0; allowed: a whole number >= 1 \(ms; the step is 1 ms\)$"):
        DistalRewardConfig(chosen_delay_ms=0)
    rule = dopamine_stdp(pre_groups=2, dt_ms=1.0)
    w = dense(3, 4, 1.0)
    with pytest.raises(BadInput, match=r"^pre: got shape \(3, 4\); allowed: \(n_pre, pre_groups\) = \(3, 2\)$"):
        rule.update(rule.init(w), w, pre=jnp.zeros((3, 4)), post=jnp.zeros(4), reward=0.0)
