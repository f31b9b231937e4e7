"""A simulation network as a Neuromorphic Intermediate Representation (NIR) graph.

NIR (``nir`` package, the ``nir`` extra) is how snnTorch, Norse, Rockpool, Lava and spyx
exchange networks. It has no learning rules: a graph is a network as it stands
(:func:`bioplastic.exchange.nir_run.export_nir` writes a run folder's learned weights in
place of the initial ones). :func:`bioplastic.exchange.nir_network.nir_to_network` reads
such a graph back; :mod:`bioplastic.exchange.nir_mlp` writes a continual run's spiking MLP.

What becomes what
-----------------
- a LIF population whose incoming projections are all delta synapses (or that has none):
  ``nir.LIF``; one whose incoming projections are all current-based exponential synapses
  of one time constant: ``nir.CubaLIF`` (the synapse is part of the node);
- a spike-source population: ``nir.Input`` of its name (the spikes come from outside);
- a projection: ``nir.Linear`` of its name, weight the dense ``(post, pre)`` matrix of
  its :class:`~bioplastic.synapses.connectivity.Connectivity` (mV); a projection onto a
  spike source is refused (its weights drive nothing, and an Input takes no edge);
- a LIF population that takes external drive (``inputs``): ``nir.Input`` ``input_NAME``
  with an edge into it; a population read out (``outputs``): ``nir.Output``
  ``output_NAME`` with an edge from it (a run folder's recorded LIF populations).

Conventions (the NIR equations with bioplastic's units)
--------------------------------------------------------
NIR's LIF is ``tau dv/dt = (v_leak - v) + r I``, a spike when ``v`` crosses
``v_threshold``, then ``v = v_reset``; CubaLIF adds ``tau_syn dI/dt = -I + w_in S``.
Time constants are in **seconds** (as snnTorch and Norse write them); voltages and
weights are bioplastic's numbers in **mV** (NIR itself has no units), so ``v_leak`` is
``v_rest_mv`` and ``r = 1`` (bioplastic's input is already ``R I`` in mV).

An input arriving through an edge is the value of a discrete-time signal held over its
step of ``dt`` (a spike: 1 for that one step), the sampling that snnTorch's exporter also
assumes. Integrating CubaLIF's synapse exactly over a step with ``S`` held makes a spike
of weight ``w`` raise ``I`` by ``w w_in (1 - exp(-dt / tau_syn))``; bioplastic's
exponential synapse raises its trace by ``w``, so the node is written with
``w_in = 1 / (1 - exp(-dt / tau_syn))`` (snnTorch writes ``tau_syn / dt``, the same to
first order in ``dt / tau_syn``). ``dt`` is therefore part of the graph: it is stored in
the graph's metadata (``dt_s``, seconds), with ``voltage_unit`` ``mV`` and, on each
neuron node, bioplastic's ``integration`` (``exact`` or ``euler``), so that the reader
rebuilds the same discretisation. NIR's LIF resets ``v`` to ``v_reset``; a population of
``reset = "subtract"`` (``v`` drops by ``v_th - v_reset``) is written with the node's
metadata ``reset`` ``"subtract"``, which bioplastic's reader follows and other simulators
may ignore (they reset to ``v_reset``, where a subtraction from the threshold itself
lands). Simulators that run NIR differently (another ``dt``,
forward Euler, a spike at ``v > v_threshold`` where bioplastic fires at ``v >=
v_threshold``) agree with bioplastic up to their discretisation.

What does not map (refused with :class:`~bioplastic._checks.BadInput`): learning rules
(the weights are exported, the rule is not), transmission delays (``delay_ms > 0``),
conductance synapses, a refractory period (``tau_ref_ms > 0``: NIR's LIF has none),
neuron types other than LIF and spike sources (Izhikevich, rate
units, ...), a population that mixes delta and exponential synapses or exponential
synapses of two time constants, and external drive into a CubaLIF population (NIR passes
every input of a CubaLIF through its synapse; bioplastic adds drive to the membrane).
Initial states (``initial`` in a protocol) are not part of NIR either; a graph starts
at rest.

Example
-------
>>> import jax
>>> from bioplastic.networks.network import Network, Population, Projection
>>> from bioplastic.neurons.lif import LIF
>>> from bioplastic.neurons.spike_source import SpikeSource
>>> from bioplastic.synapses.connectivity import dense
>>> from bioplastic.synapses.exponential import ExponentialSynapse
>>> net = Network((Population("pre", SpikeSource(), 3), Population("post", LIF(), 2)),
...               (Projection("ff", "pre", "post", ExponentialSynapse(5.0)),))
>>> params = net.params({"pre": SpikeSource().params(), "post": LIF().params()}, {"ff": dense(3, 2, 4.0)})
>>> graph = network_to_nir(net, params, dt_ms=0.1)
>>> sorted(graph.nodes), graph.edges
(['ff', 'output_post', 'post', 'pre'], [('pre', 'ff'), ('ff', 'post'), ('post', 'output_post')])
>>> type(graph.nodes["post"]).__name__, graph.nodes["post"].tau_mem.tolist(), graph.nodes["ff"].weight.shape
('CubaLIF', [0.02, 0.02], (2, 3))
"""

from __future__ import annotations

import numpy as np

from bioplastic._checks import BadInput, check_dt
from bioplastic.networks.network import Network
from bioplastic.neurons.lif import LIF
from bioplastic.neurons.spike_source import SpikeSource

VOLTAGE_UNIT = "mV"
INPUT_PREFIX, OUTPUT_PREFIX = "input_", "output_"


def nir_module(where: str):
    """The ``nir`` package, or a BadInput at ``where`` that says how to install it.

    Example
    -------
    >>> nir_module("bioplastic export --nir").__name__
    'nir'
    """
    try:
        import nir
    except ImportError:
        raise BadInput(where, "no nir (the optional extra nir is not installed)",
                       'pip install "bioplastic[nir]"') from None
    return nir


def synapse_factor(dt_ms: float, tau_syn_ms) -> np.ndarray:
    """``1 - exp(-dt / tau_syn)``: the rise of a CubaLIF synapse over one step of a held input of 1, per ``w_in``.

    Both times in ms; the writer stores ``w_in`` as its inverse, the reader multiplies
    weights by ``r w_in`` times it (see the module docstring).

    Example
    -------
    >>> import math
    >>> math.isclose(synapse_factor(0.1, 5.0), 1 - math.exp(-0.02), rel_tol=1e-12)
    True
    """
    return -np.expm1(-dt_ms / np.asarray(tau_syn_ms, np.float64))


def network_to_nir(network: Network, params: dict, dt_ms: float, *, inputs=(), outputs=None):
    """The LIF populations and projections of ``network`` as a ``nir.NIRGraph`` (see the module docstring).

    Parameters
    ----------
    network : Network
        LIF populations (no refractory period) and spike sources, joined by
        projections without delay of delta or current-based exponential synapses.
    params : dict
        From ``network.params``; its connectivities' weights (mV) are written.
    dt_ms : float
        The step (ms) the network runs with (stored as ``dt_s``; it sets CubaLIF's ``w_in``).
    inputs : iterable of str
        LIF populations that take external drive; each gets an Input node ``input_NAME``.
    outputs : iterable of str or None
        Populations read out, each through an Output node ``output_NAME``; ``None``: every LIF population.

    Returns
    -------
    nir.NIRGraph

    Raises
    ------
    BadInput
        ``nir`` is missing, or a part of the network has no NIR counterpart (the message names it).

    Example
    -------
    >>> import jax
    >>> from bioplastic.networks.network import Population, Projection
    >>> from bioplastic.synapses.connectivity import dense
    >>> net = Network((Population("a", LIF(), 2), Population("b", LIF(), 1)),
    ...               (Projection("ab", "a", "b", delay_steps=2),))
    >>> params = net.params({"a": LIF().params(), "b": LIF().params()}, {"ab": dense(2, 1, 5.0)})
    >>> graph = network_to_nir(net, params, 0.1, inputs=["a"])
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: projection 'ab'.delay_steps: got 2; allowed: 0 (NIR has no transmission delay here)
    """
    nir = nir_module("network_to_nir")
    dt_ms = check_dt(dt_ms)
    nodes, edges = {}, []
    for population in network.populations:
        nodes[population.name] = _population_node(nir, network, params, population, dt_ms)
    for projection in network.projections:
        if projection.delay_steps > 0:
            raise BadInput(f"projection {projection.name!r}.delay_steps", repr(projection.delay_steps),
                           "0 (NIR has no transmission delay here)")
        if isinstance(network.population(projection.post).model, SpikeSource):
            raise BadInput(f"projection {projection.name!r}", f"a projection onto the spike source {projection.post!r} "
                           "(its weights drive nothing)", "projections onto LIF populations (a NIR Input takes no edge)")
        dense = np.asarray(params["projections"][projection.name].to_dense(), np.float64)
        _add(nodes, projection.name, nir.Linear(weight=dense.T))
        edges += [(projection.pre, projection.name), (projection.name, projection.post)]
    for name in inputs:
        node = nodes[network.population(name).name]
        if isinstance(node, nir.Input):
            continue
        if isinstance(node, nir.CubaLIF):
            raise BadInput(f"inputs: population {name!r}",
                           "external drive into a population with exponential synapses (a CubaLIF node)",
                           "external drive into LIF populations with delta synapses only (NIR passes every input of a "
                           "CubaLIF through its synapse)")
        _add(nodes, INPUT_PREFIX + name, nir.Input(input_type=np.array([network.population(name).size])))
        edges.append((INPUT_PREFIX + name, name))
    if outputs is None:
        outputs = [p.name for p in network.populations if isinstance(p.model, LIF)]
    for name in outputs:
        population = network.population(name)
        _add(nodes, OUTPUT_PREFIX + name, nir.Output(output_type=np.array([population.size])))
        edges.append((name, OUTPUT_PREFIX + name))
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata={"dt_s": dt_ms / 1000.0, "voltage_unit": VOLTAGE_UNIT,
                                                            "written_by": "bioplastic"})


def _add(nodes: dict, name: str, node) -> None:
    if name in nodes:
        raise BadInput(f"NIR node {name!r}", "two parts of the network of this name",
                       "distinct names of populations and projections (and no population called input_X or output_X)")
    nodes[name] = node


def _population_node(nir, network: Network, params: dict, population, dt_ms: float):
    """The NIR node of one population: Input (spike source), LIF or CubaLIF."""
    where = f"population {population.name!r}"
    model = population.model
    if isinstance(model, SpikeSource):
        return nir.Input(input_type=np.array([population.size]))
    if not isinstance(model, LIF):
        raise BadInput(where, f"neuron model {type(model).__name__}", "LIF populations and spike sources (NIR's LIF, "
                       "CubaLIF and Input nodes)")
    p = {name: np.broadcast_to(np.asarray(value, np.float64), (population.size,))
         for name, value in params["populations"][population.name]._asdict().items()}
    if np.any(p["tau_ref_ms"] > 0):
        raise BadInput(f"{where}.tau_ref_ms", repr(float(p["tau_ref_ms"].max())),
                       "0 (NIR's LIF has no refractory period)")
    synapses = {projection.synapse for projection in network.projections if projection.post == population.name}
    for synapse in synapses:
        if synapse is not None and synapse.conductance_based:
            raise BadInput(f"{where}: incoming synapses", "a conductance synapse (exponential_conductance)",
                           "delta or exponential current synapses (NIR has no conductance synapse)")
    metadata = {"integration": model.integration, "reset": model.reset}
    ones = np.ones(population.size)
    if synapses <= {None}:
        return nir.LIF(tau=p["tau_ms"] / 1000.0, r=ones, v_leak=p["v_rest_mv"], v_threshold=p["v_th_mv"],
                       v_reset=p["v_reset_mv"], metadata=metadata)
    if len(synapses) > 1:
        kinds = sorted("delta" if s is None else f"exponential (tau_ms {s.tau_ms:g})" for s in synapses)
        raise BadInput(f"{where}: incoming synapses", f"{', '.join(kinds)}",
                       "one kind: all delta (NIR's LIF) or all exponential current synapses of one tau_ms (CubaLIF)")
    tau_syn_ms = next(iter(synapses)).tau_ms
    return nir.CubaLIF(tau_syn=ones * tau_syn_ms / 1000.0, tau_mem=p["tau_ms"] / 1000.0, r=ones, v_leak=p["v_rest_mv"],
                       v_threshold=p["v_th_mv"], v_reset=p["v_reset_mv"],
                       w_in=ones / synapse_factor(dt_ms, tau_syn_ms), metadata=metadata)
