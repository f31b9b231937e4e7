"""Analysis: spike trains as events, similarity of representations, continual-learning metrics, subspace angles,
means over seeds with their intervals, a Gaussian-process decoder of a position on a ring.

Example
-------
>>> import numpy as np
>>> from bioplastic.analysis import linear_cka
>>> a = np.random.default_rng(0).normal(size=(50, 5))
>>> round(float(linear_cka(a, 3.0 * a)), 6)
1.0
"""

from bioplastic.analysis.continual import average_accuracy, backward_transfer
from bioplastic.analysis.intervals import mean_interval
from bioplastic.analysis.representations import linear_cka
from bioplastic.analysis.ring_decoder import RingDecoder
from bioplastic.analysis.spike_events import SpikeEvents, spike_recordings
from bioplastic.analysis.subspaces import principal_angles, principal_directions

__all__ = ["RingDecoder", "SpikeEvents", "spike_recordings", "linear_cka", "average_accuracy", "backward_transfer", "mean_interval", "principal_angles", "principal_directions"]
