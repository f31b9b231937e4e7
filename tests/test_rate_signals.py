"""Poisson inputs whose rate follows a time-varying signal per group (rate_signal): statistics against closed forms."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bioplastic.experiments import validate_protocol
from bioplastic.protocol.errors import ProtocolError
from bioplastic.simulation.inputs import ModulatedPoisson, ornstein_uhlenbeck

SOURCES = """
name = "signals"
seed = 5
[simulation]
dt_ms = 1.0
duration_ms = {duration}
[model.populations.trains]
neuron = "spike_source"
size = {size}
[model.populations.others]
neuron = "spike_source"
size = 4
"""


def _validated(tmp_path, text, duration=1000.0, size=4):
    path = tmp_path / "p.toml"
    path.write_text(SOURCES.format(duration=duration, size=size) + text)
    return validate_protocol(path)


def _normal_pdf(z):
    return math.exp(-z * z / 2) / math.sqrt(2 * math.pi)


def _normal_cdf(z):
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def test_an_ornstein_uhlenbeck_signal_has_its_variance_and_exponential_autocorrelation():
    """<x(t) x(t + s)> = std^2 exp(-s / tau); the integral of the correlation (the correlation time) is tau."""
    tau_ms, sample_ms, std = 20.0, 1.0, 3.0
    x = np.asarray(ornstein_uhlenbeck(jax.random.PRNGKey(0), 200_000, 8, sample_ms, tau_ms, std), np.float64)
    # 8 x 200,000 samples, ~8 x 5,000 independent stretches of 2 tau: variance to ~1%, correlations to ~0.01
    assert np.var(x) == pytest.approx(std ** 2, rel=0.03)
    lags = np.arange(0, 81)
    correlation = np.array([np.mean(x[lag:] * x[:len(x) - lag]) for lag in lags]) / np.mean(x * x)
    np.testing.assert_allclose(correlation[:41], np.exp(-lags[:41] * sample_ms / tau_ms), atol=0.03)
    correlation_time = sample_ms * (correlation.sum() - 0.5)           # trapezoid of exp(-s / tau) from 0 to 4 tau
    assert correlation_time == pytest.approx(tau_ms * (1 - math.exp(-4)), rel=0.1)
    assert abs(np.corrcoef(x.T)[np.triu_indices(8, 1)]).max() < 0.05     # the signals are independent


def test_trains_fire_at_the_rectified_signal_s_mean_rate_and_follow_their_group_s_signal(tmp_path):
    """rate = rate_hz + max(0, mean_hz + x): mean rate_hz + m Phi(m / s) + s phi(m / s) (m = mean_hz, s = std_hz)."""
    rate_hz, mean_hz, std_hz, tau_ms, groups = 5.0, 10.0, 40.0, 20.0, 16
    experiment = _validated(tmp_path, f'''
[inputs.trains]
target = "trains"
type = "poisson"
rate_hz = {rate_hz}
current = 1.0
rate_signal = {{ groups = {groups}, tau_ms = {tau_ms}, std_hz = {std_hz}, mean_hz = {mean_hz} }}
''', duration=60000.0, size=160)
    (term,) = experiment.drive.currents["trains"]
    assert isinstance(term, ModulatedPoisson) and term.rates_hz.shape == (60000, groups)   # per group, not per neuron
    expected = rate_hz + mean_hz * _normal_cdf(mean_hz / std_hz) + std_hz * _normal_pdf(mean_hz / std_hz)
    spikes = np.asarray(jax.vmap(lambda n: term.at(n, 1.0))(jnp.arange(60000)), np.float32)
    # the time average of a signal over T = 60 s differs from its mean by ~ std sqrt(2 tau / T) (rectifying does
    # not add to that), and the 16 groups' signals are independent: s.e. 40 sqrt(0.04 / 60) / 4 = 0.26 Hz
    standard_error = std_hz * math.sqrt(2 * tau_ms / 60000.0) / math.sqrt(groups)
    assert spikes.mean() * 1000.0 == pytest.approx(expected, abs=4 * standard_error)
    # neuron k of 160 is in group k * 16 // 160 = k // 10; its spikes follow its group's rate
    by_group = spikes.reshape(60000, groups, 10).sum(axis=2)
    rates = np.asarray(term.rates_hz)
    own = [np.corrcoef(by_group[:, g], rates[:, g])[0, 1] for g in range(groups)]
    other = [np.corrcoef(by_group[:, g], rates[:, (g + 1) % groups])[0, 1] for g in range(groups)]
    assert min(own) > 0.2 and max(np.abs(other)) < 0.05


def test_the_summed_spikes_of_a_group_keep_the_signal_s_autocorrelation(tmp_path):
    """With the rectification far away (mean 100 Hz, s.d. 15 Hz) the rate is the OU signal itself: for lags s > 0
    the autocovariance of a group's summed spikes (N trains, steps of dt) is N^2 dt^2 std^2 exp(-s / tau) -- Poisson
    draws of different steps are independent, so only the rate's covariance remains."""
    n, std_hz, tau_ms, steps = 50, 15.0, 30.0, 200_000
    experiment = _validated(tmp_path, f'''
[inputs.trains]
target = "trains"
type = "poisson"
rate_hz = 0.0
current = 1.0
rate_signal = {{ tau_ms = {tau_ms}, std_hz = {std_hz}, mean_hz = 100.0 }}
''', duration=float(steps), size=n)
    (term,) = experiment.drive.currents["trains"]
    summed = np.asarray(jax.lax.map(lambda k: term.at(k, 1.0).sum(), jnp.arange(steps), batch_size=10_000), np.float64)
    summed -= summed.mean()
    lags = np.array([1, 10, 20, 30, 45, 60])
    covariance = np.array([np.mean(summed[lag:] * summed[:-lag]) for lag in lags])
    expected = (n * 1e-3 * std_hz) ** 2 * np.exp(-lags / tau_ms)
    # ~steps / (2 tau) = 3,300 independent stretches: the covariances are good to ~0.05 of the variance
    np.testing.assert_allclose(covariance, expected, atol=0.06 * expected[0])


def test_inputs_share_a_signal_wherever_their_signal_numbers_meet(tmp_path):
    """Group k of an input with seed s follows signal s + k: one group at seed 3 is the second of two at seed 2."""
    experiment = _validated(tmp_path, '''
[inputs.one]
target = "others"
type = "poisson"
rate_hz = 1.0
current = 1.0
rate_signal = { tau_ms = 50.0, std_hz = 30.0, seed = 3 }
[inputs.two]
target = "trains"
type = "poisson"
rate_hz = 1.0
current = 1.0
rate_signal = { groups = 2, tau_ms = 50.0, std_hz = 30.0, seed = 2 }
[inputs.own]
target = "trains"
type = "poisson"
rate_hz = 1.0
current = 1.0
rate_signal = { groups = 2, tau_ms = 50.0, std_hz = 30.0 }
''')
    one = np.asarray(experiment.drive.currents["others"][0].rates_hz)
    two, own = (np.asarray(term.rates_hz) for term in experiment.drive.currents["trains"])
    np.testing.assert_array_equal(one[:, 0], two[:, 1])
    assert not np.array_equal(two[:, 0], two[:, 1]) and not np.array_equal(own[:, 1], two[:, 1])
    assert np.asarray(experiment.drive.currents["trains"][0].groups).tolist() == [0, 0, 1, 1]


def test_a_signal_drawn_every_few_steps_is_held_between_samples_and_spares_the_neurons_not_reached(tmp_path):
    experiment = _validated(tmp_path, '''
[inputs.trains]
target = "trains"
type = "poisson"
rate_hz = 0.0
current = 1.0
neurons = [0, 2]
rate_signal = { tau_ms = 10.0, std_hz = 50.0, mean_hz = 400.0, sample_ms = 5.0 }
''', duration=2000.0)
    (term,) = experiment.drive.currents["trains"]
    assert term.rates_hz.shape == (400, 1) and term.steps_per_sample == 5
    assert np.asarray(term.groups).tolist() == [0, 1, 0, 1]                    # 1: not reached
    spikes = np.asarray(jax.vmap(lambda n: term.at(n, 1.0))(jnp.arange(2000)))
    assert not spikes[:, [1, 3]].any() and spikes[:, [0, 2]].mean() > 0.3


@pytest.mark.parametrize("text, message", [
    ('type = "constant"\ncurrent = 1.0\nrate_signal = { tau_ms = 50.0, std_hz = 10.0 }\n',
     "inputs.x.rate_signal: got RateSignalSpec(groups=1, tau_ms=50.0, std_hz=10.0, mean_hz=0.0, sample_ms=None, "
     "seed=None); allowed: no rate_signal: only poisson inputs take one, not 'constant'"),
    ('type = "poisson"\ncurrent = 1.0\nrate_signal = { tau_ms = 50.0, std_hz = 10.0 }\n',
     "inputs.x.rate_hz: got nothing; allowed: a value: poisson inputs need rate_hz"),
    ('type = "poisson"\nrate_hz = 5.0\ncurrent = 1.0\nrate_signal = { groups = 5, tau_ms = 50.0, std_hz = 10.0 }\n',
     "inputs.x.rate_signal.groups: got 5; allowed: at most 4, the neurons the input reaches"),
    ('type = "poisson"\nrate_hz = 5.0\ncurrent = 1.0\nrate_signal = { tau_ms = 50.0, std_hz = 10.0, sample_ms = 1.5 }\n',
     "inputs.x.rate_signal.sample_ms: got 1.5; allowed: a whole number of steps of dt_ms = 1 (nearest: 1 or 2 ms)"),
    ('type = "poisson"\nrate_hz = 5.0\ncurrent = 1.0\nstart_ms = 5.0\nrate_signal = { tau_ms = 50.0, std_hz = 10.0 }\n',
     "inputs.x.start_ms: got 5.0; allowed: no window: poisson inputs with a rate_signal last the whole run"),
    ('type = "poisson"\nrate_hz = 5.0\ncurrent = 1.0\ncorrelation = 0.2\nrate_signal = { tau_ms = 50.0, std_hz = 10.0 }\n',
     "inputs.x.correlation: got 0.2; allowed: no correlation: a rate_signal makes the trains of a group co-vary "
     "instead"),
    ('type = "poisson"\nrate_hz = 5.0\ncurrent = 1.0\nrate_signal = { tau_ms = 50.0, std_hz = 10.0, sample = 2.0 }\n',
     "inputs.x.rate_signal.sample: got an unknown key; allowed: groups, tau_ms, std_hz, mean_hz, sample_ms, seed "
     "(did you mean 'sample_ms'?)"),
    ('type = "poisson"\nrate_hz = 5.0\ncurrent = 1.0\nrate_signal = { tau = 50.0, std_hz = 10.0 }\n',
     "inputs.x.rate_signal.tau_ms: got nothing (the key is required); allowed: correlation time of each signal (ms)"),
    ('type = "poisson"\nrate_hz = 5.0\ncurrent = 1.0\nrate_signal = { tau_ms = 50.0, std_hz = -10.0 }\n',
     "inputs.x.rate_signal.std_hz: got -10.0; allowed: greater than or equal to 0"),
])
def test_bad_rate_signals_are_named_with_what_is_allowed(tmp_path, text, message):
    with pytest.raises(ProtocolError) as error:
        _validated(tmp_path, '[inputs.x]\ntarget = "trains"\n' + text)
    assert str(error.value).endswith(message)


def test_a_signal_that_would_need_two_spikes_in_a_step_is_refused(tmp_path):
    with pytest.raises(ProtocolError, match=r"inputs\.x\.rate_signal: got a signal that reaches [0-9.e+]+ Hz; "
                                            r"allowed: rates of at most 1000 Hz: one spike per step of dt_ms = 1 "
                                            r"\(a smaller std_hz or mean_hz\)$"):
        _validated(tmp_path, '[inputs.x]\ntarget = "trains"\ntype = "poisson"\nrate_hz = 5.0\ncurrent = 1.0\n'
                             'rate_signal = { tau_ms = 50.0, std_hz = 10.0, mean_hz = 2000.0 }\n')
