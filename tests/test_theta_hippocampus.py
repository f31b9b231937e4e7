"""Experiments of the theta-gated hippocampal model: the measures, the relay layers, the protocol pieces."""

import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bioplastic._checks import BadInput
from bioplastic.analysis.theta import (
    autocorrelation,
    autocorrelation_time,
    circulant_correlation,
    decode_positions,
    decoding_error,
    integration_gain,
    rate_maps,
    ring_displacement,
    smoothed_loss,
    sort_by_field_peak,
)
from bioplastic.data.synthetic import gp_latents, place_cells, track_agent
from bioplastic.networks.theta_network import RelayLayer, ThetaConnection, ThetaLayer, ThetaNetwork
from bioplastic.experiments.theta.build import initial_weights

# ----------------------------------------------------------------------------- measures


def test_smoothed_loss_is_the_exponential_moving_average():
    rng = np.random.default_rng(0)
    loss, dt_ms, tau_s = rng.random(500), 25.0, 2.0
    alpha = dt_ms / (1000 * tau_s)
    expected = [loss[0]]
    for value in loss[1:]:
        expected.append(expected[-1] + alpha * (value - expected[-1]))
    np.testing.assert_allclose(smoothed_loss(loss, dt_ms, tau_s), expected, rtol=1e-12)


@pytest.mark.parametrize("timescale_ms", [500.0, 1000.0])
def test_autocorrelation_time_of_gaussian_process_latents_is_their_length_scale(timescale_ms):
    latents = gp_latents(jax.random.PRNGKey(1), 20, 40000, dt_ms=25.0, timescale_ms=timescale_ms)
    curve = autocorrelation(np.asarray(latents), 200)
    lags = np.arange(201) * 25.0
    np.testing.assert_allclose(curve, np.exp(-lags**2 / (2 * timescale_ms**2)), atol=0.05)
    assert autocorrelation_time(curve, 25.0) == pytest.approx(timescale_ms, rel=0.05)


def test_white_noise_has_no_autocorrelation_and_constant_activity_is_rejected():
    noise = np.random.default_rng(1).normal(size=(20000, 3))
    curve = autocorrelation(noise, 5)
    assert curve[0] == pytest.approx(1.0) and np.abs(curve[1:]).max() < 0.03
    assert np.isnan(autocorrelation_time(np.ones(10), 25.0))          # never decays
    with pytest.raises(BadInput, match="activity: got constant activity"):
        autocorrelation(np.ones((100, 2)), 5)


def test_place_cells_decode_their_own_positions_whatever_the_gain():
    track = track_agent(jax.random.PRNGKey(2), 20000, dt_ms=25.0)
    positions = np.asarray(track.positions_m)
    cells = np.asarray(place_cells(track.positions_m, 50, 0.05, 1.0).activity)
    maps = rate_maps(cells, positions, 1.0, 100)
    assert maps.shape == (100, 50)
    error = decoding_error(decode_positions(maps, cells, 1.0), positions, 1.0)
    assert error.max() <= 0.01                                        # within one bin
    np.testing.assert_array_equal(decode_positions(maps, 3.0 * cells + 1.0, 1.0), decode_positions(maps, cells, 1.0))
    with pytest.raises(BadInput, match="positions_m: got no sample in 90 of 100 bins"):
        rate_maps(cells[:10], np.linspace(0.0, 0.49, 10), 1.0, 100)


def test_circulant_correlation_is_one_for_any_ring_and_near_zero_without_one():
    n = 40
    offset = (np.arange(n)[None, :] - np.arange(n)[:, None]) % n
    shifted_bump = np.exp(-0.5 * (np.minimum((offset - 3) % n, (3 - offset) % n) / 2.0) ** 2)
    assert circulant_correlation(shifted_bump) == pytest.approx(1.0)
    assert circulant_correlation(5.0 * shifted_bump - 1.0) == pytest.approx(1.0)
    noise = np.random.default_rng(3).normal(size=(n, n))
    assert abs(circulant_correlation(noise)) < 0.3
    noisier = [circulant_correlation(shifted_bump + scale * noise) for scale in (0.05, 0.2, 0.5)]
    assert noisier[0] > 0.9 and noisier[0] > noisier[1] > noisier[2] > abs(circulant_correlation(noise))
    with pytest.raises(BadInput, match=r"weights: got shape \(3, 4\)"):
        circulant_correlation(np.zeros((3, 4)))


def test_units_are_sorted_by_field_peak_and_silent_ones_left_out():
    maps = np.zeros((10, 4))
    maps[7, 0], maps[2, 1], maps[5, 3] = 1.0, 0.8, 0.5         # unit 2 never fires
    assert sort_by_field_peak(maps, 0.1).tolist() == [1, 3, 0]


def _paths(episodes: int, seconds: float, length_m: float = 1.0) -> np.ndarray:
    """Agents' paths on the ring (m, episodes x steps of 25 ms), each from its own key."""
    tracks = [track_agent(jax.random.PRNGKey(k), int(seconds * 40), dt_ms=25.0, length_m=length_m)
              for k in range(episodes)]
    return np.stack([np.asarray(track.positions_m, np.float64) for track in tracks])


@pytest.mark.parametrize("length_m", [1.0, 2.5])
def test_integration_gain_of_closed_form_decoders(length_m):
    true = _paths(4, 20.0, length_m)                                 # 20 s at 0.5 m/s: the paths go round the ring
    moved = ring_displacement(true, length_m)
    assert np.abs(moved).max() > length_m
    np.testing.assert_allclose(np.mod(true[:, :1] + moved, length_m), true, atol=1e-12)     # it is the path, unwrapped
    assert np.abs(np.diff(moved, axis=1)).max() < 0.05                                     # and moves < 5 cm a step
    start = np.random.default_rng(0).uniform(0.0, length_m, (4, 1))  # wherever the decoder was at removal
    following = {1.0: true, 0.5: start + 0.5 * moved, -1.0: start - moved, 0.0: np.repeat(start, true.shape[1], 1)}
    for gain, decoded in following.items():
        wrapped = np.mod(decoded, length_m)
        assert integration_gain(wrapped, true, length_m) == pytest.approx(gain, abs=1e-9)
        np.testing.assert_allclose(integration_gain(wrapped, true, length_m, per_episode=True), gain, atol=1e-9)
        assert integration_gain(wrapped[0], true[0], length_m) == pytest.approx(gain, abs=1e-9)    # one episode
    offset = np.mod(true + 0.3 * length_m, length_m)                 # a constant error at removal changes nothing
    assert integration_gain(offset, true, length_m) == pytest.approx(1.0, abs=1e-9)


def test_pooled_integration_gain_weighs_each_episode_by_its_squared_displacement():
    true = _paths(2, 5.0)
    decoded = np.stack([true[0], np.full(true.shape[1], true[1, 0])])     # episode 0 integrates, episode 1 stays
    power = np.sum(ring_displacement(true, 1.0) ** 2, axis=1)
    assert integration_gain(decoded, true, 1.0) == pytest.approx(power[0] / power.sum(), rel=1e-9)
    np.testing.assert_allclose(integration_gain(decoded, true, 1.0, per_episode=True), [1.0, 0.0], atol=1e-9)


def test_integration_gain_of_a_still_path_is_nan_and_bad_shapes_are_refused():
    still = np.stack([np.full(10, 0.4), np.linspace(0.4, 0.6, 10)])
    gains = integration_gain(still, still, 1.0, per_episode=True)
    assert np.isnan(gains[0]) and gains[1] == pytest.approx(1.0)
    assert np.isnan(integration_gain(still[0], still[0], 1.0))
    with pytest.raises(BadInput, match=r"decoded_m, true_m: got shapes \(2, 10\) and \(10,\)"):
        integration_gain(still, still[0], 1.0)


# ----------------------------------------------------------------------------- relay layers


def test_conjunctive_velocity_cells_are_relu_of_ec_plus_minus_velocity_minus_threshold():
    n = 4
    net = ThetaNetwork(
        layers=(ThetaLayer("ec", n, basal_noise_sigma=0.0, apical_noise_sigma=0.0),
                RelayLayer("conjunctive", 2 * n, "relu", threshold=1.0)),
        connections=(ThetaConnection("drive", "x", "ec", "basal", plastic=False),
                     ThetaConnection("copy", "ec", "conjunctive", "basal", plastic=False),
                     ThetaConnection("direction", "velocity", "conjunctive", "basal", plastic=False)),
        inputs={"x": n, "velocity": 2})
    weights = {"drive": jnp.eye(n), "copy": initial_weights("identity", (2 * n, n)),
               "direction": initial_weights("direction", (2 * n, 2))}
    state = net.init(jax.random.PRNGKey(0), weights)
    ec, v = jnp.array([0.2, 0.5, 0.9, 0.0]), 0.3
    velocity_cells = jnp.array([max(v, 0.0), max(-v, 0.0)]) / 0.5          # relu(+-v) / 0.5: difference 2 v
    _, out = net.step(state, {"x": ec, "velocity": velocity_cells}, 0.0)
    expected = np.concatenate([np.maximum(ec + 2 * v - 1, 0), np.maximum(ec - 2 * v - 1, 0)])
    np.testing.assert_allclose(out["rates"]["conjunctive"], expected, atol=1e-6)
    assert set(out["mismatch"]) == {"ec"}                                   # relays have no compartments


def test_relay_layers_refuse_plastic_connections():
    with pytest.raises(BadInput, match="connection 'c'.plastic: got True onto relay layer 'r'; allowed: false"):
        ThetaNetwork(layers=(RelayLayer("r", 2),), connections=(ThetaConnection("c", "x", "r", "basal"),),
                     inputs={"x": 2})


def test_initial_weight_kinds():
    np.testing.assert_array_equal(initial_weights("identity", (6, 3)), np.vstack([np.eye(3), np.eye(3)]))
    np.testing.assert_array_equal(initial_weights("direction", (4, 2)), [[1, -1], [1, -1], [-1, 1], [-1, 1]])
    np.testing.assert_array_equal(initial_weights("zeros", (2, 3)), np.zeros((2, 3)))
    assert initial_weights("normal", (2, 3)) is None


def _ring_experiment(noise: bool, sigma: float):
    from bioplastic.experiments.theta.build import build_theta
    from bioplastic.experiments.theta.schema import ThetaProtocol

    return build_theta(ThetaProtocol(name="ring", theta={
        "track": {"n_place_cells": 8}, "layers": {"hpc": {"size": 8, "basal_noise_sigma": sigma,
                                                          "apical_noise_sigma": sigma}},
        "connections": {"sensory": {"pre": "place", "post": "hpc", "plastic": False, "init": "identity"},
                        "recurrent": {"pre": "hpc", "post": "hpc", "compartment": "apical"}},
        "test": {"spin_up_s": 1.0, "hold_s": 1.0, "episodes": 2, "errors_at_s": [0.5], "noise": noise}}), "ring.toml")


def test_a_test_without_noise_is_the_same_whatever_the_noise_the_network_trained_with():
    from bioplastic.experiments.theta.run import path_integration

    maps = np.repeat(np.eye(8), 2, axis=0)                  # 16 bins, unit i fires in eighth i of the ring
    decoders = {"template": lambda rates: decode_positions(maps, rates, 1.0)}
    errors = {}
    for noise in (False, True):
        for sigma in (0.0, 0.3):
            experiment = _ring_experiment(noise, sigma)
            state = experiment.initial_state(0)              # the OU noise already drawn differs with sigma
            errors[noise, sigma] = path_integration(experiment, 0, experiment.network, state, decoders)[0]["template"]
    np.testing.assert_array_equal(errors[False, 0.0], errors[False, 0.3])      # quiet: sigma no longer matters
    np.testing.assert_array_equal(errors[False, 0.0], errors[True, 0.0])       # and equals a network without noise
    assert not np.array_equal(errors[True, 0.3], errors[True, 0.0])            # with noise on it does


def test_the_ring_decoder_is_the_authors_gaussian_process_regression():
    """The kernel-ridge decoder equals scikit-learn's GaussianProcessRegressor with the kernel the authors' code gets."""
    sklearn = pytest.importorskip("sklearn.gaussian_process")
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel

    from bioplastic.analysis.ring_decoder import RingDecoder

    rng = np.random.default_rng(3)
    positions = rng.uniform(0.0, 1.0, 400)
    centres = np.linspace(0.0, 1.0, 30, endpoint=False)
    distance = np.abs((positions[:, None] - centres[None, :] + 0.5) % 1.0 - 0.5)
    rates = np.exp(-distance**2 / (2 * 0.08**2)) + 0.05 * rng.normal(size=distance.shape)
    test = rates[:50] + 0.05 * rng.normal(size=(50, 30))
    angle = 2 * np.pi * positions
    # scikit-learn <= 1.8's default kernel, fixed (1.9 optimises it): what the authors' unpinned call used
    gp = sklearn.GaussianProcessRegressor(kernel=ConstantKernel(1.0, "fixed") * RBF(1.0, "fixed"), alpha=1e-10,
                                          random_state=10).fit(rates, np.stack([np.cos(angle), np.sin(angle)], 1))
    decoder = RingDecoder.fit(rates, positions, length_m=1.0)
    np.testing.assert_allclose(decoder.predict(test), gp.predict(test), rtol=1e-6, atol=1e-8)
    expected = np.arctan2(*gp.predict(test)[:, ::-1].T) % (2 * np.pi) / (2 * np.pi)
    np.testing.assert_allclose(decoder.decode(test), expected, atol=1e-9)
    assert np.median(decoding_error(decoder.decode(test), positions[:50], 1.0)) < 0.02     # and it decodes


def test_the_ring_decoder_refuses_mismatched_data():
    from bioplastic.analysis.ring_decoder import RingDecoder

    with pytest.raises(BadInput, match=r"rates, positions_m: got shapes \(3, 2\) and \(4,\)"):
        RingDecoder.fit(np.zeros((3, 2)), np.zeros(4), 1.0)


# ----------------------------------------------------------------------------- the authors' ablations

PATH_INTEGRATION = pathlib.Path(__file__).parents[1] / "protocols" / "theta_path_integration.toml"
ABLATIONS = {   # the connection each ablation redraws -> its --set overrides (as in the protocol's header)
    "sensory": ["theta.connections.sensory.init=normal", "theta.connections.sensory.init_std=1.5"],
    "ec_copy": ["theta.connections.ec_copy.init=normal"],
    "infer": ["theta.connections.infer.init=identity"],
}


def _path_integration(overrides=()):
    from bioplastic.experiments import load_protocol
    from bioplastic.experiments.theta.build import build_theta

    return build_theta(load_protocol(PATH_INTEGRATION, overrides)[0], str(PATH_INTEGRATION))


@pytest.mark.parametrize("named", sorted(ABLATIONS))
def test_each_ablation_redraws_only_the_connection_it_names(named):
    intact, ablated = _path_integration(), _path_integration(ABLATIONS[named])
    before, after = intact.initial_state(1)["weights"], ablated.initial_state(1)["weights"]
    for name in before:
        if name != named:
            np.testing.assert_array_equal(after[name], before[name], err_msg=name)
    w, structured = np.asarray(after[named]), np.asarray(before[named])
    assert w.shape == structured.shape
    assert [(c.name, c.plastic) for c in ablated.network.connections] == [
        (c.name, c.plastic) for c in intact.network.connections]                     # what learns is unchanged
    if named == "infer":                      # the authors' 'remapping': HPC -> EC starts as a copy, then learns
        np.testing.assert_array_equal(w, np.eye(100))
        return
    spec = ablated.spec.connections[named]
    # random wiring: each unit's summed squared input weight is init_std**2 on average (the identity's is 1) ...
    assert np.mean(np.sum(w**2, axis=1)) == pytest.approx(spec.init_std**2, rel=0.1)
    assert np.mean(np.sum(structured**2, axis=1)) == 1.0
    # ... but no unit copies its partner any more
    assert abs(np.corrcoef(w.ravel(), structured.ravel())[0, 1]) < 0.05
    # and the environment's inputs (place and velocity cells) are those of the intact protocol
    key = intact.keys(1)["path"]
    for name, value in intact.environment(1, 40, key).inputs.items():
        np.testing.assert_array_equal(ablated.environment(1, 40, key).inputs[name], value, err_msg=name)


def test_the_commands_in_the_protocols_header_validate():
    import shlex

    from bioplastic.cli import main

    commands = [shlex.split(line.lstrip("# ")) for line in PATH_INTEGRATION.read_text().splitlines()
                if line.startswith("#") and "bioplastic run" in line and "--set" in line]
    found = [[arg for arg in command if "=" in arg] for command in commands]
    assert all(overrides in found for overrides in ABLATIONS.values())
    for command in commands:
        assert main(["validate", *command[2:]]) == 0, command


@pytest.mark.parametrize("setting, message", [
    ("theta.connections.ec_copy.init=random",
     "theta.connections.ec_copy.init: got 'random'; allowed: 'normal', 'zeros', 'identity' or 'direction'"),
    ("theta.connections.sensory.init_std=1.5",       # a random HPC input without init = normal would change nothing
     "theta.connections.sensory.init_std: got 1.5; allowed: no init_std: init 'identity' draws no weights "
     "(init = 'normal' draws them, s.d. init_std / sqrt(pre size))"),
])
def test_a_bad_ablation_setting_exits_2_with_its_message(setting, message, capsys):
    from bioplastic.cli import main

    assert main(["validate", str(PATH_INTEGRATION), "--set", setting]) == 2
    assert capsys.readouterr().err == f"error: {PATH_INTEGRATION}: {message}\n"
