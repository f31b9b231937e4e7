"""A NIR graph of LIF, CubaLIF and linear nodes as a bioplastic :class:`~bioplastic.networks.network.Network`.

The reading of :mod:`bioplastic.exchange.nir_graph` (its conventions hold here too: time
constants in seconds, voltages and weights in mV, an input held over its step):

- ``nir.LIF`` -> a LIF population: ``tau_ms = 1000 tau``, ``v_rest_mv = v_leak``,
  ``v_th_mv = v_threshold``, ``v_reset_mv = v_reset``, no refractory period, hard reset
  (``reset = "subtract"`` in the node's metadata: ``v`` drops by ``v_threshold - v_reset``,
  as :mod:`bioplastic.exchange.nir_mlp` writes the spiking MLP);
  ``r`` multiplies every input of the node (the weights into it, its external drive);
- ``nir.LI`` -> a LIF population that never fires (``v_th_mv`` the largest float32): its
  membrane ``v`` (probe ``populations.NAME.v``) is the node's output;
- ``nir.CubaLIF`` -> a LIF population whose incoming projections have exponential current
  synapses of ``tau_ms = 1000 tau_syn`` (one value for the node); a weight ``W`` into
  neuron ``j`` becomes ``W r_j w_in_j (1 - exp(-dt / tau_syn))``, the rise of ``r I`` over
  one step of a held input (1 for a graph bioplastic wrote);
- ``nir.Linear`` / ``nir.Affine`` -> a dense projection of the node's name from the
  population before it to the one after it; an Affine's ``bias`` comes from a spike source
  ``NAME_bias`` of one neuron that fires every step, through a projection ``NAME_bias``;
- ``nir.Input`` -> a spike-source population of its name when it feeds Linear/Affine nodes
  (an input value > 0 is a spike), or external drive (``r`` times the value, mV) when it
  feeds a LIF node directly; an Input with metadata ``signal = "current"`` feeding
  Linear/Affine nodes is no population: its value ``x`` drives the LIF/LI node after each
  with ``r (W x + bias)`` (mV), in the same step;
- ``nir.Output`` -> the population whose output it reads.

Each LIF population integrates as the node's metadata ``integration`` says (bioplastic
writes it), else ``integration`` (default ``"exact"``). Every bioplastic projection carries
the previous step's output, so a spike crosses each Linear/Affine node in one step; a
simulator that runs feed-forward layers within one step sees it that many steps earlier.
NIR's threshold is ``v > v_threshold``, bioplastic's ``v >= v_th``. A graph starts at rest
(``v = v_leak``, no synaptic current).

Any other node (Delay, Conv, IF, I, Threshold, Flatten, Scale, a nested NIRGraph, ...),
a node of several dimensions or an edge other than Input -> Linear/Affine, Input -> LIF,
LIF/CubaLIF -> Linear/Affine, Linear/Affine -> LIF/CubaLIF/LI and LIF/CubaLIF/LI -> Output
(and a current Input's Linear/Affine into a CubaLIF) is a
:class:`~bioplastic._checks.BadInput` naming the node or edge.

Example
-------
>>> import jax, nir, numpy as np
>>> from bioplastic.simulation import Probe, simulate
>>> graph = nir.NIRGraph(
...     nodes={"drive": nir.Input(input_type=np.array([2])),
...            "cells": nir.LIF(tau=np.full(2, 0.02), r=np.ones(2), v_leak=np.zeros(2), v_threshold=np.ones(2)),
...            "out": nir.Output(output_type=np.array([2]))},
...     edges=[("drive", "cells"), ("cells", "out")])
>>> imported = nir_to_network(graph, dt_ms=0.1)
>>> imported.inputs, imported.outputs
({'drive': ('cells',)}, {'out': 'cells'})
>>> state = imported.network.init(imported.params, jax.random.PRNGKey(0))
>>> _, counts = simulate(imported.network.step, state, 200, params=imported.params, dt=0.1,
...                      drive=imported.drive({"drive": np.array([0.5, 2.0])}),
...                      probes={"cells": Probe("outputs.cells", stride=200, reduce="sum")})
>>> counts["cells"].tolist()              # 20 ms: 0.5 never reaches the threshold 1, 2.0 does once (at 13.9 ms)
[[0.0, 1.0]]
"""

from __future__ import annotations

import dataclasses
import pathlib

import numpy as np

from bioplastic._checks import BadInput, check_dt
from bioplastic.exchange.nir_graph import nir_module, synapse_factor
from bioplastic.networks.network import Network, Population, Projection
from bioplastic.neurons.lif import LIF
from bioplastic.neurons.spike_source import SpikeSource
from bioplastic.simulation import Constant, TimeSeries
from bioplastic.synapses.connectivity import dense
from bioplastic.synapses.exponential import ExponentialSynapse

NODE_TYPES = ("Input", "Output", "LIF", "CubaLIF", "LI", "Linear", "Affine")
EDGES = ("Input -> Linear/Affine, Input -> LIF, LIF/CubaLIF -> Linear/Affine, Linear/Affine -> LIF/CubaLIF/LI, "
         "LIF/CubaLIF/LI -> Output")
NEURON_NODES, LINEAR_NODES = ("LIF", "CubaLIF", "LI"), ("Linear", "Affine")
NEVER = float(np.finfo(np.float32).max)      # the threshold of an LI node's population: never reached
BIAS = "_bias"


@dataclasses.dataclass(frozen=True)
class NIRNetwork:
    """A NIR graph read into bioplastic: the network, its parameters and where its inputs and outputs are.

    Fields
    ------
    network : Network
        Populations and projections.
    params : dict
        ``network.params(...)``, ready for ``network.init`` and ``network.step``.
    inputs : dict
        Input node name -> the populations its values reach (its spike source, or the LIF
        populations it drives directly).
    outputs : dict
        Output node name -> the population whose output (spikes) it reads.
    scales : dict
        Input node name -> ``{population: factor}``, the ``r`` its values are multiplied by
        (1 for a spike source); used by :meth:`drive`.
    bias_sources : tuple of str
        The always-firing spike sources of Affine biases (``NAME_bias``), driven by :meth:`drive`.
    currents : dict
        Current Input node name -> ``{population: (matrix (n_in, size), offset (size,))}``:
        its value ``x`` drives the population with ``x @ matrix + offset`` (mV).

    Example
    -------
    >>> import nir, numpy as np
    >>> graph = nir.NIRGraph(nodes={"x": nir.Input(input_type=np.array([1])),
    ...                             "lif": nir.LIF(tau=np.array([0.01]), r=np.array([2.0]), v_leak=np.array([0.0]),
    ...                                            v_threshold=np.array([1.0])),
    ...                             "y": nir.Output(output_type=np.array([1]))},
    ...                      edges=[("x", "lif"), ("lif", "y")])
    >>> nir_to_network(graph, 1.0).scales
    {'x': {'lif': array([2.])}}
    """

    network: Network
    params: dict
    inputs: dict
    outputs: dict
    scales: dict
    bias_sources: tuple = ()
    currents: dict = dataclasses.field(default_factory=dict)

    def drive(self, values: dict) -> dict:
        """The network's drive: population -> bioplastic inputs, from the values of the Input nodes.

        Parameters
        ----------
        values : dict
            Input node name -> its values: an array ``(steps, size)`` (one row a step) or
            ``(size,)`` (the same every step). Every Input node needs one.

        Returns
        -------
        dict
            Population name -> tuple of :class:`~bioplastic.simulation.TimeSeries` /
            :class:`~bioplastic.simulation.Constant` (mV for LIF populations), including the
            always-firing sources of Affine biases; pass it as ``drive`` to ``simulate``.

        Example
        -------
        >>> import nir, numpy as np
        >>> graph = nir.NIRGraph(nodes={"x": nir.Input(input_type=np.array([1])),
        ...                             "lif": nir.LIF(tau=np.array([0.01]), r=np.array([2.0]),
        ...                                            v_leak=np.array([0.0]), v_threshold=np.array([1.0])),
        ...                             "y": nir.Output(output_type=np.array([1]))},
        ...                      edges=[("x", "lif"), ("lif", "y")])
        >>> nir_to_network(graph, 1.0).drive({"x": np.array([0.3])})["lif"][0].value.tolist()
        [0.6000000238418579]
        >>> nir_to_network(graph, 1.0).drive({})
        Traceback (most recent call last):
        ...
        bioplastic._checks.BadInput: values: got no entry for Input node 'x'; allowed: one array per Input node: x
        """
        drive: dict = {}
        terms = [(name, population, lambda value, scale=scale: value * np.asarray(scale, np.float32))
                 for name, scales in self.scales.items() for population, scale in scales.items()]
        terms += [(name, population, lambda value, matrix=matrix, offset=offset: value @ matrix + offset)
                  for name, mapped in self.currents.items() for population, (matrix, offset) in mapped.items()]
        for name, population, transform in terms:
            if name not in values:
                raise BadInput("values", f"no entry for Input node {name!r}",
                               f"one array per Input node: {', '.join(dict.fromkeys([*self.scales, *self.currents]))}")
            value = np.asarray(values[name], np.float32)
            scaled = np.asarray(transform(value), np.float32)
            term = TimeSeries(scaled) if value.ndim == 2 else Constant(scaled)
            drive[population] = drive.get(population, ()) + (term,)
        for name in self.bias_sources:
            drive[name] = (Constant(np.ones(1, np.float32)),)
        return drive


def nir_to_network(graph, dt_ms: float, *, integration: str = "exact") -> NIRNetwork:
    """A ``nir.NIRGraph`` (or a file that ``nir.read`` reads) as a bioplastic network run with steps of ``dt_ms``.

    See the module docstring for the mapping and its conventions.

    Parameters
    ----------
    graph : nir.NIRGraph or str or pathlib.Path
        The graph, or its ``.nir`` file.
    dt_ms : float
        The step (ms) the network will run with (it sets the CubaLIF weight factor).
    integration : {"exact", "euler"}
        The LIF integration of nodes whose metadata does not name one.

    Returns
    -------
    NIRNetwork

    Raises
    ------
    BadInput
        ``nir`` is missing (``pip install "bioplastic[nir]"``), the file is missing, or a
        node or edge has no bioplastic counterpart (the message names it).

    Example
    -------
    >>> import nir, numpy as np
    >>> graph = nir.NIRGraph(nodes={"x": nir.Input(input_type=np.array([1])),
    ...                             "d": nir.Delay(delay=np.array([0.001])),
    ...                             "y": nir.Output(output_type=np.array([1]))}, edges=[("x", "d"), ("d", "y")])
    >>> nir_to_network(graph, 0.1)                                        # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: NIR node 'd': got a node of type Delay;
        allowed: one of Input, Output, LIF, CubaLIF, LI, Linear, Affine
    """
    nir = nir_module("nir_to_network")
    dt_ms = check_dt(dt_ms)
    if isinstance(graph, (str, pathlib.Path)):
        if not pathlib.Path(graph).is_file():
            raise BadInput(str(graph), "no file", "a NIR file (.nir) written by nir.write")
        graph = nir.read(graph)
    kinds = {}
    for name, node in graph.nodes.items():
        kind = type(node).__name__
        if kind not in NODE_TYPES:
            raise BadInput(f"NIR node {name!r}", f"a node of type {kind}", f"one of {', '.join(NODE_TYPES)}")
        kinds[name] = kind
    incoming = {name: [] for name in graph.nodes}
    outgoing = {name: [] for name in graph.nodes}
    for source, target in graph.edges:
        allowed = {"Input": ("LIF",) + LINEAR_NODES, "LIF": LINEAR_NODES + ("Output",),
                   "CubaLIF": LINEAR_NODES + ("Output",), "LI": ("Output",), "Linear": NEURON_NODES,
                   "Affine": NEURON_NODES}
        if kinds[target] not in allowed.get(kinds[source], ()):
            raise BadInput(f"NIR edge {source!r} -> {target!r}", f"{kinds[source]} -> {kinds[target]}", EDGES)
        incoming[target].append(source)
        outgoing[source].append(target)

    populations, neuron_params, gains, currents = [], {}, {}, {}
    for name, node in graph.nodes.items():
        if kinds[name] in NEURON_NODES:
            population, params, gain = _neuron_population(name, node, kinds[name], dt_ms, integration)
            populations.append(population)
            neuron_params[name], gains[name] = params, gain
        elif kinds[name] == "Input" and _current(node):
            currents[name] = {}
        elif kinds[name] == "Input" and any(kinds[t] in LINEAR_NODES for t in outgoing[name]):
            populations.append(Population(name, SpikeSource(), _size(name, node.input_type["input"])))
            neuron_params[name] = SpikeSource().params()

    projections, connectivity, bias_sources = [], {}, []
    sizes = {p.name: p.size for p in populations}
    sizes.update({name: _size(name, graph.nodes[name].input_type["input"]) for name in currents})
    for name, node in graph.nodes.items():
        if kinds[name] not in LINEAR_NODES:
            continue
        if len(incoming[name]) != 1 or len(outgoing[name]) != 1:
            raise BadInput(f"NIR node {name!r}", f"{len(incoming[name])} incoming and {len(outgoing[name])} outgoing "
                           f"edges", "one edge in and one edge out of every Linear/Affine node")
        pre, post = incoming[name][0], outgoing[name][0]
        weight = np.asarray(node.weight, np.float64)
        if weight.shape != (sizes[post], sizes[pre]):
            raise BadInput(f"NIR node {name!r}.weight", f"shape {weight.shape}",
                           f"(size of {post!r}, size of {pre!r}) = {(sizes[post], sizes[pre])}")
        bias = np.asarray(getattr(node, "bias", 0.0), np.float64)
        if pre in currents:
            if kinds[post] == "CubaLIF":
                raise BadInput(f"NIR node {name!r}", f"a current Input ({pre!r}) into a CubaLIF ({post!r})",
                               "a current Input's Linear/Affine into LIF or LI nodes (bioplastic adds it to the "
                               "membrane)")
            currents[pre][post] = ((weight.T * gains[post]).astype(np.float32),
                                   (np.broadcast_to(bias, (sizes[post],)) * gains[post]).astype(np.float32))
            continue
        synapse = ExponentialSynapse(float(graph.nodes[post].tau_syn[0]) * 1000.0) if kinds[post] == "CubaLIF" else None
        projections.append(Projection(name, pre, post, synapse))
        connectivity[name] = _dense(weight.T * gains[post])
        if np.any(bias != 0):
            populations.append(Population(name + BIAS, SpikeSource(), 1))
            bias_sources.append(name + BIAS)
            neuron_params[name + BIAS] = SpikeSource().params()
            projections.append(Projection(name + BIAS, name + BIAS, post, synapse))
            connectivity[name + BIAS] = _dense(np.broadcast_to(bias, (sizes[post],))[None, :] * gains[post])

    network = Network(tuple(populations), tuple(projections))
    inputs, scales = {}, {}
    for name in graph.nodes:
        if kinds[name] == "Input":
            direct = [t for t in outgoing[name] if kinds[t] == "LIF"]
            scales[name] = {name: 1.0} if name in sizes and name not in currents else {}
            scales[name].update({target: gains[target] for target in direct})
            inputs[name] = tuple(dict.fromkeys([*scales[name], *currents.get(name, {})]))
    outputs = {name: incoming[name][0] for name in graph.nodes if kinds[name] == "Output" and incoming[name]}
    return NIRNetwork(network, network.params(neuron_params, connectivity), inputs, outputs, scales,
                      tuple(bias_sources), currents)


def _current(node) -> bool:
    """Whether an Input node carries a current (metadata ``signal = "current"``) rather than spikes."""
    return str(node.metadata.get("signal", "spikes")) == "current"


def _size(name: str, shape) -> int:
    shape = tuple(int(n) for n in np.atleast_1d(shape))
    if len(shape) != 1:
        raise BadInput(f"NIR node {name!r}", f"shape {shape}", "one dimension (a population of neurons)")
    return shape[0]


def _dense(weights: np.ndarray):
    """A dense Connectivity of the ``(pre, post)`` weight matrix ``weights`` (mV)."""
    n_pre, n_post = weights.shape
    return dense(n_pre, n_post, 0.0).with_weights(weights.astype(np.float32))


def _neuron_population(name: str, node, kind: str, dt_ms: float, integration: str):
    """``(population, LIF params, gain on its inputs)`` of a LIF, CubaLIF or LI node."""
    tau = node.tau_mem if kind == "CubaLIF" else node.tau
    size = _size(name, np.shape(tau))
    if kind == "CubaLIF":
        tau_syn = np.asarray(node.tau_syn, np.float64)
        if np.any(tau_syn != tau_syn.flat[0]):
            raise BadInput(f"NIR node {name!r}.tau_syn", f"values from {tau_syn.min():g} to {tau_syn.max():g} s",
                           "one value for every neuron (bioplastic's exponential synapse has one time constant)")
        gain = np.asarray(node.r, np.float64) * np.asarray(node.w_in, np.float64) * synapse_factor(dt_ms,
                                                                                                    tau_syn * 1000.0)
    else:
        gain = np.asarray(node.r, np.float64) * np.ones(size)
    model = LIF(integration=str(node.metadata.get("integration", integration)),
                reset=str(node.metadata.get("reset", "hard")))
    threshold, reset = (NEVER, node.v_leak) if kind == "LI" else (node.v_threshold, node.v_reset)
    params = model.params(tau_ms=np.asarray(tau, np.float64) * 1000.0, v_rest_mv=node.v_leak,
                          v_th_mv=threshold, v_reset_mv=reset)
    return Population(name, model, size), params, gain
