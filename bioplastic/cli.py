"""The ``bioplastic`` command: run, sweep, validate, export, list, schema, data.

::

    bioplastic --version
    bioplastic run PROTOCOL [--out DIR] [--set key.path=value ...] [--resume RUN_DIR] [--data-dir DIR] [LIMITS]
    bioplastic sweep PROTOCOL [--seeds 1-10] [--grid key.path=v1,v2 ...] [--jobs N] [--batch-seeds] [--backend ray [--address A]]
                     [--out DIR] | --resume SWEEP_DIR
    bioplastic validate PROTOCOL [--set key.path=value ...] [--data-dir DIR] [LIMITS]
    bioplastic export RUN_DIR [--nwb FILE.nwb] [--nir FILE.nir] [--overwrite]
    bioplastic list
    bioplastic schema [--kind KIND]
    bioplastic data list [--data-dir DIR]
    bioplastic data fetch NAME [NAME ...] [--data-dir DIR]

LIMITS are ``--max-memory-gb GB`` (default: the memory available) and ``--max-steps N``
(default 10^9): a run estimated beyond them is refused before anything is allocated, and
``validate`` prints the estimate. ``--debug`` shows the traceback of any error.

A protocol problem (or a bad file, folder or option) prints one line -- file, key path,
what was found, what is allowed -- and exits with code 2, with no traceback. A run that stops (NaN in the state, a resume
that does not match) exits with code 1 after saving what it had computed; Ctrl-C exits with
code 130 and names the command that resumes the run.

Example
-------
>>> from bioplastic.cli import main
>>> main(["list"])  # doctest: +ELLIPSIS
neurons:
  lif ...
training rules, network = 'mlp' ([training] protocols):
  dual_propagation ...
choices of [prediction] and [theta] protocols:
  prediction.learners                  three_factor | force | force_reset
  theta.gate.shape                     square | sine | jittered
...
0
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import typing

from bioplastic import __version__
from bioplastic._checks import BadInput
from bioplastic.experiments.size import DEFAULT_MAX_STEPS
from bioplastic.protocol.shipped import PROTOCOLS_DIR, find_protocol


def _parser() -> argparse.ArgumentParser:
    """The command line's parser; building it imports no JAX (``--help`` answers at once)."""
    parser = argparse.ArgumentParser(prog="bioplastic", description="Simulate biologically plausible learning.")
    parser.add_argument("--version", action="version", version=f"bioplastic {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run a protocol into a new run folder")
    run.add_argument("protocol", help="protocol TOML file, or the name of a shipped protocol (quickstart)")
    run.add_argument("--out", default="runs", help="folder that receives the run folder (default: runs)")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE",
                     help="override a protocol value (TOML syntax), e.g. --set simulation.duration_ms=100")
    run.add_argument("--resume", metavar="RUN_DIR", help="continue a stopped run from its checkpoint")
    run.add_argument("--quiet", action="store_true", help="no progress line")
    sweep = commands.add_parser("sweep", help="run a protocol over seeds and a grid of settings: a run folder per "
                                "point, and their summary with intervals")
    sweep.add_argument("protocol", nargs="?", help="protocol TOML file (its [sweep] table, if any, is the default plan)")
    sweep.add_argument("--seeds", help="seeds: a range 1-10, a list 1,2,5 or one (default: the [sweep] table's, "
                       "else the protocol's seed)")
    sweep.add_argument("--grid", action="append", default=[], metavar="KEY.PATH=V1,V2",
                       help="swept values of one key (TOML values), repeatable: every combination runs")
    sweep.add_argument("--jobs", type=_positive(int), default=os.cpu_count() or 1,
                       help="points at once, each in its own process with cores/jobs threads (default: the cores, "
                            f"{os.cpu_count() or 1}; 1 runs them in this process)")
    sweep.add_argument("--backend", choices=("local", "ray"), default="local",
                       help="local processes, or tasks on Ray (needs the ray extra)")
    sweep.add_argument("--address", help="with --backend ray: the Ray cluster to join (default: a local instance)")
    sweep.add_argument("--out", default="runs", help="folder that receives the sweep folder (default: runs)")
    sweep.add_argument("--resume", metavar="SWEEP_DIR", help="run again the points of a sweep that did not complete")
    sweep.add_argument("--batch-seeds", action="store_true",
                       help="run the seeds of each grid point together as one vectorised program (simulation protocols)")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    validate = commands.add_parser("validate", help="check a protocol without running it")
    validate.add_argument("protocol")
    validate.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE")
    commands.add_parser("list", help="components and shipped protocols")
    schema = commands.add_parser("schema", help="print the protocol JSON Schema of every kind (for editors)")
    schema.add_argument("--kind", help="the schema of one protocol kind only (bioplastic list names the kinds)")
    export = commands.add_parser("export", help="write a finished run in another format: its recordings as NWB, "
                                 "its network as NIR")
    export.add_argument("run_dir", metavar="RUN_DIR", help="a finished run folder")
    export.add_argument("--nwb", metavar="FILE.nwb", help="spikes, sampled variables and the protocol as a Neurodata "
                        "Without Borders file (needs the nwb extra)")
    export.add_argument("--nir", metavar="FILE.nir", help="the network as it stands after the run (a simulation run's "
                        "network, a continual run's spiking MLP) as a Neuromorphic Intermediate Representation graph "
                        "(needs the nir extra)")
    export.add_argument("--overwrite", action="store_true", help="replace existing output files")
    data = commands.add_parser("data", help="datasets: list what is cached, fetch what is missing")
    data_commands = data.add_subparsers(dest="data_command", required=True)
    data_commands.add_parser("list", help="datasets, where they are cached, verified or not")
    fetch = data_commands.add_parser("fetch", help="download, verify and cache datasets")
    fetch.add_argument("names", nargs="+", metavar="NAME")
    for sub in (run, sweep, validate, data_commands.choices["list"], fetch):
        sub.add_argument("--data-dir", default=None, help="dataset cache (default: $BIOPLASTIC_DATA_DIR or ~/.cache/bioplastic)")
    for sub in (run, validate):
        sub.add_argument("--devices", type=_positive(int), default=None, metavar="N",
                         help="spread a simulation's neurons over N devices (sets simulation.devices)")
        sub.add_argument("--max-memory-gb", type=_positive(float), default=None, metavar="GB",
                         help="refuse a run estimated to need more memory (default: the memory available)")
        sub.add_argument("--max-steps", type=_positive(int), default=DEFAULT_MAX_STEPS, metavar="N",
                         help=f"refuse a run of more steps (default: {DEFAULT_MAX_STEPS:,})")
    for sub in (parser, run, sweep, validate, export, data_commands.choices["list"], fetch):
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                         help="show the traceback of an error (for a bug report)")
    return parser


def _positive(number_type):
    """An argparse type: a number of ``number_type`` > 0, else a usage error naming what is allowed."""
    def parse(text: str):
        try:
            value = number_type(text)
        except ValueError:
            value = None
        if value is None or not value > 0 or value == float("inf"):
            raise argparse.ArgumentTypeError(f"got {text!r}; allowed: a {'whole ' if number_type is int else ''}"
                                             "number > 0")
        return value
    parse.__name__ = number_type.__name__
    return parse


def _sweep(args, command: list) -> None:
    from bioplastic.sweeps import run_sweep, sweep_plan

    if (args.protocol is None) == (args.resume is None):
        raise BadInput("bioplastic sweep", "both a protocol and --resume" if args.protocol else "neither a protocol "
                       "nor --resume", "a protocol file, or --resume SWEEP_DIR")
    if args.resume is not None and (args.seeds is not None or args.grid):
        raise BadInput("--resume", "--seeds or --grid with it", "--resume alone: the sweep keeps its plan")
    plan = None if args.protocol is None else sweep_plan(args.protocol, args.seeds, args.grid)[1]
    if args.address is not None and args.backend != "ray":
        raise BadInput("--address", args.address, "an address only with --backend ray")
    sweep_dir = run_sweep(args.protocol, args.out, plan, jobs=args.jobs, resume=args.resume, progress=not args.quiet,
                          data_dir=args.data_dir, command=command, backend=args.backend, address=args.address,
                          batch_seeds=args.batch_seeds)
    print(f"sweep folder: {sweep_dir}")
    print((sweep_dir / "summary.csv").read_text(), end="")


def _export(args) -> None:
    if args.nwb is None and args.nir is None:
        raise BadInput("bioplastic export", "neither --nwb nor --nir", "--nwb FILE.nwb, --nir FILE.nir or both")
    if args.nwb is not None:
        from bioplastic.exchange.nwb_file import export_nwb
        print(f"NWB file: {export_nwb(args.run_dir, args.nwb, overwrite=args.overwrite)}")
    if args.nir is not None:
        from bioplastic.exchange.nir_run import export_nir
        print(f"NIR graph: {export_nir(args.run_dir, args.nir, overwrite=args.overwrite)}")


def _data(args) -> None:
    from bioplastic.data.registry import DATASETS, dataset_status, fetch

    if args.data_command == "fetch":
        for name in args.names:
            if name in DATASETS and DATASETS[name].available:
                print(f"fetching {name} ...", file=sys.stderr, flush=True)
            print(f"{name}: verified, cached at {fetch(name, args.data_dir)}")
        return
    for name in DATASETS:
        status = dataset_status(name, args.data_dir)
        if status["verified"]:
            print(f"  {name:<15} verified   {status['path']}")
        elif status["available"]:
            print(f"  {name:<15} missing    {status['reason']}; fetch with: {status['fetch_command']}")
        else:
            print(f"  {name:<15} unavailable  {status['reason']}")


def _list() -> None:
    from bioplastic.experiments import KINDS
    from bioplastic.protocol import components

    general = [("neurons", components.NEURONS), ("connectivity", components.CONNECTIVITY),
               ("synapses", components.SYNAPSES), ("inputs", components.INPUTS), ("learning rules", components.RULES),
               ("signals", components.SIGNALS)]
    kinds = [entry for kind in KINDS.values() for entry in kind.registries]
    for title, registry in general + kinds + [("plots", components.PLOTS), ("metrics", components.METRICS)]:
        print(f"{title}:")
        for name, description in registry.describe():
            print(f"  {name:<24} {description}")
    print("protocol kinds (a protocol with a [table] of one of them; else a simulation):")
    for name, kind in KINDS.items():
        print(f"  {name:<24} {kind.description}")
    print(f"choices of {' and '.join(f'[{k.table}]' for k in KINDS.values() if k.choices)} protocols:")
    for key, model, field in (choice for kind in KINDS.values() for choice in kind.choices):
        print(f"  {key:<36} {' | '.join(_literal_choices(model.model_fields[field].annotation))}")
    print(f"protocols ({PROTOCOLS_DIR}):")
    for path in sorted(PROTOCOLS_DIR.glob("*.toml")):
        print(f"  {path.name}")


def _literal_choices(annotation) -> list:
    """The allowed strings of a ``Literal[...]`` (or ``list[Literal[...]]``) schema annotation."""
    if typing.get_origin(annotation) is typing.Literal:
        return list(typing.get_args(annotation))
    return [choice for argument in typing.get_args(annotation) for choice in _literal_choices(argument)]


def main(argv=None) -> int:
    """Entry point of the ``bioplastic`` console script; returns the exit code.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success; 2 for bad input -- a protocol problem, a file, folder or option that cannot
        be used, a ``--resume`` folder that is not a stopped run's; 1 when a run stopped
        (:class:`~bioplastic.runs.RunError`: NaN, a full disk, no memory) or on an unexpected
        error; 130 when it was interrupted (Ctrl-C; the message names the ``--resume``
        command). Each is one line on standard error, never a traceback unless ``--debug`` is
        given. A malformed command line exits through ``SystemExit(2)`` (argparse), ``--help``
        through ``SystemExit(0)``.

    Example
    -------
    >>> import contextlib, io, sys
    >>> from bioplastic.cli import PROTOCOLS_DIR
    >>> protocol_file = PROTOCOLS_DIR / "lif_single.toml"                # one LIF neuron, 400 ms
    >>> main(["validate", str(protocol_file)])                        # doctest: +ELLIPSIS
    /.../lif_single.toml: valid (4000 steps of 0.1 ms, 1 populations, 0 projections)
      size: about 33.1 kB of memory, 4,000 time steps
    0
    >>> stderr = io.StringIO()
    >>> with contextlib.redirect_stderr(stderr):
    ...     main(["validate", str(protocol_file), "--set", "simulation.dt_ms=-0.1"])
    2
    >>> print(stderr.getvalue().replace(str(protocol_file), "lif_single.toml"), end="")     # doctest: +ELLIPSIS
    error: lif_single.toml: simulation.dt_ms: got -0.1; allowed: ...
    >>> with contextlib.redirect_stderr(io.StringIO()) as stderr:
    ...     try:
    ...         main(["run"])
    ...     except SystemExit as exit:
    ...         print("exit code", exit.code)
    exit code 2
    >>> stderr.getvalue().splitlines()[-1]
    'bioplastic run: error: the following arguments are required: protocol'
    >>> try:
    ...     main(["--help"])
    ... except SystemExit as exit:
    ...     print("exit code", exit.code)                  # doctest: +ELLIPSIS
    usage: bioplastic [-h] [--version] [--debug]
                      {run,sweep,validate,list,schema,export,data} ...
    <BLANKLINE>
    Simulate biologically plausible learning.
    ...
    exit code 0
    >>> try:
    ...     main(["--version"])
    ... except SystemExit as exit:
    ...     print("exit code", exit.code)                  # doctest: +ELLIPSIS
    bioplastic 0...
    exit code 0
    """
    args = _parser().parse_args(argv)
    from bioplastic.data.cache import data_dir
    from bioplastic.experiments import KINDS, Limits, describe, protocol_json_schema, run_protocol
    from bioplastic.runs import RunError, RunInterrupted

    try:
        if getattr(args, "data_dir", None) is not None:
            data_dir(args.data_dir)                   # a cache that cannot be one is refused before anything runs
        if getattr(args, "protocol", None) is not None:
            args.protocol = str(find_protocol(args.protocol))    # a shipped protocol's name means its file
        if getattr(args, "devices", None) is not None:
            args.overrides.append(f"simulation.devices={args.devices}")
        if args.command == "run":
            limits = Limits(args.max_memory_gb, args.max_steps)
            run_dir = run_protocol(
                args.protocol, out_dir=args.out, overrides=args.overrides, resume=args.resume,
                progress=not args.quiet, command=["bioplastic", *(argv if argv is not None else sys.argv[1:])],
                data_dir=args.data_dir, limits=limits,
            )
            print(f"run folder: {run_dir}")
            metrics = json.loads((run_dir / "metrics.json").read_text())
            for name, value in metrics.items():
                if isinstance(value, (int, float)) or value is None:
                    print(f"  {name} = {'none' if value is None else format(value, '.4g')}")
        elif args.command == "sweep":
            _sweep(args, ["bioplastic", *(argv if argv is not None else sys.argv[1:])])
        elif args.command == "validate":
            print(describe(args.protocol, args.overrides, args.data_dir, Limits(args.max_memory_gb, args.max_steps)))
        elif args.command == "list":
            _list()
        elif args.command == "data":
            _data(args)
        elif args.command == "export":
            _export(args)
        else:
            if args.kind is not None and args.kind not in KINDS:
                raise BadInput("--kind", repr(args.kind), " | ".join(KINDS))
            print(json.dumps(protocol_json_schema(args.kind), indent=2))
    except Exception as error:
        if getattr(args, "debug", False) or isinstance(error, BrokenPipeError):     # console() ends a closed pipe
            raise
        if isinstance(error, BadInput):
            print(f"error: {error}", file=sys.stderr)
            return 2
        if isinstance(error, RunInterrupted):
            print(f"interrupted: {error}", file=sys.stderr)
            return 130
        if isinstance(error, RunError):
            print(f"run stopped: {error}", file=sys.stderr)
            return 1
        if isinstance(error, OSError):
            print(f"error: {error.strerror or type(error).__name__}"
                  f"{f' ({error.filename})' if error.filename else ''}", file=sys.stderr)
            return 1
        print(f"internal error: {type(error).__name__}: {error} (a bug in bioplastic: rerun with --debug for the "
              "traceback, and report it)", file=sys.stderr)
        return 1
    return 0


def console() -> None:
    """The console script: exit with :func:`main`'s code.

    Output piped into a program that stops reading (``bioplastic list | head``) ends
    quietly, as other command-line tools do, instead of with a BrokenPipeError.

    Example
    -------
    >>> import sys
    >>> from bioplastic.cli import PROTOCOLS_DIR
    >>> protocol_file = PROTOCOLS_DIR / "lif_single.toml"                # one LIF neuron, 400 ms
    >>> from unittest import mock
    >>> with mock.patch.object(sys, "argv", ["bioplastic", "validate", str(protocol_file)]):
    ...     try:
    ...         console()
    ...     except SystemExit as exit:
    ...         print("exit code", exit.code)                  # doctest: +ELLIPSIS
    /.../lif_single.toml: valid (4000 steps of 0.1 ms, 1 populations, 0 projections)
      size: about 33.1 kB of memory, 4,000 time steps
    exit code 0
    """
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())   # nothing left to flush at exit
        code = 0
    sys.exit(code)
