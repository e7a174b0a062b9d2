"""What a ``loadable`` core's load port takes: the load image and its CRC-32.

The load image of a configuration and a quantized model is a sequence of 32-bit words,
one value each (two's complement, sign-extended to 32 bits), in four regions:

1. ``weights``: the weight memory, word ``a`` (:meth:`RomImages.weight_rom`) lane by
   lane: value ``a·lanes + l`` is lane ``l``'s weight in word ``a``;
2. ``biases``: the drain biases (:meth:`RomImages.drain_biases`, rounding constants
   folded in);
3. ``out_biases``: ``bo`` by class;
4. ``tanh``: the activation table by address (:meth:`RomImages.tanh_rom`).

The memory keeps the low bits of each value (weight, bias or activation width). The
digest is the CRC-32 of IEEE 802.3 / zlib (polynomial 0x04C11DB7, reflected: 0xEDB88320;
initial value 0xFFFFFFFF; final complement) over the words as little-endian bytes, i.e.
every word's bits 0 to 31 in that order: ``zlib.crc32(words.astype("<u4").tobytes())``.
The hardware computes the same over every word it accepts (:class:`hw.components.weight_loader.
WeightLoader`). The image depends on the model, the format and the lane count (the
weight layout), not on ``pixels_per_beat``.
"""

from __future__ import annotations

import zlib

import numpy as np

from .config import SUPPORTED_LANES, CoreConfig

__all__ = ["REGIONS", "load_digest", "load_digests", "load_image", "load_regions", "words_crc"]

#: The load image's regions, in order.
REGIONS = ("weights", "biases", "out_biases", "tanh")


def load_regions(config: CoreConfig, qmodel) -> dict[str, int]:
    """Words of each region of the load image, in order."""
    from .rom_images import RomImages

    roms = RomImages(config, qmodel)
    return {
        "weights": config.weight_words * config.lanes,
        "biases": len(roms.drain_biases()),
        "out_biases": len(roms.output_biases()),
        "tanh": len(roms.tanh_rom()),
    }


def load_image(config: CoreConfig, qmodel) -> np.ndarray:
    """The load image (``uint32``, see the module docstring) of ``qmodel`` for ``config``."""
    from .rom_images import RomImages

    roms = RomImages(config, qmodel)
    parts = [
        roms.weight_rom().reshape(-1),
        roms.drain_biases(),
        roms.output_biases(),
        np.asarray(roms.tanh_rom()),
    ]
    values = np.concatenate([np.asarray(p, dtype=np.int64) for p in parts])
    assert values.min() >= -(1 << 31) and values.max() < 1 << 31
    return (values & 0xFFFFFFFF).astype(np.uint32)


def words_crc(words) -> int:
    """CRC-32 (zlib's) of 32-bit ``words`` as little-endian bytes: the load digest."""
    return zlib.crc32(np.asarray(words, dtype="<u4").tobytes()) & 0xFFFFFFFF


def load_digest(config: CoreConfig, qmodel) -> int:
    """The digest a ``loadable`` core of ``config`` reports after loading ``qmodel``."""
    return words_crc(load_image(config, qmodel))


def load_digests(qmodel, fmt: str) -> dict[str, str]:
    """``{lanes: "0x…"}``: the load digest for every supported lane count (what
    ``lst quantize`` writes into its manifest)."""
    out = {}
    for lanes in SUPPORTED_LANES:
        cfg = CoreConfig(lanes=lanes, format=fmt, model=qmodel.arch.name, weights="loadable")
        out[str(lanes)] = f"0x{load_digest(cfg, qmodel):08X}"
    return out


def write_quantized_model(qm, out_dir, *, force: bool = False) -> dict:
    """``lst quantize``'s output: :func:`quant.export.write_quantized` with, in the manifest,
    the CRC-32 (``load_digests``, by lane count) that a loadable core reports after
    loading this model, which the board's driver compares."""
    from quant.export import write_quantized

    return write_quantized(
        qm, out_dir, force=force, extra={"load_digests": load_digests(qm, qm.config.weight.name)}
    )
