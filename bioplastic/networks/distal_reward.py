"""The distal reward experiment (Izhikevich 2007, Fig. 1): one synapse out of 80 000 learns from rewards 1-3 s late.

Izhikevich, E. M. (2007). Solving the distal reward problem through linkage of STDP and
dopamine signaling. *Cerebral Cortex* 17(10), 2443-2452; with the MATLAB code published
beside it (``daspnet.m``), read for the details the paper leaves open.

- **Neurons** (Izhikevich 2003, its 1-ms step of two 0.5-ms half-steps for ``v``):
  ``n_exc = 800`` regular spiking ``(a, b, c, d) = (0.02, 0.2, -65, 8)`` and ``n_inh = 200``
  fast spiking ``(0.1, 0.2, -65, 2)``; every neuron starts at ``v = -65`` mV, ``u = b v``.
- **Synapses**: 100 per neuron, distinct targets drawn uniformly (``daspnet.m`` draws
  with replacement): an excitatory neuron onto any neuron, itself included, an inhibitory
  one onto excitatory neurons only (``daspnet.m``). Delta
  synapses: a spike adds the weight (mV, i.e. the paper's current units for one 1-ms step)
  to the target's input ``delay`` steps later. Excitatory weights start at 1 and stay in
  ``[0, 4]``; inhibitory weights are fixed at -1.
- **Delays**: each excitatory neuron has ``synapses_per_neuron / max_delay_ms`` synapses
  of each delay 1 .. ``max_delay_ms`` ms (its targets in random order, slot ``k`` with the
  delay ``1 + k // (synapses_per_neuron / max_delay_ms)``); inhibitory synapses take 1 ms.
  The issue asks for 1-20 ms (``max_delay_ms = 20``, the layout of Izhikevich's
  polychronization network ``spnet.m``); ``daspnet.m`` itself uses 1 ms everywhere
  (``max_delay_ms = 1``).
- **Thalamic input**: every neuron receives ``noise_amplitude * (U(0, 1) - 0.5)`` each ms
  (``daspnet.m``: ``I = 13 (rand - 0.5)``), drawn from the step number and a key.
- **Plasticity**: excitatory synapses follow dopamine-modulated STDP
  (:func:`~bioplastic.rules.dopamine_stdp.dopamine_stdp`), with presynaptic events at the
  spike's arrival at each synapse (after its own delay).
- **Reward** (:class:`CoincidenceReward`): a randomly chosen excitatory synapse
  ``pre -> post`` (between two excitatory neurons, with a delay of ``chosen_delay_ms``);
  every time ``post`` fires 1 .. ``coincidence_window_ms`` ms after the latest spike of
  ``pre``, a reward (``reward_dopamine`` of dopamine) is scheduled 1-3 s later. The
  chosen synapse starts at ``chosen_weight = 0`` (``daspnet.m``).

Why the chosen synapse has a 1-ms delay: the reward is earned by the *somatic* spike
times (post within 10 ms after pre), while STDP sees the spike's arrival at the synapse.
With a delay longer than 10 ms every rewarded pairing would be post-before-arrival, i.e.
depression, and the reward would weaken the synapse; ``daspnet.m`` has 1-ms delays only.

Why the network is not a :class:`~bioplastic.networks.network.Network`: its projections
have one delay each and its rules see the presynaptic spike when it is emitted. Here each
synapse has its own delay (one ring of arriving currents for all of them, filled event by
event), and the rule sees each spike when it arrives at each synapse; twenty projections,
one per delay, would also cost twenty event passes and rule updates per step.

Order within a step ``t`` (1 ms): the currents due at ``t`` are read from the ring and the
thalamic noise added; the neurons integrate and spike; each spike's weights are written
into the ring ``delay`` steps ahead; the excitatory synapses see their arrivals of step
``t`` (spikes of step ``t - delay``) and this step's post spikes; the reward rule reads the
chosen pair's spikes, schedules any reward earned and releases the dopamine due at ``t``,
which the learning rule integrates in the same step.

Example
-------
>>> import jax
>>> from bioplastic.networks.distal_reward import DistalRewardConfig, build_distal_reward, run_steps
>>> config = DistalRewardConfig(n_exc=8, n_inh=2, synapses_per_neuron=4, max_delay_ms=2)   # a toy size
>>> model, params = build_distal_reward(jax.random.PRNGKey(0), config)
>>> state, record = run_steps(model, params, model.init(params), 10)                      # 10 ms
>>> record.chosen_weight.shape, int(state.step)
((10,), 10)
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Callable, NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np

from bioplastic._checks import BadInput, check_finite, check_nonnegative, check_size
from bioplastic.neurons.izhikevich import Izhikevich, IzhikevichParams, IzhikevichState
from bioplastic.rules.base import Rule
from bioplastic.rules.dopamine_stdp import DopamineSTDPState, dopamine_stdp
from bioplastic.synapses.connectivity import Connectivity, fixed_out_degree

__all__ = [
    "CoincidenceReward", "DistalReward", "DistalRewardConfig", "DistalRewardParams", "DistalRewardState",
    "HISTORY_KEYS", "PERCENTILES", "RewardState", "StepRecord", "build_distal_reward", "chosen_rank", "run_seconds", "run_steps",
]


def _numpy_rng(key) -> np.random.Generator:
    """A numpy generator seeded from a jax key (for draws made once, when the network is built)."""
    return np.random.default_rng(np.asarray(jax.random.randint(key, (4,), 0, 2**31 - 1)).tolist())


def _whole(value, where: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise BadInput(where, f"{value!r}", f"a whole number >= {low} (ms; the step is 1 ms)")
    return int(value)


class RewardState(NamedTuple):
    """State of :class:`CoincidenceReward`.

    Fields
    ------
    last_pre : int32 array ()
        Step (ms) of the chosen presynaptic neuron's latest spike (far in the past before the first).
    pending : array (delay_max_ms + 1,)
        Dopamine to be released at each of the coming steps: a ring, slot ``t % (delay_max_ms + 1)`` for step ``t``.

    Example
    -------
    >>> state = CoincidenceReward().init()
    >>> state.pending.shape, int(state.last_pre) < -10**9
    ((3001,), True)
    """

    last_pre: jax.Array
    pending: jax.Array


@dataclasses.dataclass(frozen=True)
class CoincidenceReward:
    """A reward for each post spike ``1 .. window_ms`` ms after the latest pre spike, delivered 1-3 s later.

    The paper: "every time the postsynaptic neuron fires within 10 ms after the
    presynaptic neuron, we deliver a reward ... with a random delay between 1 and 3 s".
    As in ``daspnet.m``, the lag is counted from the pre neuron's latest spike (a pre
    spike in the same step as the post spike earns nothing), every qualifying post spike
    earns its own reward, and the delay is a whole number of ms drawn uniformly in
    ``[delay_min_ms, delay_max_ms]``. Rewards due in the same step add up.

    Parameters
    ----------
    window_ms : int
        Largest lag (ms) of a rewarded post spike after the pre spike (the paper: 10; ``daspnet.m``: 19).
    delay_min_ms, delay_max_ms : int
        Range of the reward's delay (ms) after the post spike that earned it.
    amount : float
        Dopamine released per reward (concentration units; ``daspnet.m``: 0.5).

    Example
    -------
    Pre at 0 ms, post at 4 ms: a reward is earned at step 4 and released 5-8 ms later
    (here, instead of 1-3 s); nothing else is ever released:

    >>> reward = CoincidenceReward(delay_min_ms=5, delay_max_ms=8)
    >>> state, released = reward.init(), []
    >>> for t in range(20):
    ...     state, earned, out = reward.step(state, float(t == 0), float(t == 4), t, jax.random.PRNGKey(t))
    ...     released.append(float(out))
    >>> times = [t for t, r in enumerate(released) if r > 0]
    >>> len(times), 9 <= times[0] <= 12, sum(released)
    (1, True, 0.5)
    """

    window_ms: int = 10
    delay_min_ms: int = 1000
    delay_max_ms: int = 3000
    amount: float = 0.5

    def __post_init__(self):
        _whole(self.window_ms, "reward.window_ms", 1)
        _whole(self.delay_min_ms, "reward.delay_min_ms", 1)
        _whole(self.delay_max_ms, "reward.delay_max_ms", 1)
        if self.delay_max_ms < self.delay_min_ms:
            raise BadInput("reward.delay_max_ms", f"{self.delay_max_ms!r}",
                           f"a delay >= delay_min_ms = {self.delay_min_ms!r}")
        check_nonnegative(self.amount, "reward.amount")

    def init(self) -> RewardState:
        """No pre spike yet, nothing pending.

        Example
        -------
        >>> float(CoincidenceReward(delay_max_ms=5, delay_min_ms=2).init().pending.sum())
        0.0
        """
        return RewardState(jnp.asarray(-(2**30), jnp.int32), jnp.zeros((self.delay_max_ms + 1,), jnp.float32))

    def step(self, state: RewardState, pre, post, step, key):
        """One 1-ms step: ``(state, earned, released)``.

        Parameters
        ----------
        state : RewardState
        pre, post : float or bool array ()
            Whether the chosen pre and post neurons spiked in this step.
        step : int or int array ()
            The step number ``t`` (ms).
        key : jax key
            Draws the delay of a reward earned in this step.

        Returns
        -------
        (RewardState, bool array (), array ())
            The new state; whether this step's post spike earned a reward; the dopamine released in this step.

        Example
        -------
        A post spike 11 ms after the pre spike is outside the 10-ms window:

        >>> reward = CoincidenceReward()
        >>> state, *_ = reward.step(reward.init(), 1.0, 0.0, 0, jax.random.PRNGKey(0))
        >>> bool(reward.step(state, 0.0, 1.0, 10, jax.random.PRNGKey(1))[1]), bool(reward.step(state, 0.0, 1.0, 11, jax.random.PRNGKey(1))[1])
        (True, False)
        """
        step = jnp.asarray(step, jnp.int32)
        last_pre = jnp.where(jnp.asarray(pre) > 0, step, state.last_pre)
        lag = step - last_pre
        earned = (jnp.asarray(post) > 0) & (lag >= 1) & (lag <= self.window_ms)
        size = self.delay_max_ms + 1
        slot = step % size
        released = state.pending[slot]
        delay = jax.random.randint(key, (), self.delay_min_ms, self.delay_max_ms + 1)
        pending = state.pending.at[slot].set(0.0)
        pending = pending.at[(step + delay) % size].add(jnp.where(earned, self.amount, 0.0))
        return RewardState(last_pre, pending), earned, released


@dataclasses.dataclass(frozen=True)
class DistalRewardConfig:
    """Sizes and constants of the experiment; the defaults are the paper's and ``daspnet.m``'s.

    Times in ms (whole numbers: the step is 1 ms), weights and currents in the paper's
    units (mV per 1-ms step), dopamine in the code's concentration units.

    Fields
    ------
    n_exc, n_inh, synapses_per_neuron : int
        800, 200 and 100 (the paper).
    max_delay_ms : int
        Excitatory delays are 1 .. ``max_delay_ms`` (20, as the issue asks; ``daspnet.m``: 1).
    exc_weight, inh_weight, chosen_weight, w_max : float
        Initial excitatory (1) and fixed inhibitory (-1) weights, the chosen synapse's initial
        weight (0) and the largest excitatory weight (4; ``daspnet.m``, the patent's "4 mV").
    noise_amplitude : float
        Thalamic input ``noise_amplitude * (U(0, 1) - 0.5)`` per neuron and ms (13, ``daspnet.m``).
    coincidence_window_ms, reward_delay_min_ms, reward_delay_max_ms, reward_dopamine : int, int, int, float
        The reward (:class:`CoincidenceReward`): 10 ms (the paper), 1000-3000 ms, 0.5.
    chosen_delay_ms : int
        Delay of the chosen synapse (1; see the module docstring).
    a_plus, a_minus, tau_plus_ms, tau_minus_ms, tau_eligibility_ms, tau_dopamine_ms, tonic_dopamine, learning_rate
        The learning rule (:func:`~bioplastic.rules.dopamine_stdp.dopamine_stdp`): 1, 1.5, 20, 20, 1000,
        200, 0.002 and 0.01 per ms.
    max_events : int
        Spike buffer of the event-driven delivery; a step with more spikes falls back to all rows (never drops one).

    Example
    -------
    >>> config = DistalRewardConfig()
    >>> config.size, config.ring
    (1000, 21)
    >>> DistalRewardConfig(synapses_per_neuron=900)
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: synapses_per_neuron: got 900; allowed: a whole number in [1, 800] (inhibitory neurons reach the 800 excitatory ones)
    """

    n_exc: int = 800
    n_inh: int = 200
    synapses_per_neuron: int = 100
    max_delay_ms: int = 20
    exc_weight: float = 1.0
    inh_weight: float = -1.0
    chosen_weight: float = 0.0
    w_max: float = 4.0
    noise_amplitude: float = 13.0
    coincidence_window_ms: int = 10
    reward_delay_min_ms: int = 1000
    reward_delay_max_ms: int = 3000
    reward_dopamine: float = 0.5
    chosen_delay_ms: int = 1
    a_plus: float = 1.0
    a_minus: float = 1.5
    tau_plus_ms: float = 20.0
    tau_minus_ms: float = 20.0
    tau_eligibility_ms: float = 1000.0
    tau_dopamine_ms: float = 200.0
    tonic_dopamine: float = 0.002
    learning_rate: float = 0.01
    max_events: int = 32

    def __post_init__(self):
        check_size(self.n_exc, "n_exc")
        check_size(self.n_inh, "n_inh")
        if self.n_exc < 2:
            raise BadInput("n_exc", f"{self.n_exc!r}", "a whole number >= 2 (the chosen synapse joins two)")
        m = self.synapses_per_neuron
        if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or not 1 <= m <= self.n_exc:
            raise BadInput("synapses_per_neuron", f"{m!r}",
                           f"a whole number in [1, {self.n_exc}] (inhibitory neurons reach the {self.n_exc} excitatory ones)")
        _whole(self.max_delay_ms, "max_delay_ms", 1)
        if m % self.max_delay_ms:
            raise BadInput("max_delay_ms", f"{self.max_delay_ms!r}",
                           f"a divisor of synapses_per_neuron = {m} (each delay takes the same number of synapses)")
        _whole(self.chosen_delay_ms, "chosen_delay_ms", 1)
        if self.chosen_delay_ms > self.max_delay_ms:
            raise BadInput("chosen_delay_ms", f"{self.chosen_delay_ms!r}", f"a delay in [1, max_delay_ms = {self.max_delay_ms}]")
        for name in ("exc_weight", "chosen_weight", "w_max", "noise_amplitude", "reward_dopamine"):
            check_nonnegative(getattr(self, name), name)
        check_finite(self.inh_weight, "inh_weight")
        for name in ("exc_weight", "chosen_weight"):
            if getattr(self, name) > self.w_max:
                raise BadInput(name, f"{getattr(self, name)!r}", f"a weight in [0, w_max = {self.w_max!r}]")
        check_size(self.max_events, "max_events")
        if self.reward_delay_max_ms < self.reward_delay_min_ms:
            raise BadInput("reward_delay_max_ms", f"{self.reward_delay_max_ms!r}",
                           f"a delay >= reward_delay_min_ms = {self.reward_delay_min_ms!r}")
        self.reward_rule()          # checks the reward's constants
        self.learning_rule()        # and the rule's

    @property
    def size(self) -> int:
        """Number of neurons, excitatory first.

        Example
        -------
        >>> DistalRewardConfig(n_exc=8, n_inh=2, synapses_per_neuron=4, max_delay_ms=2).size
        10
        """
        return self.n_exc + self.n_inh

    @property
    def ring(self) -> int:
        """Slots of the ring of arriving currents and of past spikes: ``max_delay_ms + 1``.

        Example
        -------
        >>> DistalRewardConfig(max_delay_ms=1).ring
        2
        """
        return self.max_delay_ms + 1

    def reward_rule(self) -> CoincidenceReward:
        """The :class:`CoincidenceReward` of these constants.

        Example
        -------
        >>> DistalRewardConfig().reward_rule().window_ms
        10
        """
        return CoincidenceReward(self.coincidence_window_ms, self.reward_delay_min_ms, self.reward_delay_max_ms,
                                 self.reward_dopamine)

    def learning_rule(self) -> Rule:
        """The dopamine-modulated STDP of the excitatory synapses (1-ms step).

        Example
        -------
        >>> DistalRewardConfig().learning_rule().signals
        ('reward',)
        """
        return dopamine_stdp(self.a_plus, self.a_minus, self.tau_plus_ms, self.tau_minus_ms, self.tau_eligibility_ms,
                             self.tau_dopamine_ms, self.tonic_dopamine, self.learning_rate, 0.0, self.w_max,
                             pre_groups=self.max_delay_ms, dt_ms=1.0)


class DistalRewardParams(NamedTuple):
    """The drawn network: arrays only (passed to the compiled step as arguments).

    Fields
    ------
    neurons : IzhikevichParams
        (size,) each; excitatory neurons first.
    targets : int32 array (size, synapses_per_neuron)
        Target of every synapse (out-lists; excitatory rows first).
    delays : int32 array (size, synapses_per_neuron)
        Axonal delay of every synapse (ms = steps, >= 1).
    inhibitory_weights : array (n_inh, synapses_per_neuron)
        The fixed inhibitory weights.
    chosen : int32 array (3,)
        The rewarded synapse: presynaptic neuron, its slot in the out-list, postsynaptic neuron.
    key : jax key
        Seeds the thalamic noise and the reward delays (folded with the step number).

    Example
    -------
    >>> _, params = build_distal_reward(jax.random.PRNGKey(0), DistalRewardConfig(n_exc=8, n_inh=2, synapses_per_neuron=4, max_delay_ms=2))
    >>> params.targets.shape, sorted(set(np.asarray(params.delays[:8]).ravel().tolist()))
    ((10, 4), [1, 2])
    """

    neurons: IzhikevichParams
    targets: jax.Array
    delays: jax.Array
    inhibitory_weights: jax.Array
    chosen: jax.Array
    key: jax.Array


class DistalRewardState(NamedTuple):
    """Everything that changes during a run.

    Fields
    ------
    neurons : IzhikevichState
        (size,) each.
    weights : array (n_exc, synapses_per_neuron)
        The plastic excitatory weights (mV).
    rule : DopamineSTDPState
        Traces, eligibility (n_exc, synapses_per_neuron) and dopamine of the learning rule.
    arriving : array (ring, size + 1)
        Current arriving at each neuron in each of the coming steps (slot ``t % ring`` for step
        ``t``); the last column takes nothing (padding).
    spikes : array (ring, size)
        The spikes of the last ``ring`` steps (slot ``t % ring`` for step ``t``).
    reward : RewardState
        The reward's memory of the chosen pre neuron and the pending dopamine.
    step : int32 array ()
        Steps (ms) simulated so far.

    Example
    -------
    >>> model, params = build_distal_reward(jax.random.PRNGKey(0), DistalRewardConfig(n_exc=8, n_inh=2, synapses_per_neuron=4, max_delay_ms=2))
    >>> state = model.init(params)
    >>> state.arriving.shape, state.weights.shape, int(state.step)
    ((3, 11), (8, 4), 0)
    """

    neurons: IzhikevichState
    weights: jax.Array
    rule: DopamineSTDPState
    arriving: jax.Array
    spikes: jax.Array
    reward: RewardState
    step: jax.Array


class StepRecord(NamedTuple):
    """What one step reports (one value per step under :func:`run_steps`).

    Fields
    ------
    chosen_weight, chosen_eligibility : array ()
        The chosen synapse's weight (mV) and eligibility after the step.
    dopamine : array ()
        Dopamine above the tonic level after the step.
    earned : bool array ()
        A post spike of the chosen pair earned a reward in this step.
    released : array ()
        Dopamine released in this step.
    exc_spikes, inh_spikes : int32 array ()
        Number of excitatory and inhibitory spikes in this step.

    Example
    -------
    >>> StepRecord._fields[:3]
    ('chosen_weight', 'chosen_eligibility', 'dopamine')
    """

    chosen_weight: jax.Array
    chosen_eligibility: jax.Array
    dopamine: jax.Array
    earned: jax.Array
    released: jax.Array
    exc_spikes: jax.Array
    inh_spikes: jax.Array


def _deliver(arriving, step, spikes, exc_weights, inh_weights, targets, delays, max_events):
    """Add each spiking neuron's weights into ``arriving[(step + delay) % ring, target]``.

    Event-driven: the spiking neurons are found with a buffer of ``max_events``; a step with
    more spikes adds every row times its spike instead (exact, slower), so none is dropped.
    Rows ``< len(exc_weights)`` take their weights from ``exc_weights``, the others from ``inh_weights``.
    """
    ring, n_exc = arriving.shape[0], exc_weights.shape[0]
    count = jnp.count_nonzero(spikes)

    def buffered(arriving):
        (index,) = jnp.nonzero(spikes, size=max_events, fill_value=0)
        valid = (jnp.arange(max_events) < count)[:, None]
        rows = jnp.where((index < n_exc)[:, None], exc_weights[jnp.minimum(index, n_exc - 1)],
                         inh_weights[jnp.maximum(index - n_exc, 0)])
        return arriving.at[(step + delays[index]) % ring, targets[index]].add(jnp.where(valid, rows, 0.0))

    def every_row(arriving):
        weights = jnp.concatenate([exc_weights, inh_weights])
        return arriving.at[(step + delays) % ring, targets].add(weights * spikes[:, None])

    return jax.lax.cond(count <= max_events, buffered, every_row, arriving)


@dataclasses.dataclass(frozen=True)
class DistalReward:
    """The experiment's static part: constants, neuron model, learning and reward rules.

    Build it with :func:`build_distal_reward`; its numbers are in :class:`DistalRewardParams`.

    Example
    -------
    >>> model, params = build_distal_reward(jax.random.PRNGKey(0), DistalRewardConfig(n_exc=8, n_inh=2, synapses_per_neuron=4, max_delay_ms=2))
    >>> model.rule.signals, model.reward.window_ms
    (('reward',), 10)
    """

    config: DistalRewardConfig
    rule: Rule
    reward: CoincidenceReward
    neuron: Izhikevich = Izhikevich(method="izhikevich2003")

    def init(self, params: DistalRewardParams) -> DistalRewardState:
        """The initial state: ``v = -65`` mV, ``u = b v``, initial weights, nothing in flight.

        Example
        -------
        >>> model, params = build_distal_reward(jax.random.PRNGKey(0), DistalRewardConfig(n_exc=8, n_inh=2, synapses_per_neuron=4, max_delay_ms=2))
        >>> state = model.init(params)
        >>> float(state.weights[params.chosen[0], params.chosen[1]]), float(state.weights.max())
        (0.0, 1.0)
        """
        c = self.config
        weights = jnp.full((c.n_exc, c.synapses_per_neuron), c.exc_weight, jnp.float32)
        weights = weights.at[params.chosen[0], params.chosen[1]].set(c.chosen_weight)
        conn = Connectivity(params.targets[: c.n_exc], weights, c.size)
        return DistalRewardState(
            neurons=self.neuron.init(params.neurons, c.size, None),
            weights=weights,
            rule=self.rule.init(conn),
            arriving=jnp.zeros((c.ring, c.size + 1), jnp.float32),
            spikes=jnp.zeros((c.ring, c.size), jnp.float32),
            reward=self.reward.init(),
            step=jnp.zeros((), jnp.int32),
        )

    def step(self, params: DistalRewardParams, state: DistalRewardState, drive=None):
        """Advance 1 ms; returns ``(state, StepRecord)``. ``drive`` (size,) is an extra input current.

        Example
        -------
        A neuron driven hard spikes in the first step; its excitatory synapses of delay
        ``d`` deliver their weight (1 mV) to their targets ``d`` ms later:

        >>> config = DistalRewardConfig(n_exc=8, n_inh=2, synapses_per_neuron=6, max_delay_ms=3, noise_amplitude=0.0)
        >>> model, params = build_distal_reward(jax.random.PRNGKey(0), config)
        >>> state, record = jax.jit(model.step)(params, model.init(params), jnp.zeros(10).at[3].set(1000.0))
        >>> int(record.exc_spikes)
        1
        >>> slots = [int(s) for s in np.asarray(params.delays[3]) % 4]          # step 0 + delay, in a ring of 4
        >>> bool(jnp.allclose(state.arriving[jnp.array(slots), params.targets[3]], 1.0))
        True
        """
        c = self.config
        t = state.step
        slot = t % c.ring
        noise_key, reward_key = jax.random.split(jax.random.fold_in(params.key, t))
        noise = c.noise_amplitude * (jax.random.uniform(noise_key, (c.size,)) - 0.5)
        current = state.arriving[slot, : c.size] + noise
        if drive is not None:
            current = current + drive
        neurons, spikes = self.neuron.step(params.neurons, state.neurons, current, 1.0)
        spikes = jax.lax.stop_gradient(spikes)

        arriving = state.arriving.at[slot].set(0.0)
        arriving = _deliver(arriving, t, spikes, state.weights, params.inhibitory_weights, params.targets,
                            params.delays, c.max_events)
        history = state.spikes.at[slot].set(spikes)

        # Spikes arriving at each excitatory synapse now: its presynaptic neuron's spike
        # ``delay`` steps ago (delay >= 1, so never this step's slot). Slots are grouped by
        # delay (the rule's ``pre_groups``), so the arrivals are rows of the spike history.
        arrivals = state.spikes[(t - jnp.arange(1, c.max_delay_ms + 1)) % c.ring, : c.n_exc].T   # (n_exc, max_delay)

        pre, slot_out, post = params.chosen[0], params.chosen[1], params.chosen[2]
        reward, earned, released = self.reward.step(state.reward, spikes[pre], spikes[post], t, reward_key)

        conn = Connectivity(params.targets[: c.n_exc], state.weights, c.size)
        delta, rule_state = self.rule.update(state.rule, conn, pre=arrivals, post=spikes, reward=released)
        new_weights = state.weights + delta

        new_state = DistalRewardState(neurons, new_weights, rule_state, arriving, history, reward, t + 1)
        record = StepRecord(
            chosen_weight=new_weights[pre, slot_out],
            chosen_eligibility=rule_state.eligibility[pre, slot_out],
            dopamine=rule_state.dopamine,
            earned=earned,
            released=released,
            exc_spikes=jnp.count_nonzero(spikes[: c.n_exc]).astype(jnp.int32),
            inh_spikes=jnp.count_nonzero(spikes[c.n_exc :]).astype(jnp.int32),
        )
        return new_state, record


@functools.partial(jax.jit, static_argnames=("model", "n_steps"))
def run_steps(model: DistalReward, params: DistalRewardParams, state: DistalRewardState, n_steps: int, drive=None):
    """``n_steps`` steps (ms) in one compiled ``lax.scan``; returns ``(state, StepRecord)`` with one value per step.

    Parameters
    ----------
    model, params, state
        From :func:`build_distal_reward` and :meth:`DistalReward.init` (or a previous run).
    n_steps : int
        Number of 1-ms steps (static).
    drive : array (n_steps, size) or None
        Extra input current per step (e.g. to force spikes in tests).

    Example
    -------
    >>> model, params = build_distal_reward(jax.random.PRNGKey(0), DistalRewardConfig(n_exc=8, n_inh=2, synapses_per_neuron=4, max_delay_ms=2))
    >>> state, record = run_steps(model, params, model.init(params), 10)
    >>> record.earned.shape, int(state.step)
    ((10,), 10)
    """

    def body(state, drive_t):
        return model.step(params, state, drive_t)

    return jax.lax.scan(body, state, drive, length=n_steps)


def build_distal_reward(key: jax.Array, config: DistalRewardConfig = DistalRewardConfig()):
    """Draw the network (synapses, delays, the chosen synapse, the noise key) from ``key``.

    Returns
    -------
    (DistalReward, DistalRewardParams)

    Raises
    ------
    BadInput
        No excitatory-to-excitatory synapse has the delay ``chosen_delay_ms``.

    Example
    -------
    The chosen synapse joins two excitatory neurons and has a 1-ms delay:

    >>> model, params = build_distal_reward(jax.random.PRNGKey(1))
    >>> pre, slot, post = (int(i) for i in params.chosen)
    >>> pre < 800, post < 800, int(params.targets[pre, slot]) == post, int(params.delays[pre, slot])
    (True, True, True, 1)
    """
    c = config
    key_exc, key_inh, key_delays, key_chosen, key_run = jax.random.split(key, 5)
    m = c.synapses_per_neuron
    exc = fixed_out_degree(key_exc, c.n_exc, c.size, m, c.exc_weight)
    inh = fixed_out_degree(key_inh, c.n_inh, c.n_exc, m, c.inh_weight)
    # Each excitatory neuron's targets in a random order, then ``m / max_delay_ms`` slots
    # of each delay in turn: slot ``k`` has the delay ``1 + k // (m / max_delay_ms)``.
    rng = _numpy_rng(key_delays)
    exc_targets = np.take_along_axis(np.asarray(exc.targets), rng.permuted(np.tile(np.arange(m), (c.n_exc, 1)), axis=1), 1)
    exc_delays = np.broadcast_to(1 + np.arange(m) // (m // c.max_delay_ms), (c.n_exc, m))
    delays = np.concatenate([exc_delays, np.ones((c.n_inh, m), np.int64)]).astype(np.int32)
    targets = jnp.asarray(np.concatenate([exc_targets, np.asarray(inh.targets)]), jnp.int32)
    candidates = np.argwhere((exc_targets < c.n_exc) & (exc_delays == c.chosen_delay_ms))
    if len(candidates) == 0:
        raise BadInput("chosen_delay_ms", f"{c.chosen_delay_ms!r}",
                       "a delay that some excitatory-to-excitatory synapse has (more synapses, or another delay)")
    pick = _numpy_rng(key_chosen).integers(len(candidates))
    pre, slot = (int(i) for i in candidates[pick])
    ones = np.ones
    neurons = Izhikevich(method="izhikevich2003").params(
        a=np.concatenate([0.02 * ones(c.n_exc), 0.1 * ones(c.n_inh)]),
        b=0.2, c_mv=-65.0,
        d=np.concatenate([8.0 * ones(c.n_exc), 2.0 * ones(c.n_inh)]),
    )
    params = DistalRewardParams(
        neurons=neurons,
        targets=targets,
        delays=jnp.asarray(delays),
        inhibitory_weights=inh.weights.astype(jnp.float32),
        chosen=jnp.asarray([pre, slot, int(exc_targets[pre, slot])], jnp.int32),
        key=key_run,
    )
    return DistalReward(c, c.learning_rule(), c.reward_rule()), params


def chosen_rank(weights, pre: int, slot: int) -> tuple[int, float]:
    """Rank of the chosen weight among all excitatory weights (1 = largest; ties share the best) and its percentile.

    Parameters
    ----------
    weights : array (n_exc, synapses_per_neuron)
    pre, slot : int
        The chosen synapse.

    Returns
    -------
    (int, float)
        ``1 + (number of larger weights)``, and the percentage of the other weights below it.

    Example
    -------
    >>> chosen_rank(np.array([[1.0, 4.0], [2.0, 4.0]]), 0, 1)
    (1, 66.66666666666667)
    >>> chosen_rank(np.array([[1.0, 4.0], [2.0, 3.0]]), 0, 0)
    (4, 0.0)
    """
    weights = np.asarray(weights)
    value = weights[pre, slot]
    larger = int(np.count_nonzero(weights > value))
    below = int(np.count_nonzero(weights < value))
    return 1 + larger, 100.0 * below / (weights.size - 1)


#: Percentiles of the excitatory weights kept after every chunk by :func:`run_seconds`.
PERCENTILES = (5, 25, 50, 75, 95)

#: The lists of a :func:`run_seconds` history.
HISTORY_KEYS = ("time_s", "chosen_weight", "chosen_rank", "chosen_percentile", "percentiles", "exc_rate_hz",
                "inh_rate_hz", "earned_ms", "released_ms")


def run_seconds(model: DistalReward, params: DistalRewardParams, state: DistalRewardState, seconds: int,
                history: Optional[dict] = None, chunk_ms: int = 1000,
                on_chunk: Optional[Callable[[DistalRewardState, dict], None]] = None):
    """Run ``seconds`` of model time in compiled chunks of ``chunk_ms``; returns ``(state, history)``.

    After each chunk the history gains one row: the time (s), the chosen weight, its rank
    and percentile among the excitatory weights (:func:`chosen_rank`), the percentiles
    :data:`PERCENTILES` of all excitatory weights, the mean rates (Hz) of both populations
    over the chunk, and the step (ms) of every reward earned and every dopamine release.
    ``history`` from an earlier call is continued (its lists are extended; other entries are
    kept). ``on_chunk(state, history)`` is called
    after each chunk (e.g. to save a checkpoint or report progress).

    Parameters
    ----------
    model, params, state
        From :func:`build_distal_reward` and :meth:`DistalReward.init`, or a previous run.
    seconds : int
        Model time to add (s); a whole number of chunks.
    history : dict or None
        The history of the run so far (``None``: a new run).
    chunk_ms : int
        Steps per compiled chunk.
    on_chunk : callable or None

    Example
    -------
    >>> model, params = build_distal_reward(jax.random.PRNGKey(0), DistalRewardConfig(n_exc=8, n_inh=2, synapses_per_neuron=4, max_delay_ms=2))
    >>> state, history = run_seconds(model, params, model.init(params), 1, chunk_ms=10)     # 100 chunks of 10 ms
    >>> len(history["time_s"]), history["time_s"][-1], len(history["percentiles"][0])
    (100, 1.0, 5)
    """
    c = model.config
    chunk_ms = _whole(chunk_ms, "chunk_ms", 1)
    n_chunks = seconds * 1000 / chunk_ms
    if seconds < 0 or not float(n_chunks).is_integer():
        raise BadInput("seconds", f"{seconds!r}", f"a whole number of chunks of {chunk_ms} ms, >= 0")
    history = dict(history or {})
    for name in HISTORY_KEYS:
        history.setdefault(name, [])
    pre, slot = int(params.chosen[0]), int(params.chosen[1])
    for _ in range(int(n_chunks)):
        start = int(state.step)
        state, record = run_steps(model, params, state, chunk_ms)
        weights = np.asarray(state.weights)
        rank, percentile = chosen_rank(weights, pre, slot)
        history["time_s"].append(int(state.step) / 1000.0)
        history["chosen_weight"].append(float(weights[pre, slot]))
        history["chosen_rank"].append(rank)
        history["chosen_percentile"].append(percentile)
        history["percentiles"].append(np.percentile(weights, PERCENTILES).tolist())
        history["exc_rate_hz"].append(float(np.sum(record.exc_spikes)) / c.n_exc / (chunk_ms / 1000.0))
        history["inh_rate_hz"].append(float(np.sum(record.inh_spikes)) / c.n_inh / (chunk_ms / 1000.0))
        history["earned_ms"].extend((start + np.flatnonzero(np.asarray(record.earned))).tolist())
        history["released_ms"].extend((start + np.flatnonzero(np.asarray(record.released) > 0)).tolist())
        if on_chunk is not None:
            on_chunk(state, history)
    return state, history
