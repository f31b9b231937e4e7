"""The schema of a theta protocol (a ``[theta]`` table): layers of two-compartment units trained by
theta-gated wake-sleep on latent features or on a track.

Example
-------
>>> ThetaGateSpec().shape
'square'
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field

from bioplastic.neurons.activations import ACTIVATIONS
from bioplastic.protocol.schema import ExperimentProtocol, Strict

Activation = Literal[tuple(ACTIVATIONS)]



class ThetaGateSpec(Strict):
    """The theta schedule (bioplastic.simulation.theta_gate.theta_schedule); theta = 1 is the generative phase.

    A cycle lasts ``1000 / frequency_hz`` ms, of which a fraction ``duty`` is generative.

    Example
    -------
    >>> gate = ThetaGateSpec()
    >>> period_ms = 1000.0 / gate.frequency_hz
    >>> period_ms, gate.duty * period_ms, gate.shape          # 200-ms cycles, 100 ms generative
    (200.0, 100.0, 'square')
    >>> ThetaGateSpec(phase=1.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for ThetaGateSpec
    phase
      Input should be less than 1 [type=less_than, input_value=1.0, input_type=float]
    ...
    """

    frequency_hz: float = Field(5.0, gt=0, description="theta frequency (Hz)")
    duty: float = Field(0.5, ge=0, le=1, description="fraction of each cycle in the generative (apical) phase")
    phase: float = Field(0.0, ge=0, lt=1, description="offset in cycles")
    shape: Literal["square", "sine", "jittered"] = "square"
    jitter: float = Field(0.2, ge=0, lt=1, description="jittered: cycle lengths uniform in (1 +- jitter) / frequency")


class ThetaLayerSpec(Strict):
    """One layer, updated in the order the layers are listed (see bioplastic.networks.theta_network).

    ``two_compartment``: basal/apical/soma units with OU noise on each compartment; ``relay``:
    fixed rate units ``activation(sum W x - threshold)`` whose connections must be fixed.

    Example
    -------
    >>> layer = ThetaLayerSpec(size=50)
    >>> layer.kind, layer.soma_activation, layer.basal_noise_sigma, layer.noise_tau_ms
    ('two_compartment', 'linear', 0.01, 300.0)
    >>> relay = ThetaLayerSpec(size=2, kind="relay")
    >>> relay.activation, relay.threshold
    ('relu', 0.0)
    """

    size: int = Field(ge=1)
    kind: Literal["two_compartment", "relay"] = "two_compartment"
    basal_activation: Activation = "linear"
    apical_activation: Activation = "linear"
    soma_activation: Activation = "linear"
    basal_noise_sigma: float = Field(0.01, ge=0, description="OU noise s.d. of the basal compartment (rate units)")
    apical_noise_sigma: float = Field(0.01, ge=0, description="OU noise s.d. of the apical compartment (rate units)")
    noise_tau_ms: float = Field(300.0, gt=0, description="OU noise time constant (ms)")
    activation: Activation = Field("relu", description="relay: the units' activation")
    threshold: float = Field(0.0, description="relay: subtracted from the summed input")


class ThetaConnectionSpec(Strict):
    """Weights from ``pre`` (a layer or an input of the environment) onto a compartment of layer ``post``.

    Initial weights: ``normal`` (s.d. init_std / sqrt(pre size); ``init_std`` is refused with
    another ``init``), ``zeros``, ``identity`` (one identity block per ``pre`` size stacked
    down ``post``), ``direction`` (``pre`` = 2 velocity cells; the first half of ``post`` gets
    ``[+1, -1]``, the second ``[-1, +1]``). A fixed connection (``plastic = false``) keeps them.

    The authors' ablations are choices of ``init``. Their figs34 notebook wires three
    connections as ``'identity'`` or ``'random'`` (``experiment_params``), and ``'random'``
    is what their ``add_input`` draws, N(0, w_init**2 / pre size): ``normal`` with
    ``init_std = w_init``. Random HPC input: place cells -> HPC basal ``normal``, init_std 1.5
    (their w_init), still fixed. Random conjunctive-cell wiring: EC -> conjunctive cells
    ``normal``, init_std 1 (RatInABox's default), still fixed. Remapping: their
    ``'remapping'`` starts HPC -> EC basal at the ``identity``, ``'remapping_random'`` at
    ``normal``. A shuffled identity would be no ablation: it only relabels the HPC units or
    the conjunctive cells, which the rest of the network reads through weights drawn i.i.d.

    Example
    -------
    >>> connection = ThetaConnectionSpec(pre="features", post="ec")
    >>> connection.compartment, connection.plastic, connection.init, connection.learning_rate
    ('basal', True, 'normal', None)
    >>> round(connection.init_std / 50 ** 0.5, 4)      # initial weight s.d. from 50 features
    0.1414
    >>> random_input = ThetaConnectionSpec(pre="place", post="hpc", plastic=False, init="normal", init_std=1.5)
    >>> round(random_input.init_std / 100 ** 0.5, 4)    # random HPC input: s.d. from 100 place cells
    0.15
    >>> ThetaConnectionSpec(pre="features", post="ec", compartment="soma")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for ThetaConnectionSpec
    compartment
      Input should be 'basal' or 'apical' [type=literal_error, input_value='soma', input_type=str]
    ...
    """

    pre: str
    post: str
    compartment: Literal["basal", "apical"] = "basal"
    plastic: bool = True
    init: Literal["normal", "zeros", "identity", "direction"] = "normal"
    init_std: float = Field(1.0, ge=0, description="normal: s.d. x sqrt(pre size)")
    learning_rate: Optional[float] = Field(None, ge=0, description="default: theta.learning_rate")
    l2: Optional[float] = Field(None, ge=0, description="default: theta.l2")


class LatentsSpec(Strict):
    """Environment: Gaussian-process latents mixed at random into features (inputs ``features`` and ``bias``).

    Example
    -------
    >>> latents = LatentsSpec()
    >>> latents.n_latents, latents.n_features, latents.timescale_ms
    (5, 50, 1000.0)
    """

    n_latents: int = Field(5, ge=1)
    n_features: int = Field(50, ge=1)
    timescale_ms: float = Field(1000.0, gt=0, description="RBF length scale of the latents (ms)")


class TrackSpec(Strict):
    """Environment: an agent on a ring with OU velocity (inputs ``place``, ``velocity`` and ``bias``).

    ``velocity`` is two cells, ``relu(+v)`` and ``relu(-v)`` divided by ``velocity_scale_m_s``.
    Lengths in m, velocities in m/s, times in s.

    Example
    -------
    >>> track = TrackSpec()
    >>> round(track.length_m / track.n_place_cells, 4), track.place_width_m     # field spacing, width (m)
    (0.01, 0.06)
    >>> track.place_jitter, TrackSpec(place_jitter=None).place_jitter      # None: centres uniform at random
    (0.45, None)
    >>> TrackSpec(place_jitter=0.6)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for TrackSpec
    place_jitter
      Input should be less than or equal to 0.5 [type=less_than_equal, input_value=0.6, input_type=float]
    ...
    """

    length_m: float = Field(1.0, gt=0, description="ring circumference (m)")
    velocity_sd_m_s: float = Field(0.5, gt=0, description="stationary s.d. of the velocity (m/s)")
    velocity_mean_m_s: float = Field(0.0, description="mean velocity (m/s)")
    coherence_s: float = Field(0.7, gt=0, description="velocity correlation time (s)")
    n_place_cells: int = Field(100, ge=1)
    place_width_m: float = Field(0.06, gt=0, description="s.d. of the Gaussian place fields (m)")
    place_jitter: Optional[float] = Field(
        0.45, ge=0, le=0.5, description="centres on a grid jittered by up to this fraction of the spacing (the "
        "second environment re-jitters and shuffles them); none: centres uniform at random")
    velocity_scale_m_s: float = Field(0.5, gt=0, description="speed at which a velocity cell's rate is 1 (m/s)")


class ThetaTestSpec(Strict):
    """What is measured after training.

    Latents: the network runs ``hold_s`` in the generative phase (no input reaches the
    soma) and the autocorrelation of the generated ``generator`` layer is compared with the
    latents'. Track: a decoder of ``decoder_layer`` is fitted on the last ``decoder_minutes``
    of training; each of ``episodes`` test episodes runs ``spin_up_s`` with the theta
    schedule, then ``hold_s`` in the generative phase (sensory input removed), without
    learning; the error is reported ``errors_at_s`` after removal. ``noise = false`` runs
    those episodes without the compartments' noise.

    Example
    -------
    >>> test = ThetaTestSpec()
    >>> test.errors_at_s, test.hold_s, all(t <= test.hold_s for t in test.errors_at_s)
    ([1.0, 5.0], 20.0, True)
    >>> ThetaTestSpec(position_bins=1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for ThetaTestSpec
    position_bins
      Input should be greater than or equal to 2 [type=greater_than_equal, input_value=1, input_type=int]
    ...
    """

    generator: str = Field("ec", description="latents: the layer whose generated activity is compared")
    decoder_layer: str = Field("hpc", description="track: the layer position is decoded from")
    decoder_minutes: float = Field(10.0, gt=0, description="track: training time the decoder is fitted on (min)")
    position_bins: int = Field(100, ge=2, description="track: decoder resolution (bins on the ring)")
    spin_up_s: float = Field(10.0, ge=0, description="track: theta schedule before the input is removed (s)")
    hold_s: float = Field(20.0, gt=0, description="time in the generative phase (s)")
    episodes: int = Field(20, ge=1, description="track: test episodes (independent paths)")
    errors_at_s: list[Annotated[float, Field(gt=0)]] = Field([1.0, 5.0], min_length=1,
                                     description="track: times after removal the error is reported at (s)")
    max_lag_s: float = Field(4.0, gt=0, description="latents: longest autocorrelation lag (s)")
    recurrent: str = Field("recurrent", description="track: the connection whose sorted weights should form a ring")
    noise: bool = Field(True, description="track: the compartments' OU noise during each test episode's spin-up and "
                        "hold; false: none (the authors' run_pathint_test passes add_noise=False)")


class ThetaTransferSpec(Strict):
    """Experiment C: a second environment (place fields remapped), some connections frozen, retrained.

    Example
    -------
    >>> transfer = ThetaTransferSpec(freeze=["recurrent"])
    >>> transfer.minutes, transfer.freeze, transfer.velocity_mean_m_s
    (30.0, ['recurrent'], None)
    >>> ThetaTransferSpec(freeze=[])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for ThetaTransferSpec
    freeze
      List should have at least 1 item after validation, not 0 [type=too_short, input_value=[], input_type=list]
    ...
    """

    minutes: float = Field(30.0, gt=0, description="retraining time in the new environment (min)")
    freeze: list[str] = Field(min_length=1, description="connections that do not learn while retraining")
    velocity_mean_m_s: Optional[float] = Field(
        None, description="mean velocity while retraining (m/s; default: the track's); the authors use 0.2 to break "
        "the symmetry between a map and its mirror image")


class ThetaSpec(Strict):
    """Theta-gated wake-sleep learning (George et al. 2023) on an environment; layers and connections as declared.

    Training lasts ``minutes`` (min) in steps of ``dt_ms`` (ms). Exactly one environment,
    ``latents`` or ``track``, must be given (checked when the protocol is built).

    Example
    -------
    >>> spec = ThetaSpec.model_validate({
    ...     "latents": {}, "layers": {"ec": {"size": 50}},
    ...     "connections": {"sensory": {"pre": "features", "post": "ec"}}})
    >>> round(spec.minutes * 60_000 / spec.dt_ms), list(spec.layers), spec.gate.frequency_hz    # steps
    (72000, ['ec'], 5.0)
    >>> spec.track, spec.transfer, spec.test.generator
    (None, None, 'ec')
    >>> ThetaSpec.model_validate({"latents": {}, "layers": {}, "connections": spec.connections})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for ThetaSpec
    layers
      Dictionary should have at least 1 item after validation, not 0 [type=too_short, input_value={}, input_type=dict]
    ...
    """

    minutes: float = Field(30.0, gt=0, description="simulated training time (min)")
    dt_ms: float = Field(25.0, gt=0, description="time step (ms)")
    repeats: int = Field(1, ge=1, description="independent runs (seeds seed, seed + 1, ...)")
    learning_rate: float = Field(0.001, ge=0, description="eta of every plastic connection unless it sets its own")
    tau_ms: float = Field(100.0, gt=0, description="time constant of the filtered weight-update trace (ms)")
    l1: float = Field(0.0, ge=0)
    l2: float = Field(0.0, ge=0)
    smoothing_s: float = Field(60.0, gt=0, description="time constant of the smoothed loss curve (s)")
    gate: ThetaGateSpec = Field(default_factory=ThetaGateSpec)
    latents: Optional[LatentsSpec] = None
    track: Optional[TrackSpec] = None
    layers: dict[str, ThetaLayerSpec] = Field(min_length=1, description="layers, updated in this order")
    connections: dict[str, ThetaConnectionSpec] = Field(min_length=1)
    test: ThetaTestSpec = Field(default_factory=ThetaTestSpec)
    transfer: Optional[ThetaTransferSpec] = None


class ThetaProtocol(ExperimentProtocol):
    """A theta-gated wake-sleep experiment (chosen by a [theta] table).

    Example
    -------
    >>> protocol = ThetaProtocol.model_validate({"name": "latents", "seed": 3, "theta": {
    ...     "latents": {"n_features": 20}, "layers": {"ec": {"size": 20}},
    ...     "connections": {"sensory": {"pre": "features", "post": "ec"}}}})
    >>> protocol.seed, protocol.theta.latents.n_features, protocol.theta.layers["ec"].size
    (3, 20, 20)
    """

    theta: ThetaSpec
