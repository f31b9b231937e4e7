"""Distal-reward protocols (a ``[distal_reward]`` table): Izhikevich (2007), dopamine-modulated STDP finds
the one rewarded synapse of a spiking network.

Example
-------
>>> KIND.table, KIND.plots
('distal_reward', ('distal_reward',))
"""

from bioplastic.experiments.distal_reward.build import DISTAL_REWARD_PLOTS, build_distal_reward_protocol
from bioplastic.experiments.distal_reward.run import DistalRewardWork
from bioplastic.experiments.distal_reward.schema import DistalRewardProtocol
from bioplastic.experiments.distal_reward.size import estimate_distal_reward
from bioplastic.experiments.kind import Kind


def _build(protocol, file, data_dir=None):
    return build_distal_reward_protocol(protocol, file)


def _summary(experiment) -> str:
    c, spec = experiment.config, experiment.spec
    pre, _, post = (int(i) for i in experiment.params.chosen)
    return (f"{c.n_exc} + {c.n_inh} Izhikevich neurons, {c.synapses_per_neuron} synapses each (delays 1-{c.max_delay_ms} ms), "
            f"rewarded synapse {pre} -> {post}, {spec.seconds} s of 1-ms steps")


KIND = Kind("distal_reward", DistalRewardProtocol, _build, estimate_distal_reward,
            DistalRewardWork, _summary, tuple(DISTAL_REWARD_PLOTS),
            "dopamine-modulated STDP finding one rewarded synapse in an Izhikevich network (Izhikevich 2007)")
