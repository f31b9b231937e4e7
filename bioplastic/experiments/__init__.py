"""Protocol kinds, one folder each, and the one path from a protocol file to a run folder.

``KINDS`` maps a kind's table name to its :class:`~bioplastic.experiments.kind.Kind`. A
protocol is of the kind whose table it has, else of the default kind (a simulation).
:func:`load_protocol`, :func:`validate_protocol` and :func:`run_protocol` -- and through
them the command line, the JSON Schema and ``bioplastic list`` -- go through that table
and name no kind.

Example
-------
>>> from bioplastic.experiments import kind_of
>>> kind_of({"name": "x", "training": {}}).table, kind_of({"name": "x"}).table
('training', 'simulation')
"""

from bioplastic._lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, {
    "Kind": "bioplastic.experiments.kind:Kind",
    "KINDS": "bioplastic.experiments.kinds:KINDS",
    "Limits": "bioplastic.experiments.size:Limits",
    **{name: f"bioplastic.experiments.launch:{name}" for name in (
        "check_batchable", "describe", "kind_of", "load_protocol", "protocol_json_schema", "run_protocol",
        "run_seeds_batched", "validate_protocol")},
})

__all__ = ["KINDS", "Kind", "Limits", "check_batchable", "describe", "kind_of", "load_protocol", "protocol_json_schema", "run_protocol", "run_seeds_batched", "validate_protocol"]
