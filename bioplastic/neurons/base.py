"""The neuron interface every population model implements.

A neuron model is a small, frozen (hashable) object that holds only *static* choices
(integration scheme, reset rule, activation name). Everything numeric lives in two
pytrees of arrays:

- ``params``: built and validated by ``model.params(**values)``; a NamedTuple whose
  fields carry their unit in the name (``tau_ms``, ``v_th_mv``). Any field may be an
  array broadcastable to the population shape, so a population can be heterogeneous and
  ``jax.grad`` / ``jax.vmap`` reach every parameter.
- ``state``: a NamedTuple created by ``model.init(params, shape, key)`` and advanced by
  ``model.step(params, state, input, dt) -> (state, output)`` (``dt`` in ms). ``output`` is the
  population's signal to the rest of the network: spikes (0.0 / 1.0, float) or rates.

``step`` is pure and traceable (no Python branching on values), so a network step built
from several models runs inside one ``jax.lax.scan`` under ``jax.jit``.

Units throughout bioplastic: time in ms, voltage in mV, currents expressed as the
voltage they produce across the membrane resistance (mV, i.e. R*I with R in MOhm and I
in nA), conductances relative to the leak conductance (dimensionless).
"""

from __future__ import annotations

import abc
from typing import Any

import jax


class NeuronModel(abc.ABC):
    """Abstract base of all neuron models; concrete models are frozen dataclasses.

    Attributes
    ----------
    state_variables : tuple of str
        Names of the state fields a user may record (``"v"``, ``"spike"``, ...).
    state_units : dict
        The unit of each of ``state_variables`` as its plain numbers carry it (``"mV"``,
        ``"mV/ms"``; ``"1"`` for a dimensionless one, spikes 0/1 included), for whoever
        labels or exports a recording.
    input_unit : str
        The unit of the input that :meth:`step` takes (and so of the weights of current
        synapses onto the model); a brainunit unit for
        :class:`~bioplastic.neurons.brainpy_adapter.BrainPyNeuron`.

    Example
    -------
    >>> from bioplastic.neurons.lif import LIF
    >>> issubclass(LIF, NeuronModel), LIF.state_variables, LIF.state_units["v"], LIF.input_unit
    (True, ('v', 'refractory_steps', 'spike'), 'mV', 'mV')
    """

    state_variables: tuple[str, ...] = ()
    state_units: dict = {}
    input_unit: str = "1"

    @abc.abstractmethod
    def params(self, **values) -> Any:
        """Return a validated parameter pytree; unknown names or bad values raise ``BadInput``.

        Example
        -------
        Every concrete model names the wrong argument and lists what it accepts:

        >>> from bioplastic.neurons.lif import LIF
        >>> LIF().params(tau_s=0.02)
        Traceback (most recent call last):
        ...
        bioplastic._checks.BadInput: LIF.params: got unknown parameter 'tau_s'; allowed: tau_ms, v_rest_mv, v_th_mv, v_reset_mv, tau_ref_ms
        """

    @abc.abstractmethod
    def init(self, params, shape, key: jax.Array) -> Any:
        """Return the initial state of a population of ``shape`` neurons.

        Parameters
        ----------
        params : NamedTuple
            From ``model.params(...)``.
        shape : int or tuple of int
            Population shape.
        key : jax key or None
            For random initial states; deterministic models ignore it and accept ``None``.

        Returns
        -------
        NamedTuple
            Holds at least the fields in ``state_variables``, each of the population shape.

        Example
        -------
        >>> from bioplastic.neurons.lif import LIF
        >>> from bioplastic.neurons.rate import RateUnit
        >>> for model in (LIF(), RateUnit()):
        ...     state = model.init(model.params(), (2, 3), None)
        ...     print(type(state).__name__, [getattr(state, n).shape for n in model.state_variables])
        LIFState [(2, 3), (2, 3), (2, 3)]
        RateState [(2, 3), (2, 3)]
        """

    @abc.abstractmethod
    def step(self, params, state, input, dt: float) -> tuple[Any, jax.Array]:
        """Advance ``state`` by ``dt`` ms under ``input``; return ``(new_state, output)``.

        The same call works for every model, so a loop written once drives any of them.

        Parameters
        ----------
        params : NamedTuple
            From ``model.params(...)``.
        state : NamedTuple
            From :meth:`init` or a previous step.
        input : array or model-specific NamedTuple
            Drive over the step, broadcastable to the population shape (e.g. mV across R for LIF).
        dt : float
            Step (ms).

        Returns
        -------
        (NamedTuple, array)
            The new state and the output, of the population shape: spikes (0.0 / 1.0) for spiking
            models, rates for rate models.

        Example
        -------
        >>> import jax.numpy as jnp
        >>> from bioplastic.neurons.lif import LIF
        >>> from bioplastic.neurons.rate import RateUnit
        >>> for model in (LIF(), RateUnit(leaky=False)):
        ...     params = model.params()
        ...     state, output = model.step(params, model.init(params, 2, None), jnp.array([0.0, 1000.0]), 1.0)
        ...     print(type(model).__name__, output.tolist())
        LIF [0.0, 1.0]
        RateUnit [0.0, 1000.0]
        """
