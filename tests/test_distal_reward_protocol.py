"""The distal-reward protocol kind: the same run as the recipe's, a minute per unit (its resume is in test_runner)."""

import json

import jax
import numpy as np
import pytest

from bioplastic.experiments import run_protocol, validate_protocol
from bioplastic.networks.distal_reward import build_distal_reward, run_seconds
from bioplastic.runs import read_npz

from toy_protocols import ROOT, TOY

PROTOCOL = ROOT / "protocols" / "distal_reward_izhikevich2007.toml"
SMALL = TOY["distal_reward_izhikevich2007"]          # 80 + 20 neurons, 20 synapses each, 70 s: two units (60 s + 10 s)


def test_the_protocol_runs_the_recipe_step_for_step(tmp_path):
    run_dir = run_protocol(PROTOCOL, tmp_path, SMALL, progress=False)
    experiment = validate_protocol(PROTOCOL, SMALL)
    model, params = build_distal_reward(jax.random.PRNGKey(0), experiment.config)      # the protocol's seed
    state, history = run_seconds(model, params, model.init(params), 70)
    saved = read_npz(run_dir / "history.npz")
    for name, values in history.items():
        np.testing.assert_array_equal(saved[name], np.asarray(values), err_msg=name)
    weights = read_npz(run_dir / "weights.npz")
    np.testing.assert_array_equal(weights["excitatory"], np.asarray(state.weights))
    np.testing.assert_array_equal(weights["chosen"], np.asarray(params.chosen))
    metrics = json.loads((run_dir / "metrics.json").read_text())
    pre, slot, post = (int(i) for i in params.chosen)
    assert metrics["chosen_final_weight_mv"] == pytest.approx(float(state.weights[pre, slot]))
    assert (metrics["chosen_pre"], metrics["chosen_post"]) == (pre, post)
    assert metrics["rewards_earned"] == len(history["earned_ms"]) and metrics["chosen_weight_at_60_min_mv"] is None
    assert sorted(path.name for path in run_dir.iterdir()) == [
        "chosen_synapse.png", "history.npz", "manifest.json", "metrics.json", "protocol.toml", "weights.npz"]


def test_the_size_estimate_counts_an_hour_of_one_millisecond_steps():
    from bioplastic.experiments.distal_reward.size import estimate_distal_reward
    from bioplastic.experiments import load_protocol

    protocol, _ = load_protocol(PROTOCOL)
    estimate = estimate_distal_reward(protocol)
    assert estimate.steps == 3600 * 1000
    assert estimate.memory["distal_reward.synapses_per_neuron"] == 8 * 1000 * 100 * 4     # 8 float32 arrays per synapse
