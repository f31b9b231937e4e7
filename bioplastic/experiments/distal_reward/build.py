"""Building a distal-reward protocol: its constants checked at their keys, the network drawn from the seed.

Example
-------
>>> from bioplastic.experiments.distal_reward.schema import DistalRewardProtocol
>>> protocol = DistalRewardProtocol.model_validate({"name": "dr", "distal_reward": {"seconds": 90}})
>>> experiment = build_distal_reward_protocol(protocol, "dr.toml")
>>> experiment.config.n_exc * experiment.config.synapses_per_neuron, experiment.blocks_s     # synapses; 1-min units
(80000, [60, 30])
"""

from __future__ import annotations

import dataclasses

import jax

from bioplastic._checks import BadInput
from bioplastic.experiments.distal_reward.schema import DistalRewardProtocol, DistalRewardSpec
from bioplastic.networks.distal_reward import DistalReward, DistalRewardConfig, DistalRewardParams, build_distal_reward
from bioplastic.protocol.checker import Checker, plots_of_kind
from bioplastic.protocol.components import PLOTS
from bioplastic.protocol.errors import relocate

DISTAL_REWARD_PLOTS = {       # plot type -> (what it needs, description), registered in the protocol's PLOTS
    "distal_reward": ("distal_reward", "the chosen weight and its rank over time, the final weights, rewards and rates"),
}
for _name, (_needs, _description) in DISTAL_REWARD_PLOTS.items():
    PLOTS.register(_name, _needs, _description)

UNIT_S = 60                 # one unit of work (a checkpoint, a history file): a minute of model time

@dataclasses.dataclass(frozen=True)
class DistalRewardExperiment:
    """A checked distal-reward protocol: its constants and the network drawn from its seed.

    ``blocks_s`` are the units of work: a minute of model time each, the last one shorter
    when ``seconds`` is not a whole number of minutes.
    """

    protocol: DistalRewardProtocol
    config: DistalRewardConfig
    model: DistalReward
    params: DistalRewardParams

    @property
    def spec(self) -> DistalRewardSpec:
        """The protocol's ``[distal_reward]`` table, defaults filled in."""
        return self.protocol.distal_reward

    @property
    def blocks_s(self) -> list:
        """Model seconds of each unit of work.

        Example
        -------
        >>> from bioplastic.experiments.distal_reward.schema import DistalRewardProtocol
        >>> protocol = DistalRewardProtocol.model_validate({"name": "dr", "distal_reward": {"seconds": 120}})
        >>> build_distal_reward_protocol(protocol, "dr.toml").blocks_s
        [60, 60]
        """
        seconds = self.spec.seconds
        return [min(UNIT_S, seconds - start) for start in range(0, seconds, UNIT_S)]


def build_distal_reward_protocol(protocol: DistalRewardProtocol, file: str) -> DistalRewardExperiment:
    """Check a distal-reward protocol (every problem at its key) and draw its network from ``seed``.

    Raises
    ------
    ProtocolError
        The first problem found, located by ``file`` and key path.

    Example
    -------
    >>> from bioplastic.experiments.distal_reward.schema import DistalRewardProtocol
    >>> protocol = DistalRewardProtocol.model_validate({"name": "dr", "distal_reward": {"max_delay_ms": 30}})
    >>> build_distal_reward_protocol(protocol, "dr.toml")
    Traceback (most recent call last):
    ...
    bioplastic.protocol.errors.ProtocolError: dr.toml: distal_reward.max_delay_ms: got 30; allowed: a divisor of synapses_per_neuron = 100 (each delay takes the same number of synapses)
    """
    check = Checker(file)
    spec = protocol.distal_reward
    try:
        config = spec.config()
        model, params = build_distal_reward(jax.random.PRNGKey(protocol.seed), config)
    except BadInput as error:
        fields = DistalRewardSpec.model_fields                 # the network's checks name its constants, the table's keys
        raise relocate(error, file, f"distal_reward.{error.where}" if error.where in fields else "distal_reward") from None
    plots_of_kind(check, protocol.plots, PLOTS, DISTAL_REWARD_PLOTS, "distal_reward")
    return DistalRewardExperiment(protocol, config, model, params)
