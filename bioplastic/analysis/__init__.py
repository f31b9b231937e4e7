"""Analysis of learned representations: similarity measures between activity matrices.

Example
-------
>>> import numpy as np
>>> from bioplastic.analysis import linear_cka
>>> a = np.random.default_rng(0).normal(size=(50, 5))
>>> round(float(linear_cka(a, 3.0 * a)), 6)
1.0
"""

from bioplastic.analysis.representations import linear_cka

__all__ = ["linear_cka"]
