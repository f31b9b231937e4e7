"""The schema of a distal-reward protocol (a ``[distal_reward]`` table): Izhikevich (2007), Fig. 1.

Every key but ``seconds`` is a constant of
:class:`~bioplastic.networks.distal_reward.DistalRewardConfig` and takes its default from
there (the paper's values, and ``daspnet.m``'s where the paper is silent), so a protocol
names only what it changes.

Example
-------
>>> spec = DistalRewardSpec(seconds=60, max_delay_ms=1)
>>> spec.seconds, spec.n_exc, spec.max_delay_ms, spec.coincidence_window_ms       # s, neurons, ms, ms
(60, 800, 1, 10)
"""

from __future__ import annotations

from pydantic import Field

from bioplastic.networks.distal_reward import DistalRewardConfig
from bioplastic.protocol.schema import ExperimentProtocol, Strict

_PAPER = DistalRewardConfig()


class DistalRewardSpec(Strict):
    """The network, the reward and the learning rule of the distal-reward experiment, and its model time.

    Times in ms (whole numbers: the step is 1 ms) except ``seconds``; weights and currents
    in mV per 1-ms step; dopamine in the code's concentration units. The checks that join
    several keys (``max_delay_ms`` divides ``synapses_per_neuron``, the chosen synapse's
    delay exists, ...) are the network's own, reported at the key.

    Example
    -------
    >>> DistalRewardSpec(seconds=0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for DistalRewardSpec
    seconds
      Input should be greater than or equal to 1 [type=greater_than_equal, input_value=0, input_type=int]
    ...
    """

    seconds: int = Field(3600, ge=1, description="model time (s), run in 1-s compiled chunks; the paper: one hour")
    n_exc: int = Field(_PAPER.n_exc, ge=2, description="regular-spiking excitatory neurons")
    n_inh: int = Field(_PAPER.n_inh, ge=1, description="fast-spiking inhibitory neurons")
    synapses_per_neuron: int = Field(_PAPER.synapses_per_neuron, ge=1, description="distinct targets of every neuron")
    max_delay_ms: int = Field(_PAPER.max_delay_ms, ge=1, description="excitatory delays 1 .. max_delay_ms (daspnet.m: 1)")
    exc_weight: float = Field(_PAPER.exc_weight, ge=0, description="initial excitatory weight (mV)")
    inh_weight: float = Field(_PAPER.inh_weight, description="fixed inhibitory weight (mV)")
    chosen_weight: float = Field(_PAPER.chosen_weight, ge=0, description="initial weight of the rewarded synapse (mV)")
    w_max: float = Field(_PAPER.w_max, ge=0, description="largest excitatory weight (mV)")
    noise_amplitude: float = Field(_PAPER.noise_amplitude, ge=0, description="thalamic input A (U(0, 1) - 0.5) per ms")
    coincidence_window_ms: int = Field(_PAPER.coincidence_window_ms, ge=1,
                                       description="rewarded lags of the post spike after the pre spike: 1 .. window")
    reward_delay_min_ms: int = Field(_PAPER.reward_delay_min_ms, ge=1, description="earliest reward after its pairing")
    reward_delay_max_ms: int = Field(_PAPER.reward_delay_max_ms, ge=1, description="latest reward after its pairing")
    reward_dopamine: float = Field(_PAPER.reward_dopamine, ge=0, description="dopamine released per reward")
    chosen_delay_ms: int = Field(_PAPER.chosen_delay_ms, ge=1, description="axonal delay of the rewarded synapse")
    a_plus: float = Field(_PAPER.a_plus, ge=0, description="STDP potentiation amplitude (eligibility units)")
    a_minus: float = Field(_PAPER.a_minus, ge=0, description="STDP depression amplitude (eligibility units)")
    tau_plus_ms: float = Field(_PAPER.tau_plus_ms, gt=0)
    tau_minus_ms: float = Field(_PAPER.tau_minus_ms, gt=0)
    tau_eligibility_ms: float = Field(_PAPER.tau_eligibility_ms, gt=0, description="tau_c of the eligibility trace")
    tau_dopamine_ms: float = Field(_PAPER.tau_dopamine_ms, gt=0, description="tau_d of the dopamine concentration")
    tonic_dopamine: float = Field(_PAPER.tonic_dopamine, ge=0, description="background dopamine (daspnet.m: 0.002)")
    learning_rate: float = Field(_PAPER.learning_rate, ge=0, description="weight units per (eligibility x dopamine x ms)")
    max_events: int = Field(_PAPER.max_events, ge=1, description="spike buffer of the event-driven delivery")

    def config(self) -> DistalRewardConfig:
        """The network's constants (raises the network's ``BadInput`` where keys do not fit together).

        Example
        -------
        >>> DistalRewardSpec(max_delay_ms=1).config().ring
        2
        """
        return DistalRewardConfig(**self.model_dump(exclude={"seconds"}))


class DistalRewardProtocol(ExperimentProtocol):
    """A distal-reward experiment (chosen by a [distal_reward] table).

    Example
    -------
    >>> protocol = DistalRewardProtocol.model_validate({"name": "dr", "distal_reward": {"seconds": 10}})
    >>> protocol.distal_reward.seconds, protocol.seed
    (10, 0)
    """

    distal_reward: DistalRewardSpec
