"""Suite-wide settings and fixtures: compiled programs do not outlive their test module, but stay on disk.

JAX keeps every compiled program (and the constants it captured) for the life of the
process; over the whole suite that held several GB. Clearing the in-memory caches after
each module keeps the suite's peak memory near that of its heaviest module. Most of the
suite's time is XLA compiling small programs that then run for milliseconds, and many
modules run the same toy protocols: a persistent compilation cache in a folder of this
session (set before JAX is imported, so every subprocess a test starts shares it) reads
such a program back instead of compiling it again. The cached program is the compiled
one itself, so no result changes.
"""

import gc
import os
import tempfile

os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", tempfile.mkdtemp(prefix="bioplastic-tests-xla-"))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.2")

import jax  # noqa: E402  (after the settings above)
import pytest  # noqa: E402


@pytest.fixture(autouse=True, scope="module")
def _fresh_compilation_caches():
    yield
    jax.clear_caches()
    gc.collect()
