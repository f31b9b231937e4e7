"""Batch training loops: epochs of minibatches for every batch rule (:mod:`bioplastic.train.batches`),
and task sequences for continual learning (:mod:`bioplastic.train.continual`).

Example
-------
>>> from bioplastic.train.batches import SCORES
>>> SCORES["classification"]
'test_accuracy'
"""
