"""Three-factor learning, FORCE, the reservoir and the what/when readouts (Yamada & Chao 2025)."""

import dataclasses
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


# ----------------------------------------------------------------------------- single manipulations (issue 22)


def _prediction_experiment(task, switch_trial=None):
    from bioplastic.experiments.prediction.build import build_prediction
    from bioplastic.experiments.prediction.schema import PredictionProtocol

    spec = {"trials": 60, "baseline_trials": 10, "running_trials": 5, "reservoir": {"n_exc": 8, "n_inh": 2},
            "task": {"trial_ms": 800.0, "cues": ["A", "B"], "latencies_ms": [300.0, 600.0],
                     "probabilities": [0.25, 0.75], **task}, "readout": {"window_ms": 700.0}}
    if switch_trial is not None:
        spec["switch_trial"] = switch_trial
    return build_prediction(PredictionProtocol(name="manipulation", seed=3, prediction=spec), "manipulation.toml")


# name -> (task tables, the per-trial fields and per-step arrays that may change, the values after the switch per cue)
MANIPULATIONS = {
    "identity": ({"outcomes": ["X", "Y"]}, {"outcomes": ["Y", "X"]}, {"identity", "what_target"}, ("identity", [1, 0])),
    "latency": ({}, {"latencies_ms": [600.0, 300.0]}, {"latency_ms", "outcome_step", "when_target", "outcome"},
                ("latency_ms", [600.0, 300.0])),
    "probability": ({}, {"probabilities": [0.75, 0.25]}, {"probability", "rewarded", "what_target", "outcome"},
                    ("probability", [0.75, 0.25])),
}


def _schedule(experiment):
    """Every per-trial field and every per-step array of a repeat's task, as numpy arrays."""
    repeat = experiment.prepare_repeat(0)
    trials = repeat.task.trials
    per_trial = {name: np.asarray(getattr(trials, name)) for name in trials._fields}
    per_step = {name: np.asarray(getattr(repeat.inputs.signals, name)) for name in repeat.inputs.signals._fields}
    per_step.update(cue_inputs=np.asarray(repeat.inputs.cues), outcome=np.asarray(repeat.task.outcome))
    return per_trial, per_step, repeat.task.outcome_names


@pytest.mark.parametrize("manipulation", sorted(MANIPULATIONS))
def test_a_single_manipulation_switch_changes_only_what_it_names(manipulation):
    """The schedule with the switch equals the one without it, except for the named property after the switch."""
    task, switch, changing, (field, after_per_cue) = MANIPULATIONS[manipulation]
    switch_trial, steps = 30, 800
    switched, switched_steps, names = _schedule(_prediction_experiment({**task, "switch": switch}, switch_trial))
    plain, plain_steps, plain_names = _schedule(_prediction_experiment(task))
    assert names == plain_names == (("X", "Y") if manipulation == "identity" else ("outcome",))
    for schedule, unchanged, cut in ((switched, plain, switch_trial), (switched_steps, plain_steps, switch_trial * steps)):
        for name in schedule:
            if name in changing:
                np.testing.assert_array_equal(schedule[name][:cut], unchanged[name][:cut], err_msg=name)
                assert not np.array_equal(schedule[name][cut:], unchanged[name][cut:]), name
            else:
                np.testing.assert_array_equal(schedule[name], unchanged[name], err_msg=name)
    cue = switched["cue"]
    assert set(cue[switch_trial:]) == {0, 1}                       # both cues are seen after the switch
    np.testing.assert_array_equal(switched[field][switch_trial:], np.asarray(after_per_cue)[cue[switch_trial:]])
    # the per-cue values of the two properties not named stay those before the switch, in every trial
    per_cue = {"latency_ms": [300.0, 600.0], "probability": [0.25, 0.75],
               "identity": [0, 1] if manipulation == "identity" else [0, 0]}
    for other, before in per_cue.items():
        if other != field:
            np.testing.assert_array_equal(switched[other], np.asarray(before, switched[other].dtype)[cue])


def test_an_identity_switch_moves_the_what_teaching_signal_between_outcomes():
    experiment = _prediction_experiment({"outcomes": ["X", "Y"], "switch": {"outcomes": ["Y", "X"]}}, 30)
    repeat = experiment.prepare_repeat(0)
    trials = jax.tree_util.tree_map(np.asarray, repeat.task.trials)
    what = np.asarray(repeat.inputs.signals.what_target).reshape(60, 800, 2)
    expected = trials.rewarded[:, None] * np.eye(2)[trials.identity]          # (trial, outcome): 1 for the delivered one
    np.testing.assert_array_equal(what, np.broadcast_to(expected[:, None, :], what.shape))
    np.testing.assert_array_equal(trials.identity, np.where(np.arange(60) < 30, trials.cue, 1 - trials.cue))
    for learner in ("three_factor", "force"):
        assert experiment.initial_state(repeat, learner).learner.weights.shape == (3, 11)   # when, what X, what Y


def test_two_outcome_summary_counts_the_error_of_every_outcome():
    """A predictor that keeps the identities from before an identity swap is wrong after it, in both outcomes."""
    cue = np.array([0, 1] * 20)
    latency, probability = np.where(cue == 0, 300.0, 600.0), np.where(cue == 0, 0.25, 0.75)
    before, after = cue, 1 - cue                                  # cue 0 -> X, cue 1 -> Y; then swapped at trial 20
    identity = np.where(np.arange(40) < 20, before, after)
    bump = ideal_prediction(latency, probability, 1000, 50.0)
    readouts = np.zeros((40, 1000, 3))
    readouts[..., 0] = 1.0
    readouts[np.arange(40), :, 1 + before] = bump                 # the old identities throughout
    summary = prediction_summary(readouts, cue, latency, probability, 50.0, switch_trial=20, baseline_trials=10,
                                 running_trials=5, identity=identity)
    errors = summary["errors"]
    assert float(np.abs(errors[:20]).max()) == 0.0
    np.testing.assert_allclose(errors[20:], 2 * np.mean(bump[20:] ** 2, axis=1), rtol=1e-12)   # missed + false alarm
    assert summary["trials_to_recover"] is None
    readouts[20:] = 0.0
    readouts[..., 0] = 1.0
    readouts[np.arange(40), :, 1 + identity] = bump               # the right identities: no error anywhere
    assert float(np.abs(prediction_summary(readouts, cue, latency, probability, 50.0, identity=identity)["errors"]).max()) == 0.0


# ----------------------------------------------------------------------------- error-modulated consolidation (issue 22)


def test_surprise_modulated_rate_is_the_base_rate_without_error_and_grows_with_it():
    from bioplastic.rules.three_factor import running_surprise, surprise_modulated_rate

    assert surprise_modulated_rate(4e-3, 0.0, gain=3.0, reference=0.5) == 4e-3
    assert surprise_modulated_rate(4e-3, 0.7, gain=0.0, reference=0.5) == 4e-3
    errors = np.linspace(0.0, 1.0, 21)
    surprise = [running_surprise(0.2, eps, error_trials=5.0) for eps in errors]
    rates = np.array([surprise_modulated_rate(4e-3, s, gain=2.0, reference=0.5) for s in surprise])
    assert np.all(np.diff(surprise) > 0) and np.all(np.diff(rates) > 0)
    np.testing.assert_allclose(rates, 4e-3 * (1 + 2.0 * np.asarray(surprise) / 0.5), rtol=1e-12)
    s, tau = 0.0, 7.0                                             # a constant error eps: S_n = eps (1 - exp(-n / tau))
    for n in range(1, 30):
        s = running_surprise(s, 0.4, error_trials=tau)
        assert s == pytest.approx(0.4 * (1 - np.exp(-n / tau)), rel=1e-12)


def _what_trials(learner, weights_what, inputs, outcomes, gated=15, steps=20):
    """Run trials of ``steps`` steps (the first ``gated`` gated) with the "what" weights fixed; end the block."""
    state = learner.init(len(weights_what))
    state = state._replace(weights=state.weights.at[WHAT].set(jnp.asarray(weights_what, jnp.float32)))
    for trial, outcome in enumerate(outcomes):
        for n in range(steps):
            x = jnp.asarray(inputs[trial, n], jnp.float32)
            state, _ = learner.step(state, x, signals(gate=float(n < gated), what=outcome, end=n == steps - 1))
    return state, learner.end_block(state, switch_next=False)


def test_error_modulated_consolidation_follows_its_closed_form():
    """rate = base (1 + gain S / reference), S the running mean of the trials' mean |y - z_what| over gated steps."""
    base, gain, reference, tau = 0.2, 1.5, 0.5, 3.0
    rng = np.random.default_rng(4)
    inputs, outcomes, w_what = rng.normal(size=(3, 20, 3)), [1.0, 0.0, 1.0], np.array([0.3, -0.1, 0.2])
    plain = ThreeFactorReadouts(WhatWhenSettings(what_learning_rate=base, when_learning_rate=1e-9, block_trials=3))
    modulated = ThreeFactorReadouts(dataclasses.replace(plain.settings, what_error_gain=gain,
                                                        what_error_reference=reference, what_error_trials=tau))
    before, after_plain = _what_trials(plain, w_what, inputs, outcomes)
    _, after = _what_trials(modulated, w_what, inputs, outcomes)
    s = 0.0
    for trial, outcome in enumerate(outcomes):
        eps = np.mean(np.abs(outcome - inputs[trial, :15] @ w_what))
        s = s + (1 - np.exp(-1 / tau)) * (eps - s)
    assert float(after.surprise) == pytest.approx(s, rel=1e-5)
    assert float(before.surprise) == float(after_plain.surprise) == 0.0                 # off: never tracked
    change_plain = np.asarray(after_plain.weights[WHAT] - before.weights[WHAT], np.float64)
    change = np.asarray(after.weights[WHAT] - before.weights[WHAT], np.float64)
    np.testing.assert_allclose(change, change_plain * (1 + gain * s / reference), rtol=1e-4)
    np.testing.assert_array_equal(after.weights[WHEN], after_plain.weights[WHEN])      # "when" is not modulated


def test_error_modulated_consolidation_without_error_is_the_base_rule_and_grows_with_the_error():
    x = np.broadcast_to(np.array([0.5, -1.0, 1.0]), (2, 20, 3))           # the last input is constant
    w_exact = np.array([0.0, 0.0, 1.0])                                   # z_what = 1 = the outcome: no error
    settings = WhatWhenSettings(what_learning_rate=0.3, when_learning_rate=1e-9, block_trials=2)
    on = ThreeFactorReadouts(dataclasses.replace(settings, what_error_gain=4.0, what_error_reference=0.25))
    _, exact_on = _what_trials(on, w_exact, x, [1.0, 1.0])
    _, exact_off = _what_trials(ThreeFactorReadouts(settings), w_exact, x, [1.0, 1.0])
    assert float(exact_on.surprise) == 0.0
    np.testing.assert_array_equal(exact_on.weights, exact_off.weights)
    ratios = []
    for error in (0.1, 0.3, 0.9):                                         # z_what = 1 - error on every gated step
        w = w_exact * (1 - error)
        _, with_gain = _what_trials(on, w, x, [1.0, 1.0])
        _, without = _what_trials(ThreeFactorReadouts(settings), w, x, [1.0, 1.0])
        ratios.append(float((with_gain.weights[WHAT, 2] - w[2]) / (without.weights[WHAT, 2] - w[2])))
        s = error * (1 - np.exp(-2 / settings.what_error_trials))        # two trials of constant error
        assert ratios[-1] == pytest.approx(1 + 4.0 * s / 0.25, rel=1e-4)
    assert ratios[0] < ratios[1] < ratios[2]


def test_a_toy_run_with_an_identity_switch_and_error_modulated_consolidation_completes(tmp_path):
    import json

    from bioplastic.experiments import run_protocol
    from bioplastic.runs import read_npz
    from toy_protocols import ROOT, TOY

    overrides = TOY["three_factor_what_when"] + [
        "prediction.learners=['three_factor', 'force']", "prediction.readout.what_error_gain=2.0",
        'prediction.task.outcomes=["X", "Y"]', 'prediction.task.switch={outcomes=["Y", "X"]}']
    run_dir = run_protocol(ROOT / "protocols" / "three_factor_what_when.toml", tmp_path, overrides=overrides,
                           progress=False)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert np.all(np.isfinite(metrics["details"]["three_factor"]["mean_errors"]))
    for learner in ("three_factor", "force"):
        data = read_npz(run_dir / f"readouts_{learner}_seed1.npz")
        assert data["readouts"].shape == (8, 1000, 3) and data["weights"].shape == (3, 51)
        np.testing.assert_array_equal(data["identity"], np.where(np.arange(8) < 4, data["cue"], 1 - data["cue"]))
