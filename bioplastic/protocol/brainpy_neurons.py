"""BrainPy's neuron models as protocol neuron types: ``neuron = "brainpy:AdExIF"``.

Each ``brainpy.state`` model of :data:`BRAINPY_NEURONS` is a neuron type of simulation
protocols through :class:`~bioplastic.neurons.brainpy_adapter.BrainPyNeuron`. Its
parameters, initial values and recorded variables keep BrainPy's names (``tau``,
``V_th``, ``gNa``; ``V``, ``w``, ``m``) and BrainPy's default units, which ``bioplastic
list`` and every error message state (``tau`` in ms, ``a`` in S, ``gNa`` in mS per cm^2
of membrane for HH). An input's amplitude key names the model's input unit:
``current_ma`` for the integrate-and-fire family (with the default ``R = 1 ohm``, 1 mA
is R*I = 1 mV), ``current_ua`` for HH (uA per cm^2), ``current_mv_per_ms`` for
Izhikevich.

BrainPy is imported when a protocol names one of these types (or ``bioplastic list``
describes them), never by protocols that do not.

Example
-------
>>> adex = BrainPyNeuronType("AdExIF")
>>> adex.input_key, adex.initial_keys
('current_ma', {'V': 'V', 'w': 'w'})
>>> adex.make().params(tau=5.0).tau.tolist()
5.0
>>> print(adex.description())
BrainPy's AdExIF: Adaptive exponential Integrate-and-Fire (AdExIF) neuron model; params R (ohm), tau (ms), tau_w (ms), V_th (mV), V_reset (mV), V_rest (mV), V_T (mV), delta_T (mV), a (S), b (mA); state V (mV), w (mA); input current_ma; options spk_reset (soft | hard)
"""

from __future__ import annotations

import functools
import inspect

from bioplastic._checks import check_choice

BRAINPY_NEURONS = ("LIF", "LIFRef", "ExpIF", "AdExIF", "QuaIF", "AdQuaIF", "Gif", "Izhikevich", "HH")
PREFIX = "brainpy:"
INPUT_KEYS_BY_UNIT = {"mA": "current_ma", "uA": "current_ua", "mV / ms": "current_mv_per_ms"}
RESETS = ("soft", "hard")


class BrainPyNeuronType:
    """How a protocol builds a population of one ``brainpy.state`` model (a :class:`NeuronType` of the registry).

    The model is made when first needed. Models that reset to ``V_reset`` after a spike
    take the option ``spk_reset`` (HH's constructor takes it too, but HH never resets): ``"soft"`` (BrainPy's default: ``V`` drops by ``V_th - V_reset``) or
    ``"hard"`` (``V = V_reset``, as integrate-and-fire models are usually written). There
    are no presets.

    Example
    -------
    >>> hh = BrainPyNeuronType("HH")
    >>> hh.input_key, sorted(hh.initial_keys), hh.options, hh.presets
    ('current_ua', ['V', 'h', 'm', 'n'], (), ())
    >>> adex = BrainPyNeuronType("AdExIF")
    >>> adex.options, adex.make(spk_reset="hard").kwargs
    (('spk_reset',), (('spk_reset', 'hard'),))
    >>> adex.make(spk_reset="half")
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: spk_reset: got 'half'; allowed: 'soft', 'hard'
    """

    presets: tuple[str, ...] = ()

    def __init__(self, class_name: str):
        self.class_name = class_name

    @functools.cached_property
    def model(self):
        """The adapted model with BrainPy's defaults (imports BrainPy)."""
        from bioplastic.neurons.brainpy_adapter import BrainPyNeuron

        return BrainPyNeuron(self.class_name)

    @functools.cached_property
    def options(self) -> tuple[str, ...]:
        """``("spk_reset",)`` for a model that resets to ``V_reset`` after a spike, else nothing."""
        import brainpy.state

        parameters = inspect.signature(getattr(brainpy.state, self.class_name).__init__).parameters
        return ("spk_reset",) if {"spk_reset", "V_reset"} <= set(parameters) else ()

    def make(self, spk_reset=None):
        """The model, with ``spk_reset`` where given (the build refuses options a model has not)."""
        if spk_reset is None:
            return self.model
        from bioplastic.neurons.brainpy_adapter import BrainPyNeuron

        return BrainPyNeuron(self.class_name, kwargs={"spk_reset": check_choice(spk_reset, "spk_reset", RESETS)})

    @property
    def input_key(self) -> str:
        """The protocol key of an input's amplitude, in the model's input unit."""
        return INPUT_KEYS_BY_UNIT[str(self.model.input_unit)]

    @property
    def initial_keys(self) -> dict[str, str]:
        """Initial values a protocol may set: every state variable, by its BrainPy name."""
        return {name: name for name in self.model.state_variables}

    def description(self) -> str:
        """One line for ``bioplastic list``: what the model is, its parameters and state with units, its input key."""
        import brainpy.state

        summary = (getattr(brainpy.state, self.class_name).__doc__ or "").strip().splitlines()[0].rstrip(".")
        model = self.model
        params = ", ".join(f"{name} ({unit})" for name, unit in model.param_units.items())
        state = ", ".join(f"{name} ({unit})" for name, unit in model.state_units.items())
        options = f"; options spk_reset ({' | '.join(RESETS)})" if self.options else ""
        return f"BrainPy's {self.class_name}: {summary}; params {params}; state {state}; input {self.input_key}{options}"
