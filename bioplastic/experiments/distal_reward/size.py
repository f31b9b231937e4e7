"""The size of a distal-reward protocol before it is built: the synapses' arrays, and its 1-ms steps.

Example
-------
>>> from bioplastic.experiments.distal_reward.schema import DistalRewardProtocol
>>> estimate = estimate_distal_reward(DistalRewardProtocol.model_validate({"name": "dr", "distal_reward": {}}))
>>> estimate.steps, estimate.largest                  # an hour of 1-ms steps
(3600000, 'distal_reward.synapses_per_neuron')
"""

from __future__ import annotations

from bioplastic.experiments.distal_reward.schema import DistalRewardProtocol
from bioplastic.experiments.size import FLOAT32, Estimate

SYNAPSE_ARRAYS = 8          # targets, delays, weights, eligibility, its update, the weights' copies on the host
HISTORY_VALUES = 12         # per simulated second: the chosen weight, rank, percentile, 5 percentiles, 2 rates, 2 counts


def estimate_distal_reward(protocol: DistalRewardProtocol) -> Estimate:
    """Memory per key path and 1-ms steps of a distal-reward protocol.

    Parts: every synapse's arrays (``synapses_per_neuron``), the rings of arriving currents
    and past spikes (``max_delay_ms``), the pending rewards (``reward_delay_max_ms``) and the
    history, one row per simulated second (``seconds``).
    """
    spec = protocol.distal_reward
    neurons = spec.n_exc + spec.n_inh
    memory = {
        "distal_reward.synapses_per_neuron": SYNAPSE_ARRAYS * neurons * spec.synapses_per_neuron * FLOAT32,
        "distal_reward.max_delay_ms": 2 * (spec.max_delay_ms + 1) * (neurons + 1) * FLOAT32,
        "distal_reward.reward_delay_max_ms": (spec.reward_delay_max_ms + 1) * FLOAT32,
        "distal_reward.seconds": HISTORY_VALUES * spec.seconds * FLOAT32,
    }
    return Estimate(memory, 1000 * spec.seconds, "distal_reward.seconds", "time steps")
