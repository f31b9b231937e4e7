"""The one experiment engine: run folders, checkpoints, resume, progress, the non-finite
watch, interrupts and the manifest's status, for every protocol kind.

Example
-------
>>> from bioplastic import runs
>>> runs.checkpoint.FILE, runs.RunInterrupted.__mro__[1].__name__
('checkpoint.npz', 'RunError')
"""

from bioplastic.runs import checkpoint
from bioplastic.runs.engine import Work, run_work
from bioplastic.runs.errors import RunError, RunInterrupted
from bioplastic.runs.folder import (
    new_run_folder,
    now,
    open_run_folder,
    read_npz,
    read_toml_table,
    to_toml,
    write_json,
    write_npz,
    write_text,
)
from bioplastic.runs.progress import Progress
from bioplastic.runs.watch import nonfinite

__all__ = [
    "Progress", "RunError", "RunInterrupted", "Work", "checkpoint", "new_run_folder", "nonfinite", "now",
    "open_run_folder", "read_npz", "read_toml_table", "run_work", "to_toml", "write_json", "write_npz", "write_text",
]
