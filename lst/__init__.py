"""LST: Learned 2D Separable Transform networks, from PyTorch to FPGA.

This package holds the model descriptions, MNIST loading, checkpoints, training and
the ``lst`` command line. Importing it does not import torch: only the training and
float-evaluation modules (:mod:`lst.models`, :mod:`lst.train`) do.
"""

__version__ = "0.1.0"
