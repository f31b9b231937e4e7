"""Reference networks assembled from bioplastic's pieces.

Example
-------
>>> from bioplastic.networks import CobaNetwork
>>> CobaNetwork().n_exc
3200
"""

from bioplastic.networks.coba import CobaNetwork
from bioplastic.networks.network import Network, NetworkInput, Population, Projection

__all__ = ["CobaNetwork", "Network", "NetworkInput", "Population", "Projection"]
