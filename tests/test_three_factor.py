"""Three-factor learning, FORCE, the reservoir and the what/when readouts (Yamada & Chao 2025)."""

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bioplastic._checks import BadInput
from bioplastic.runs import RunError
from bioplastic.analysis.prediction import ideal_prediction, prediction_summary, trials_to_recover
from bioplastic.data.synthetic import cue_outcome_task
from bioplastic.networks.reservoir import ReservoirConfig, build_reservoir
from bioplastic.rules.force import force, reset_inverse_correlation
from bioplastic.rules.three_factor import (
    eligibility_decay,
    modulated_change,
    reward_modulated_hebbian,
    update_eligibility,
)
from bioplastic.experiments.prediction.trials import (
    WHAT,
    WHEN,
    ForceReadouts,
    RunState,
    StepSignals,
    ThreeFactorReadouts,
    WhatWhenSettings,
    run_steps,
    run_trials,
    trial_signals,
)
from bioplastic.synapses.connectivity import fixed_probability

SMALL = ReservoirConfig(n_exc=40, n_inh=10)


def signals(gate=1.0, when=0.0, what=0.0, end=False):
    return StepSignals(jnp.float32(gate), jnp.float32(when), jnp.float32(what), jnp.bool_(end))


# ----------------------------------------------------------------------------- eligibility


def test_eligibility_of_one_coincidence_decays_exponentially():
    decay = eligibility_decay(40.0, 1.0)
    e = update_eligibility(jnp.zeros((2, 3)), jnp.array([0.0, 2.0, 0.0]), jnp.array([1.5, 0.0]), decay)
    trace = []
    for _ in range(200):
        e = update_eligibility(e, jnp.zeros(3), jnp.zeros(2), decay)
        trace.append(float(e[0, 1]))
    expected = 3.0 * np.exp(-np.arange(1, 201) / 40.0)
    np.testing.assert_allclose(trace, expected, rtol=1e-5)
    assert float(jnp.abs(e).sum() - jnp.abs(e[0, 1])) == 0.0  # no other synapse saw a coincidence


def test_eligibility_of_a_filtered_pre_spike_is_a_difference_of_exponentials():
    """A pre spike at t = 0 through the readout filter (tau_r), post = 1: e(n) has a closed form."""
    tau_r, tau_e, amplitude = 50.0, 5.0, 1000.0 / 50.0
    d_r, d_e = np.exp(-1 / tau_r), np.exp(-1 / tau_e)
    rate, e, trace = 0.0, jnp.zeros((1, 1)), []
    for n in range(300):
        rate = rate * d_r + (amplitude if n == 0 else 0.0)
        e = update_eligibility(e, jnp.array([rate]), jnp.ones(1), d_e)
        trace.append(float(e[0, 0]))
    n = np.arange(300)
    closed = amplitude * (d_e ** (n + 1) - d_r ** (n + 1)) / (d_e - d_r)
    np.testing.assert_allclose(trace, closed, rtol=1e-4)
    assert int(np.argmax(trace)) == int(np.argmax(closed)) > 0   # it rises, then decays


def test_projection_rule_matches_the_dense_trace_and_needs_its_modulator():
    conn = fixed_probability(jax.random.PRNGKey(0), 6, 5, 0.5, 0.0)
    rule = reward_modulated_hebbian(tau_eligibility_ms=20.0, learning_rate=0.3, dt_ms=1.0)
    state, dense_e = rule.init(conn), jnp.zeros((5, 6))
    keys = jax.random.split(jax.random.PRNGKey(1), 30)
    for key in keys:
        pre, post = jax.random.uniform(key, (2, 6))[0], jax.random.uniform(key, (2, 6))[1, :5]
        delta, state = rule.update(state, conn, pre=pre, post=post, modulator=0.7)
        dense_e = update_eligibility(dense_e, pre, post, eligibility_decay(20.0, 1.0))
    as_dense = conn.with_weights(delta).to_dense()
    connected = conn.with_weights(1.0).to_dense() > 0
    expected = jnp.where(connected, 0.3 * 0.7 * dense_e.T, 0.0)
    np.testing.assert_allclose(as_dense, expected, rtol=1e-5, atol=1e-7)
    with pytest.raises(TypeError):
        rule.update(state, conn, pre=pre, post=post)


def test_zero_modulator_changes_no_weight():
    conn = fixed_probability(jax.random.PRNGKey(0), 8, 8, 0.5, 0.1)
    rule = reward_modulated_hebbian(dt_ms=1.0)
    state = rule.init(conn)
    for key in jax.random.split(jax.random.PRNGKey(2), 20):
        activity = jax.random.uniform(key, (8,))
        delta, state = rule.update(state, conn, pre=activity, post=activity[::-1], modulator=0.0)
        assert float(jnp.abs(delta).max()) == 0.0
    assert float(jnp.abs(state.eligibility).max()) > 0.0   # the traces did build up
    assert float(jnp.abs(modulated_change(jnp.ones((2, 3)), jnp.zeros(2), 1.0, 5.0)).max()) == 0.0


def test_readouts_with_zero_error_and_no_outcome_keep_their_weights():
    learner = ThreeFactorReadouts(WhatWhenSettings(when_learning_rate=0.1, what_learning_rate=0.1))
    state = learner.init(4)
    before = jnp.array([[0.5, -0.2, 0.1, 0.0], [0.0, 0.0, 0.0, 0.0]])
    state = state._replace(weights=before)
    x = jnp.array([1.0, 2.0, 3.0, 1.0])
    for end in (False, True):
        z_when = (state.weights @ x)[WHEN]
        state, _ = learner.step(state, x, signals(when=z_when, what=0.0, end=end))
    state = learner.end_block(state, switch_next=False)
    np.testing.assert_array_equal(state.weights, before)


# ----------------------------------------------------------------------------- the gate


def test_a_closed_gate_blocks_learning_even_with_a_large_error():
    learner = ThreeFactorReadouts(WhatWhenSettings(when_learning_rate=0.1, what_learning_rate=0.1))
    state = learner.init(3)
    x = jnp.array([1.0, -1.0, 1.0])
    for n in range(50):
        state, _ = learner.step(state, x, signals(gate=0.0, when=5.0, what=1.0, end=n == 49))
    state = learner.end_block(state, switch_next=False)
    assert float(jnp.abs(state.weights).max()) == 0.0
    force = ForceReadouts(WhatWhenSettings(learner="force"))
    force_state = force.init(3)
    for _ in range(10):
        force_state, _ = force.step(force_state, x, signals(gate=0.0, when=5.0, what=1.0))
    assert float(jnp.abs(force_state.weights).max()) == 0.0


def test_gate_is_open_for_the_window_from_each_cue_onset():
    settings = WhatWhenSettings(window_ms=300.0, kernel_ms=20.0)
    task = cue_outcome_task(jax.random.PRNGKey(0), 3, 1.0, trial_ms=500.0, latencies_ms=(100.0, 200.0))
    inputs = trial_signals(task, 500, settings)
    gate = np.asarray(inputs.signals.gate).reshape(3, 500)
    np.testing.assert_array_equal(gate, np.broadcast_to(np.arange(500) < 300, (3, 500)).astype(np.float32))
    bump = np.asarray(inputs.signals.when_target).reshape(3, 500)
    event = np.asarray(task.trials.outcome_step - task.trials.start_step)
    np.testing.assert_array_equal(bump.argmax(axis=1), event)
    ends = np.asarray(inputs.signals.trial_end).reshape(3, 500)
    assert ends[:, -1].all() and ends.sum() == 3


# ----------------------------------------------------------------------------- offline consolidation


def test_consolidation_applies_the_gated_error_times_eligibility_summed_over_trials():
    settings = WhatWhenSettings(tau_eligibility_ms=3.0, what_learning_rate=0.2, when_learning_rate=1e-9)
    learner = ThreeFactorReadouts(settings)
    state = learner.init(3)
    w_what = jnp.array([0.3, -0.1, 0.2])
    state = state._replace(weights=state.weights.at[WHAT].set(w_what))
    rng = np.random.default_rng(0)
    decay, e, expected, steps = np.exp(-1 / 3.0), np.zeros(3), np.zeros(3), 0.0
    for outcome in [1.0, 0.0, 1.0]:
        for n in range(20):
            x = rng.normal(size=3).astype(np.float32)
            gate = float(n < 15)
            e = decay * e + x
            expected += gate * (outcome - float(w_what @ x)) * e
            steps += gate
            state, _ = learner.step(state, jnp.asarray(x), signals(gate=gate, what=outcome, end=n == 19))
        np.testing.assert_allclose(state.weights[WHAT], w_what)   # "what" never changes during a block
    state = learner.end_block(state, switch_next=False)
    np.testing.assert_allclose(state.weights[WHAT], w_what + 0.2 * expected / steps, rtol=1e-4, atol=1e-6)
    assert float(jnp.abs(state.block_tags).max()) == 0.0


# ----------------------------------------------------------------------------- FORCE


def test_force_solves_a_linear_regression_to_machine_precision():
    x = jax.random.normal(jax.random.PRNGKey(0), (60, 4))
    true_w = jnp.array([[0.7, -1.3, 2.0, 0.25], [1.0, 0.0, -0.5, 3.0]])
    rule, w = force(alpha=1e-8), jnp.zeros((2, 4))
    state = rule.init(w)
    for x_t in x:
        change, state = rule.update(state, w, pre=x_t, target=true_w @ x_t)
        w = w + change
    np.testing.assert_allclose(w, true_w, atol=2e-6)
    np.testing.assert_allclose(w @ x.T, true_w @ x.T, atol=2e-5)


def test_force_equals_ridge_regression_on_everything_seen():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(80, 5)), rng.normal(size=(80, 1))
    rule, w = force(alpha=2.0), jnp.zeros((1, 5))
    state = rule.init(w)
    for x_t, y_t in zip(x, y):
        change, state = rule.update(state, w, pre=jnp.asarray(x_t, jnp.float32), target=jnp.asarray(y_t, jnp.float32))
        w = w + change
    ridge = np.linalg.solve(x.T @ x + 2.0 * np.eye(5), x.T @ y).T
    np.testing.assert_allclose(w, ridge, atol=1e-5)
    np.testing.assert_allclose(state.inverse, np.linalg.inv(x.T @ x + 2.0 * np.eye(5)), atol=1e-5)
    reset = reset_inverse_correlation(state)
    np.testing.assert_array_equal(reset.inverse, np.eye(5) / 2.0)
    assert float(reset.alpha) == 2.0


def test_force_resets_p_only_at_the_switch_and_only_when_asked():
    for asked in (False, True):
        learner = ForceReadouts(WhatWhenSettings(learner="force", force_alpha=4.0, force_reset_at_switch=asked))
        state = learner.init(3)
        state, _ = learner.step(state, jnp.ones(3), signals(when=1.0, what=1.0))
        assert learner.end_block(state, switch_next=False) is state
        after = learner.end_block(state, switch_next=True)
        assert np.array_equal(after.force.inverse, np.eye(3) / 4.0) == asked


# ----------------------------------------------------------------------------- the reservoir


def test_reservoir_obeys_dale_and_has_no_self_connections():
    reservoir = build_reservoir(jax.random.PRNGKey(0), SMALL, n_cues=2)
    dense = np.asarray(reservoir.params["projections"]["recurrent"].to_dense())
    assert (dense[:40] >= 0).all() and (dense[40:] <= 0).all()
    assert (np.diag(dense) == 0).all()
    assert dense[:40].max() <= SMALL.exc_charge / SMALL.synapse_tau_ms
    assert reservoir.cue_targets.shape == (2, 50)


def test_reservoir_run_in_pieces_equals_one_run():
    reservoir = build_reservoir(jax.random.PRNGKey(0), SMALL, n_cues=2)
    settings = WhatWhenSettings(window_ms=300.0)
    task = cue_outcome_task(jax.random.PRNGKey(1), 2, 1.0, trial_ms=400.0, latencies_ms=(100.0, 200.0))
    inputs = trial_signals(task, 400, settings)
    learner = ThreeFactorReadouts(settings)
    start = RunState(reservoir.init(jax.random.PRNGKey(2)), learner.init(51), jnp.zeros(50), jnp.zeros((), jnp.int32))
    whole, z_whole = run_steps(reservoir, learner, start, inputs)
    half = jax.tree_util.tree_map(lambda a: a[:400], inputs)
    rest = jax.tree_util.tree_map(lambda a: a[400:], inputs)
    middle, z_first = run_steps(reservoir, learner, start, half)
    end, z_second = run_steps(reservoir, learner, middle, rest)
    np.testing.assert_array_equal(np.concatenate([z_first, z_second]), z_whole)
    np.testing.assert_array_equal(end.learner.weights, whole.learner.weights)
    assert float(jnp.abs(z_whole).max()) > 0


def test_diverging_readouts_stop_with_a_clear_error():
    reservoir = build_reservoir(jax.random.PRNGKey(0), SMALL, n_cues=2)
    settings = WhatWhenSettings(window_ms=300.0, when_learning_rate=1e6)
    task = cue_outcome_task(jax.random.PRNGKey(1), 2, 1.0, trial_ms=400.0, latencies_ms=(100.0, 200.0))
    learner = ThreeFactorReadouts(settings)
    start = RunState(reservoir.init(jax.random.PRNGKey(2)), learner.init(51), jnp.zeros(50), jnp.zeros((), jnp.int32))
    with pytest.raises(RunError, match=r"prediction: the readouts of three_factor became NaN or inf in trials 1 to 1"):
        run_trials(reservoir, learner, start, trial_signals(task, 400, settings), 400, 300)


# ----------------------------------------------------------------------------- measures


def test_summary_of_a_perfect_predictor():
    cue = np.array([0, 1] * 20)
    latency, probability = np.where(cue == 0, 300.0, 600.0), np.where(cue == 0, 0.25, 0.75)
    bump = ideal_prediction(latency, np.ones(40), 1000, 50.0)
    readouts = np.stack([bump, np.broadcast_to(probability[:, None], bump.shape)], axis=-1)
    summary = prediction_summary(readouts, cue, latency, probability, 50.0, switch_trial=30, baseline_trials=10,
                                 running_trials=5)
    assert float(np.abs(summary["errors"]).max()) < 1e-20
    peaks = summary["peaks"]["before_switch"]
    assert (peaks[0]["peak_ms"], peaks[1]["peak_ms"]) == (300.0, 600.0)
    assert summary["amplitude_ratio"]["before_switch"] == pytest.approx(3.0)
    assert summary["trials_to_recover"] == 5


def test_trials_to_recover_counts_the_trials_until_the_running_mean_is_back():
    errors = np.array([2.0] * 10 + [9.0, 8.0, 1.0, 1.0, 1.0, 1.0])
    assert trials_to_recover(errors, 10, baseline_trials=10, running=2) == 4
    assert trials_to_recover(np.array([1.0] * 10 + [3.0] * 6), 10, 10, 2) is None
    with pytest.raises(BadInput, match=r"switch_trial: got 3; allowed: a trial in \[10, 16\)"):
        trials_to_recover(errors, 3, baseline_trials=10)


def test_generic_three_factor_rule_learns_in_a_network_only_with_its_modulator():
    from bioplastic.networks.network import Network, NetworkInput, Population, Projection
    from bioplastic.neurons.rate import RateUnit

    rule = reward_modulated_hebbian(tau_eligibility_ms=10.0, learning_rate=0.5, dt_ms=1.0)
    model = RateUnit()
    net = Network(populations=(Population("pre", model, 3), Population("post", model, 2)),
                  projections=(Projection("w", "pre", "post", rule=rule),))
    conn = fixed_probability(jax.random.PRNGKey(0), 3, 2, 1.0, 0.1)
    params = net.params({"pre": model.params(), "post": model.params()}, {"w": conn})
    for modulator in (0.0, 1.0):
        state = net.init(params, jax.random.PRNGKey(1))
        for _ in range(20):
            drive = NetworkInput({"pre": jnp.array([1.0, 0.5, 0.0]), "post": jnp.ones(2)}, {"modulator": modulator})
            state, _ = net.step(params, state, drive, 1.0)
        changed = np.asarray(state["plastic"]["w"]["weights"]) - np.asarray(conn.weights)
        if modulator == 0.0:
            assert float(np.abs(changed).max()) == 0.0
        else:
            dense = np.asarray(conn.with_weights(changed).to_dense())
            assert (dense[0] > 0).all() and (dense[2] == 0).all()   # silent pre neuron: no change



def test_median_recovery_ranks_never_last():
    from bioplastic.experiments.prediction.summary import _median_recovery

    assert _median_recovery([12, 17, 18, 74, 24]) == 18
    assert _median_recovery([10, None, 30, None]) is None
    assert _median_recovery([10, 20, None]) == 20
    assert _median_recovery([10, 20, 40, None]) == 30


@pytest.mark.parametrize("make, message", [
    (lambda: ReservoirConfig(cue_fraction=0.0), "reservoir.cue_fraction: got 0.0; allowed: a fraction in (0, 1]"),
    (lambda: ReservoirConfig(synapse_tau_ms=-1.0), "reservoir.synapse_tau_ms: got -1.0"),
    (lambda: WhatWhenSettings(learner="rls"), "learner: got 'rls'; allowed: three_factor, force"),
    (lambda: WhatWhenSettings(block_trials=0), "block_trials: got 0"),
    (lambda: prediction_summary(np.zeros((3, 10, 2)), [0, 1, 0], [5.0] * 2, [0.5] * 2, 2.0),
     "prediction: got shape (3, 10); allowed: the shape of ideal (2, 10)"),
])
def test_bad_settings_are_rejected_with_their_names(make, message):
    with pytest.raises(BadInput, match=re.escape(message)):
        make()


def test_readout_plot_rejects_bad_arrays():
    from bioplastic.plotting.prediction import aligned_predictions

    with pytest.raises(BadInput, match=re.escape("readouts: got shape (3, 10); allowed: (n_trials, window, 2)")):
        aligned_predictions(np.zeros((3, 10)), [0, 1, 0], range(3), ["A", "B"])
    with pytest.raises(BadInput, match=re.escape("which: got 'both'; allowed: prediction, when, what")):
        aligned_predictions(np.zeros((3, 10, 2)), [0, 1, 0], range(3), ["A", "B"], which="both")
