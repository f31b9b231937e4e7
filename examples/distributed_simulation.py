"""One protocol's network spread over several processes -- one per host -- with ``jax.distributed``.

Start the same command in every process (on every host), each with its own
``--process-id``; process 0's host and a free port are the coordinator. Every process
builds the same network from the protocol's seed, its populations' neurons are split over
all the processes' devices (``simulation.devices`` = every device JAX sees, as
:mod:`bioplastic.networks.sharding` places them), and the compiled loop runs across them;
process 0 writes the spikes and the final membrane potentials to ``--out``.

On CPUs the processes talk through gloo; on GPUs through NCCL, with nothing to change here.
Two processes on one machine stand in for two hosts::

    python examples/distributed_simulation.py protocols/coba.toml --coordinator localhost:23456 \\
        --processes 2 --process-id 0 --out two.npz &
    python examples/distributed_simulation.py protocols/coba.toml --coordinator localhost:23456 \\
        --processes 2 --process-id 1
    python examples/distributed_simulation.py protocols/coba.toml --out one.npz      # one process, for comparison

``tests/test_sharding.py`` runs exactly that and finds the two files identical.
"""

from __future__ import annotations

import argparse

import jax
import numpy as np


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("protocol", help="a simulation protocol file")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE")
    parser.add_argument("--coordinator", help="HOST:PORT of process 0 (omit for one process)")
    parser.add_argument("--processes", type=int, default=1, help="processes in all (default 1)")
    parser.add_argument("--process-id", type=int, default=0, help="this process's number, 0 to processes - 1")
    parser.add_argument("--out", default="spikes.npz", help="file process 0 writes")
    args = parser.parse_args(argv)
    if args.coordinator:
        jax.config.update("jax_cpu_collectives_implementation", "gloo")      # CPUs' collectives; GPUs use NCCL
        jax.distributed.initialize(coordinator_address=args.coordinator, num_processes=args.processes,
                                   process_id=args.process_id)

    from bioplastic.experiments import validate_protocol
    from bioplastic.networks.sharding import host_copy
    from bioplastic.simulation import simulate

    e = validate_protocol(args.protocol, [*args.overrides, f"simulation.devices={len(jax.devices())}"])
    probes = {name: probe for name, probe in e.probes.items() if probe.reduce == "events"}
    final, records = simulate(e.network.step, e.state, e.n_steps, params=e.params, drive=e.drive, probes=probes,
                              dt=e.dt)
    final, records = host_copy((final, records))
    if jax.process_index() == 0:
        arrays = {f"{name}.{field}": np.asarray(getattr(record, field))[:int(record.count)] if field != "count"
                  else np.asarray(record.count) for name, record in records.items() for field in ("steps", "neurons", "count")}
        arrays.update({f"v.{name}": state.v for name, state in final["populations"].items()})
        np.savez(args.out, **arrays)
        print(f"{len(jax.devices())} devices in {jax.process_count()} processes: wrote {args.out}")


if __name__ == "__main__":
    main()
