"""One network's neurons spread over several devices, with ``jax.sharding``.

:func:`shard_network` places every per-neuron array of a network -- the populations'
parameters and state, their outputs, and the synaptic traces of the projections onto
them -- split along the neuron axis over a one-dimensional mesh of ``n_devices`` devices
(axis ``"neurons"``), and everything else (connectivity, delay buffers, learned weights,
inputs) whole on each device. The compiled time loop then follows that layout (XLA's
sharding propagation): each device integrates its own share of the neurons, and the spikes
every step needs are gathered. Propagation reads the whole connectivity on every device in
the same order as on one, so a sharded run gives the same spikes as an unsharded one.

A population whose size is not a multiple of ``n_devices`` stays whole on every device.

Example
-------
>>> import jax
>>> from bioplastic.neurons.lif import LIF
>>> from bioplastic.networks.network import Network, Population
>>> net = Network(populations=(Population("exc", LIF(), 4),))
>>> params = net.params({"exc": LIF().params()}, {})
>>> params, state, drive = shard_network(net, params, net.init(params, jax.random.PRNGKey(0)), None, 1)
>>> state["populations"]["exc"].v.shape                       # one device: nothing moves
(4,)
>>> shard_network(net, params, state, None, 64)               # doctest: +ELLIPSIS
Traceback (most recent call last):
...
bioplastic._checks.BadInput: devices: got 64; allowed: at most ... (the devices JAX sees: ...)
"""

from __future__ import annotations

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from bioplastic._checks import BadInput, check_size

AXIS = "neurons"


def available_devices() -> str:
    """The devices JAX sees, for messages: ``"2 cpu"`` or ``"1 gpu"``.

    Example
    -------
    >>> available_devices().split()[1] in ("cpu", "gpu", "tpu")
    True
    """
    devices = jax.devices()
    return f"{len(devices)} {devices[0].platform}"


def shard_network(network, params: dict, state: dict, drive, n_devices: int):
    """``(params, state, drive)`` placed over ``n_devices`` devices: per-neuron arrays split, the rest whole.

    Parameters
    ----------
    network : Network
        The structure (population sizes, projection targets).
    params, state : dict
        From ``network.params`` and ``network.init`` (or a checkpoint of the state).
    drive : pytree or None
        The inputs, placed whole on every device.
    n_devices : int
        Devices to use, the first ``n_devices`` of ``jax.devices()``; 1 leaves everything as it is.

    Raises
    ------
    BadInput
        More devices than JAX sees (at ``devices``).
    """
    n_devices = check_size(n_devices, "devices")
    if n_devices == 1:
        return params, state, drive
    devices = jax.devices()
    if n_devices > len(devices):
        raise BadInput("devices", n_devices, f"at most {len(devices)} (the devices JAX sees: {available_devices()}; "
                       "XLA_FLAGS=--xla_force_host_platform_device_count=N makes N of a CPU)")
    mesh = Mesh(np.asarray(devices[:n_devices]), (AXIS,))
    split, whole = NamedSharding(mesh, PartitionSpec(AXIS)), NamedSharding(mesh, PartitionSpec())

    def per_neuron(tree, size: int):
        def place(leaf):
            along = np.ndim(leaf) >= 1 and np.shape(leaf)[0] == size and size % n_devices == 0
            return jax.device_put(leaf, split if along else whole)
        return jax.tree_util.tree_map(place, tree)

    sizes = {population.name: population.size for population in network.populations}
    posts = {projection.name: sizes[projection.post] for projection in network.projections}
    params = {"populations": {name: per_neuron(value, sizes[name]) for name, value in params["populations"].items()},
              "projections": jax.device_put(params["projections"], whole)}
    state = {**state,
             "populations": {name: per_neuron(value, sizes[name]) for name, value in state["populations"].items()},
             "outputs": {name: per_neuron(value, sizes[name]) for name, value in state["outputs"].items()},
             "synapses": {name: per_neuron(value, posts[name]) for name, value in state["synapses"].items()},
             "delays": jax.device_put(state["delays"], whole), "plastic": jax.device_put(state["plastic"], whole)}
    return params, state, jax.device_put(drive, whole)
