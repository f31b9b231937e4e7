"""Package attributes imported on first use (PEP 562), so that ``import bioplastic`` is cheap.

The command line answers ``--help`` and ``--version`` without importing JAX: a package
lists what it exports and where each name lives, and the module behind a name is imported
the first time the name is read.

Example
-------
>>> import sys
>>> getattr_, dir_ = lazy_exports("demo", {"sqrt": "math:sqrt", "json": "json"})
>>> getattr_("sqrt")(9.0), getattr_("json").__name__
(3.0, 'json')
>>> dir_()
['json', 'sqrt']
>>> getattr_("cube")
Traceback (most recent call last):
...
AttributeError: module 'demo' has no attribute 'cube'
"""

from __future__ import annotations

import importlib
from typing import Callable


def lazy_exports(package: str, exports: dict[str, str]) -> tuple[Callable[[str], object], Callable[[], list]]:
    """Return a module's ``__getattr__`` and ``__dir__`` for ``exports``.

    ``exports`` maps a public name to ``"module"`` (the name is that module) or
    ``"module:attribute"`` (the name is an attribute of it). A name is looked up in its
    module when first read; Python then finds it through ``__getattr__`` on every later read
    (a cheap dictionary lookup and ``getattr``).
    """
    def __getattr__(name: str):
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, _, attribute = exports[name].partition(":")
        imported = importlib.import_module(module)
        return getattr(imported, attribute) if attribute else imported

    def __dir__() -> list:
        return sorted(exports)

    return __getattr__, __dir__
