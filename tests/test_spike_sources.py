"""Afferent spike trains and inputs for plasticity experiments: spike sources, correlated Poisson
trains, periodic pulses, random patterns, Gaussian draws, drawn weights and recorded weights."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bioplastic.analysis import spike_recordings
from bioplastic.experiments import run_protocol, validate_protocol
from bioplastic.protocol.errors import ProtocolError
from bioplastic.runs import read_npz
from bioplastic.simulation import Periodic, Poisson, drive_at

SOURCES = """
name = "sources"
seed = 3
[simulation]
dt_ms = 1.0
duration_ms = {duration}
[model.populations.trains]
neuron = "spike_source"
size = {size}
[recordings.spikes]
population = "trains"
variable = "spike"
format = "dense"
"""


def _protocol(tmp_path, text, duration=1000.0, size=2, name="p.toml"):
    path = tmp_path / name
    path.write_text(SOURCES.format(duration=duration, size=size) + text)
    return path


def _spikes(tmp_path, path):
    run_dir = run_protocol(path, tmp_path / "runs", progress=False)
    return np.asarray(spike_recordings(read_npz(run_dir / "recordings.npz"))["spikes"])


def test_a_spike_source_fires_exactly_at_its_periodic_input(tmp_path):
    path = _protocol(tmp_path, '[inputs.pulses]\ntarget = "trains"\ntype = "periodic"\nrate_hz = 50.0\n'
                               'current = 1.0\nstart_ms = 3.0\nstop_ms = 100.0\nneurons = [1]\n', duration=200.0)
    spikes = _spikes(tmp_path, path)
    assert spikes.shape == (200, 2)
    assert np.flatnonzero(spikes[:, 1]).tolist() == list(range(3, 100, 20))     # every 20 ms from 3 ms, off at 100
    assert not spikes[:, 0].any()


def test_correlated_poisson_trains_have_their_rate_and_pairwise_correlation():
    rate_hz, c, dt, steps = 20.0, 0.3, 1.0, 40_000
    trains = Poisson(rate_hz=rate_hz, shape=40, key=jax.random.PRNGKey(7), correlation=c)
    counts = np.asarray(jax.vmap(lambda n: trains.at(n, dt))(jnp.arange(steps)))
    rates = counts.mean(axis=0) * 1000.0 / dt
    # 800 expected spikes per train: a Poisson count's s.d. is 28, so 5 s.d. is 3.5 Hz
    assert np.all(np.abs(rates - rate_hz) < 3.5)
    # the multiple interaction process: the counts in one step of two trains correlate by c
    correlation = np.corrcoef(counts.T)[np.triu_indices(40, 1)]
    assert abs(correlation.mean() - c) < 0.02
    independent = Poisson(rate_hz=rate_hz, shape=40, key=jax.random.PRNGKey(7))
    counts = np.asarray(jax.vmap(lambda n: independent.at(n, dt))(jnp.arange(steps)))
    assert abs(np.corrcoef(counts.T)[np.triu_indices(40, 1)].mean()) < 0.01


def test_independent_poisson_trains_are_unchanged_by_the_correlation_option():
    key = jax.random.PRNGKey(1)
    for n in range(5):
        old = (jax.random.uniform(jax.random.fold_in(key, n), (6,)) < 0.3).astype(jnp.float32)
        assert np.array_equal(Poisson(rate_hz=300.0, shape=6, key=key).at(jnp.asarray(n), 1.0), old)


def test_a_periodic_input_pulses_every_period_inside_its_window():
    pulses = Periodic(jnp.array([2.0]), period_steps=4, start_step=2, stop_step=15)
    values = [float(drive_at(pulses, n, 0.1)[0]) for n in range(20)]
    assert [n for n, v in enumerate(values) if v] == [2, 6, 10, 14] and set(values) == {0.0, 2.0}


def test_periodic_pulses_of_a_width_are_the_sum_of_shifted_one_step_trains():
    wide = Periodic(jnp.array([2.0]), period_steps=5, start_step=2, stop_step=19, width_steps=3)
    shifted = [Periodic(jnp.array([2.0]), period_steps=5, start_step=2 + k, stop_step=19) for k in range(3)]
    for n in range(25):
        assert float(drive_at(wide, n, 0.1)[0]) == sum(float(drive_at(train, n, 0.1)[0]) for train in shifted)
    assert [n for n in range(25) if float(drive_at(wide, n, 0.1)[0])] == [2, 3, 4, 7, 8, 9, 12, 13, 14, 17, 18]


def test_patterns_are_shown_one_per_presentation_and_chosen_uniformly(tmp_path):
    patterns = [[1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 3.0]]
    path = _protocol(tmp_path, f'''
[model.populations.inputs]
neuron = "rate"
size = 4
options = {{ activation = "linear", leaky = false }}
[inputs.patterns]
target = "inputs"
type = "patterns"
patterns = {patterns}
presentation_ms = 5.0
current = 2.0
neurons = [0, 1, 3]
[recordings.rates]
population = "inputs"
variable = "rate"
''', duration=15000.0)
    rates = np.asarray(read_npz(run_protocol(path, tmp_path / "runs", progress=False) / "recordings.npz")["rates"])
    held = rates.reshape(-1, 5, 4)
    assert np.all(held == held[:, :1])                              # each pattern is held for 5 ms
    shown = held[:, 0]
    assert not shown[:, 2].any()                                     # neuron 2 is not reached
    table = 2.0 * np.asarray(patterns)
    which = [int(np.flatnonzero((table == row[[0, 1, 3]]).all(axis=1))[0]) for row in shown]
    counts = np.bincount(which, minlength=3)
    assert counts.sum() == 3000 and np.all(np.abs(counts - 1000) < 5 * np.sqrt(3000 * (1 / 3) * (2 / 3)))


def test_gaussian_draws_have_the_mean_and_covariance_asked_for(tmp_path):
    mean, covariance = [1.0, -2.0], [[2.0, 1.2], [1.2, 1.0]]
    path = _protocol(tmp_path, f'''
[model.populations.inputs]
neuron = "rate"
size = 2
options = {{ activation = "linear", leaky = false }}
[inputs.noise]
target = "inputs"
type = "gaussian"
mean = {mean}
covariance = {covariance}
presentation_ms = 1.0
current = 1.0
''', duration=20000.0)
    term = validate_protocol(path).drive.currents["inputs"][0]
    draws = np.asarray(term.values)
    assert draws.shape == (20000, 2)
    # 20,000 draws: the sample mean's s.d. is at most 0.01, the covariance's about 0.02
    np.testing.assert_allclose(draws.mean(axis=0), mean, atol=0.05)
    np.testing.assert_allclose(np.cov(draws.T), covariance, atol=0.1)


def test_drawn_weights_are_per_synapse_reproducible_and_recorded_over_time(tmp_path):
    path = _protocol(tmp_path, '''
[model.populations.cell]
neuron = "lif"
size = 2
[model.projections.plastic]
pre = "trains"
post = "cell"
weight = { distribution = "uniform", low = 0.5, high = 1.5 }
connectivity = { type = "dense" }
plasticity = { rule = "stdp", params = { a_plus = 0.5, a_minus = 0.1, w_min = 0.0, w_max = 20.0 } }
[inputs.drive]
target = "trains"
type = "poisson"
rate_hz = 100.0
current = 1.0
[inputs.cell]
target = "cell"
type = "constant"
current_mv = 30.0
[recordings.w]
projection = "plastic"
variable = "weight"
stride = 100
''', duration=1000.0, size=50)
    initial = np.asarray(validate_protocol(path).params["projections"]["plastic"].weights)
    assert initial.shape == (50, 2) and np.all((initial >= 0.5) & (initial <= 1.5))
    assert len(np.unique(initial)) == initial.size                 # one draw per synapse
    np.testing.assert_array_equal(initial, validate_protocol(path).params["projections"]["plastic"].weights)
    run_dir = run_protocol(path, tmp_path / "runs", progress=False)
    recorded = np.asarray(read_npz(run_dir / "recordings.npz")["w"])
    assert recorded.shape == (10, 50, 2)
    np.testing.assert_array_equal(recorded[-1], read_npz(run_dir / "weights.npz")["plastic.weights"])
    assert not np.array_equal(recorded[0], initial)                # the weights move while they are recorded


@pytest.mark.parametrize("text, message", [
    ('[inputs.x]\ntarget = "trains"\ntype = "constant"\ncurrent = 1.0\ncorrelation = 0.2\n',
     "inputs.x.correlation: got 0.2; allowed: no correlation: only poisson inputs take one, not 'constant'"),
    ('[inputs.x]\ntarget = "trains"\ntype = "periodic"\ncurrent = 1.0\n',
     "inputs.x.rate_hz: got nothing; allowed: a value: periodic inputs need rate_hz"),
    ('[inputs.x]\ntarget = "trains"\ntype = "periodic"\ncurrent = 1.0\nrate_hz = 3.0\n',
     "inputs.x.rate_hz: got 3.0; allowed: a rate whose period 1000 / rate_hz ms is a whole number of steps of "
     "dt_ms = 1 (nearest: 3.003 or 2.99401 Hz)"),
    ('[inputs.x]\ntarget = "trains"\ntype = "periodic"\ncurrent = 1.0\nrate_hz = 50.0\nwidth_ms = 25.0\n',
     "inputs.x.width_ms: got 25.0; allowed: at most the period 1000 / rate_hz = 20 ms"),
    ('[inputs.x]\ntarget = "trains"\ntype = "periodic"\ncurrent = 1.0\nrate_hz = 50.0\nwidth_ms = 2.5\n',
     "inputs.x.width_ms: got 2.5; allowed: a whole number of steps of dt_ms = 1 (nearest: 2 or 3 ms)"),
    ('[inputs.x]\ntarget = "trains"\ntype = "step"\ncurrent = 1.0\nwidth_ms = 2.0\n',
     "inputs.x.width_ms: got 2.0; allowed: no width_ms: only periodic inputs take one, not 'step'"),
    ('[inputs.x]\ntarget = "trains"\ntype = "poisson"\ncurrent = 1.0\nrate_hz = 100.0\ncorrelation = 0.05\n',
     "inputs.x.correlation: got 0.05; allowed: at least rate_hz * dt_ms / 1000 = 0.1: the shared mother train "
     "fires at rate_hz / correlation, at most once per step"),
    ('[inputs.x]\ntarget = "trains"\ntype = "patterns"\ncurrent = 1.0\npatterns = [[1.0, 0.0], [1.0]]\n'
     'presentation_ms = 2.0\n',
     "inputs.x.patterns[1]: got 1 values; allowed: 2, one per neuron the input reaches"),
    ('[inputs.x]\ntarget = "trains"\ntype = "patterns"\ncurrent = 1.0\npatterns = [[1.0, 0.0]]\n',
     "inputs.x.presentation_ms: got nothing; allowed: a value: patterns inputs need presentation_ms"),
    ('[inputs.x]\ntarget = "trains"\ntype = "gaussian"\ncurrent = 1.0\nmean = 0.0\ncovariance = [[1.0, 2.0], [2.0, 1.0]]\n'
     'presentation_ms = 1.0\n',
     "inputs.x.covariance: got a matrix that is not symmetric positive semidefinite; allowed: a covariance: "
     "symmetric, with no negative eigenvalue"),
    ('[inputs.x]\ntarget = "trains"\ntype = "gaussian"\ncurrent = 1.0\nmean = 0.0\ncovariance = [[1.0]]\n'
     'presentation_ms = 1.0\nstart_ms = 5.0\n',
     "inputs.x.start_ms: got 5.0; allowed: no window: gaussian inputs last the whole run"),
    ('[model.populations.cell]\nneuron = "rate"\nsize = 1\n[model.projections.p]\npre = "trains"\npost = "cell"\n'
     'weight = 1.0\nconnectivity = { type = "dense" }\nplasticity = { rule = "bcm" }\n'
     '[recordings.w]\nprojection = "p"\nvariable = "rule.thetas"\n',
     "recordings.w.variable: got 'rule.thetas'; allowed: one of the variables of projection 'p' (its weights, and "
     "the arrays of its rule's state): weight, rule.theta (did you mean 'rule.theta'?)"),
    ('[recordings.w]\nprojection = "none"\nvariable = "weight"\n',
     "recordings.w.projection: got 'none'; allowed: one of the plastic projections (with a [plasticity] table): "
     "(none defined)"),
])
def test_bad_inputs_and_weight_recordings_are_named_with_what_is_allowed(tmp_path, text, message):
    with pytest.raises(ProtocolError) as error:
        validate_protocol(_protocol(tmp_path, text, size=2))
    assert str(error.value).endswith(message)


def test_a_rule_state_field_is_recorded_over_time(tmp_path):
    """BCM's threshold under a constant response y = 2 follows y^2 (1 - exp(-t / tau_theta)) (its closed form)."""
    path = _protocol(tmp_path, '''
[model.populations.cell]
neuron = "rate"
size = 1
options = { activation = "linear", leaky = false }
[model.projections.p]
pre = "trains"
post = "cell"
weight = 1.0
connectivity = { type = "dense" }
plasticity = { rule = "bcm", params = { tau_theta_ms = 50.0 } }
[inputs.response]
target = "cell"
type = "constant"
current = 2.0
[recordings.theta]
projection = "p"
variable = "rule.theta"
stride = 10
''', duration=200.0)
    theta = np.asarray(read_npz(run_protocol(path, tmp_path / "runs", progress=False) / "recordings.npz")["theta"])
    t_ms = 10.0 * np.arange(1, 21)
    np.testing.assert_allclose(theta[:, 0], 4.0 * (1 - np.exp(-t_ms / 50.0)), rtol=1e-5)


def test_a_poisson_input_is_on_only_between_its_start_and_stop(tmp_path):
    path = _protocol(tmp_path, '[inputs.trains]\ntarget = "trains"\ntype = "poisson"\nrate_hz = 500.0\ncurrent = 1.0\n'
                               'start_ms = 100.0\nstop_ms = 300.0\n', duration=400.0, size=20)
    spikes = _spikes(tmp_path, path)
    assert not spikes[:100].any() and not spikes[300:].any()
    # 20 trains at 500 Hz for 200 ms: 2000 spikes expected, s.d. 32
    assert abs(spikes[100:300].sum() - 2000) < 5 * np.sqrt(2000)
