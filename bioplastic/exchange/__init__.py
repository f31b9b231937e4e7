"""Taking results elsewhere: run folders to NWB, networks to and from NIR.

- :mod:`bioplastic.exchange.nwb_file` writes a run folder as a Neurodata Without Borders
  file (needs the ``nwb`` extra: ``pip install "bioplastic[nwb]"``);
- :mod:`bioplastic.exchange.nir_graph` writes networks as Neuromorphic Intermediate
  Representation graphs and reads them back (needs the ``nir`` extra).

Nothing here is imported by the simulator itself, so the optional packages are needed
only by whoever exports.
"""
