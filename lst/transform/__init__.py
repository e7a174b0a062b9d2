"""The transform-domain family (Pan, Zhu, Atici & Cetin): fixed DCT, Hadamard and
block-wavelet transforms with learned per-coefficient filters and soft thresholds.

Modules
-------
transforms
    DCT-II, Hadamard and block wavelet transforms: 1-D, separable 2-D, exact inverses,
    matrix and fast implementations, and a CPU benchmark.
layers
    Soft thresholding and the transform-domain perceptron layer (single- and P-path).
models
    ResNet-20/18/50 variants and the MNIST models DCT-1, HT-1 and BWT-1, registered in
    :mod:`lst.registry` on import.
cifar
    The CIFAR-10 binary-format loader, augmentation and the paper's training recipe.
cli
    ``lst cifar-train``, ``cifar-evaluate``, ``cifar-synthetic`` and ``td-bench``.

Everything here needs torch except :mod:`~lst.transform.cifar`'s loader.
"""
