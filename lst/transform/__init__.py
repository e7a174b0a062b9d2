"""The transform-domain family (Pan, Zhu, Atici & Cetin): fixed DCT, Hadamard and
block-wavelet transforms with learned per-coefficient filters and soft thresholds.

Modules
-------
matrices
    The transform matrices in NumPy (DCT-II, Hadamard, block wavelet, their inverses),
    without torch.
transforms
    The transforms on tensors: 1-D, separable 2-D, exact inverses, matrix and fast
    implementations, and a CPU benchmark.
layers
    Soft thresholding and the transform-domain perceptron layer (single- and P-path).
resnets
    ResNet-20/18/50 variants with transform-domain layers (CIFAR-10, ImageNet).
models
    The MNIST models DCT-1, HT-1 and BWT-1, MAC counting, and the registration of every
    model in :mod:`lst.registry` on import.
cifar
    The CIFAR-10 binary-format loader, augmentation and the paper's training recipe.
cli
    ``lst cifar-train``, ``cifar-evaluate``, ``cifar-synthetic`` and ``td-bench``.

Everything here needs torch except :mod:`~lst.transform.matrices` and
:mod:`~lst.transform.cifar`'s loader.
"""
