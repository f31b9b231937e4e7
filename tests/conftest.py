"""Suite-wide fixtures: compiled programs do not outlive the test module that made them.

JAX keeps every compiled program (and the constants it captured) for the life of the
process; over the whole suite that held several GB. Clearing the caches after each
module keeps the suite's peak memory near that of its heaviest module, at the cost of
recompiling the few programs that two modules share.
"""

import gc

import jax
import pytest


@pytest.fixture(autouse=True, scope="module")
def _fresh_compilation_caches():
    yield
    jax.clear_caches()
    gc.collect()
