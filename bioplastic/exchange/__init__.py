"""Taking results elsewhere: run folders to NWB, networks to and from NIR.

- :mod:`bioplastic.exchange.nwb_file` writes a run folder as a Neurodata Without Borders
  file (needs the ``nwb`` extra: ``pip install "bioplastic[nwb]"``);
- :mod:`bioplastic.exchange.nir_graph` writes simulation networks as Neuromorphic
  Intermediate Representation graphs, :mod:`~bioplastic.exchange.nir_mlp` a continual
  run's spiking MLP, :mod:`~bioplastic.exchange.nir_network` reads graphs back and
  :mod:`~bioplastic.exchange.nir_run` writes a finished run folder (needs the ``nir``
  extra);
- :mod:`bioplastic.exchange.run_folder` holds the checks both exporters make of a run
  folder and an output file.

Nothing here is imported by the simulator itself, so the optional packages are needed
only by whoever exports.
"""
