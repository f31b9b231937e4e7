"""The trained spiking MLP of a continual run as a Neuromorphic Intermediate Representation (NIR) graph.

The network of :mod:`bioplastic.networks.spiking_mlp` (the HLOP experiments) becomes::

    input (Input, a current) -> layer_0 (Linear) -> hidden_0 (LIF) -> layer_1 (Linear) -> ...
        -> readout (Linear) -> rate (LI) -> logits (Output)

- each hidden layer ``l`` is a ``nir.LIF`` of ``tau`` the MLP's ``tau``, ``r = 1``,
  ``v_leak = 0``, ``v_threshold = alpha v_th_l`` and ``v_reset = (alpha - 1) v_th_l``, with
  node metadata ``reset = "subtract"``: the MLP lowers ``u`` by ``v_th_l`` after a spike
  (``v_threshold - v_reset``), which NIR's LIF (a hard reset to ``v_reset``) cannot say;
  a simulator that ignores the metadata resets to ``v_reset``, the value a subtraction
  reaches from the threshold itself;
- a spike of layer ``l`` is worth ``v_th_l / dt`` in the MLP, so the weights after it are
  written times ``v_th_l / dt`` (NIR's spikes are 1);
- the input is a current held for the ``T`` steps, so the Input node has metadata
  ``signal = "current"`` (a bioplastic reader drives ``hidden_0`` with ``W_0^T x``);
- the readout, the rate ``sum_t w_t o_t / sum_t w_t`` with ``w_t = exp(-(T - t) dt / tau)``
  times the output weights, is a ``nir.LI`` of the same ``tau`` after the readout Linear,
  with ``r = 1 / ((1 - beta) sum_t w_t)`` (unnormalised ``w_t``, ``beta = exp(-dt / tau)``):
  its value after step ``T`` is the logits.

The MLP's time is dimensionless (``tau`` and ``dt`` in one unit); it is written as seconds
(``tau`` as is, ``dt_s = dt`` and ``time_steps`` in the graph's metadata), so the graph runs
as the MLP did when read with ``dt_ms = 1000 dt``. An input standardisation of the run
(``input_scaling``) is not part of the graph: standardise the pixels before the Input.

Example
-------
>>> import jax
>>> from bioplastic.networks.spiking_mlp import SpikingMLPConfig, init_spiking_mlp
>>> graph = spiking_mlp_to_nir(init_spiking_mlp(jax.random.PRNGKey(0), (4, 3, 2)), SpikingMLPConfig())
>>> graph.edges
[('input', 'layer_0'), ('layer_0', 'hidden_0'), ('hidden_0', 'readout'), ('readout', 'rate'), ('rate', 'logits')]
>>> graph.nodes["hidden_0"].v_threshold.tolist(), graph.nodes["layer_0"].weight.shape
([0.09, 0.09, 0.09], (3, 4))
"""

from __future__ import annotations

import numpy as np

from bioplastic._checks import BadInput
from bioplastic.exchange.nir_graph import nir_module
from bioplastic.networks.spiking_mlp import SpikingMLPConfig


def spiking_mlp_to_nir(weights, config: SpikingMLPConfig, thresholds=None):
    """``weights`` (one ``(n_in, n_out)`` matrix per layer) of a spiking MLP as a ``nir.NIRGraph``.

    Parameters
    ----------
    weights : sequence of arrays
        As :func:`~bioplastic.networks.spiking_mlp.init_spiking_mlp` makes them (a run's
        ``weights.npz``: ``weights_0``, ``weights_1``, ...); at least two layers.
    config : SpikingMLPConfig
        The neuron constants (dimensionless time, written as seconds).
    thresholds : sequence of float, optional
        Each hidden layer's learned ``v_th`` (``thresholds`` in ``weights.npz``), in place of ``config.v_th``.

    Returns
    -------
    nir.NIRGraph
        See the module docstring.

    Example
    -------
    >>> import numpy as np
    >>> spiking_mlp_to_nir([np.ones((2, 3))], SpikingMLPConfig())             # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: weights: got 1 layer;
        allowed: two or more layers (a spiking hidden layer and the readout)
    """
    nir = nir_module("spiking_mlp_to_nir")
    weights = [np.asarray(w, np.float64) for w in weights]
    if len(weights) < 2:
        raise BadInput("weights", f"{len(weights)} layer{'s' * (len(weights) != 1)}",
                       "two or more layers (a spiking hidden layer and the readout)")
    v_th = [config.v_th] * (len(weights) - 1) if thresholds is None else [float(t) for t in thresholds]
    if len(v_th) != len(weights) - 1:
        raise BadInput("thresholds", f"{len(v_th)} values", f"one per hidden layer ({len(weights) - 1})")
    nodes = {"input": nir.Input(input_type=np.array([weights[0].shape[0]]), metadata={"signal": "current"})}
    edges, before, spike_value = [], "input", 1.0
    for layer, (w, threshold) in enumerate(zip(weights[:-1], v_th)):
        n = w.shape[1]
        nodes[f"layer_{layer}"] = nir.Linear(weight=w.T * spike_value)
        nodes[f"hidden_{layer}"] = nir.LIF(
            tau=np.full(n, config.tau), r=np.ones(n), v_leak=np.zeros(n),
            v_threshold=np.full(n, config.alpha * threshold), v_reset=np.full(n, (config.alpha - 1.0) * threshold),
            metadata={"reset": "subtract", "integration": "exact"})
        edges += [(before, f"layer_{layer}"), (f"layer_{layer}", f"hidden_{layer}")]
        before, spike_value = f"hidden_{layer}", threshold / config.dt
    n_classes = weights[-1].shape[1]
    unnormalised = np.exp(-(config.time_steps - np.arange(1, config.time_steps + 1)) * config.dt / config.tau).sum()
    nodes["readout"] = nir.Linear(weight=weights[-1].T * spike_value)
    nodes["rate"] = nir.LI(tau=np.full(n_classes, config.tau), v_leak=np.zeros(n_classes),
                           r=np.full(n_classes, 1.0 / (-np.expm1(-config.dt / config.tau) * unnormalised)),
                           metadata={"integration": "exact"})
    nodes["logits"] = nir.Output(output_type=np.array([n_classes]))
    edges += [(before, "readout"), ("readout", "rate"), ("rate", "logits")]
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata={"dt_s": config.dt, "time_steps": config.time_steps,
                                                            "written_by": "bioplastic"})
