"""One network's neurons spread over several devices, with ``jax.sharding``.

:func:`shard_network` places the populations' parameters and state -- every neuron's
membrane potential and per-neuron parameters -- split along the neuron axis over a
one-dimensional mesh of ``n_devices`` devices (axis ``"neurons"``), and everything else
(connectivity, synaptic traces, outputs, delay buffers, learned weights, inputs) whole on
each device. The compiled time loop follows that layout (XLA's sharding propagation):
each device integrates its own share of the neurons, and what a step needs whole (the
spikes, the arriving currents) is gathered. Every sum runs in the same order as on one
device, so a sharded run gives the same spikes as an unsharded one. Those gathers are
several collectives per step: on devices that are slices of one CPU a step costs about
0.5 ms more (docs/scale_out.md), so splitting pays where one device's memory is too small.

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
    """``(params, state, drive)`` placed over ``n_devices`` devices: the populations' arrays split, the rest whole.

    Parameters
    ----------
    network : Network
        The structure (its populations' sizes).
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
    params = {"populations": {name: per_neuron(value, sizes[name]) for name, value in params["populations"].items()},
              "projections": jax.device_put(params["projections"], whole),
              "incoming": jax.device_put(params.get("incoming", {}), whole)}
    state = {key: {name: per_neuron(value, sizes[name]) for name, value in part.items()} if key == "populations"
             else jax.device_put(part, whole) for key, part in state.items()}
    return params, state, jax.device_put(drive, whole)


def host_copy(tree):
    """NumPy copies of a pytree's arrays, whole, also where their shards live in other processes (``jax.distributed``).

    An array every process holds whole (or that lives in this process alone) is fetched
    as it is; one split over several processes' devices is gathered from all of them
    (``multihost_utils.process_allgather``), which every process must call together.

    Example
    -------
    >>> import jax.numpy as jnp
    >>> host_copy({"v": jnp.arange(3.0)})["v"].tolist()
    [0.0, 1.0, 2.0]
    """
    from jax.experimental import multihost_utils

    def fetch(leaf):
        if isinstance(leaf, jax.Array) and not leaf.is_fully_addressable and not leaf.is_fully_replicated:
            return np.asarray(multihost_utils.process_allgather(leaf, tiled=True))
        return np.asarray(jax.device_get(leaf))
    return jax.tree_util.tree_map(fetch, tree)
