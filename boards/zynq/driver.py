"""Host driver for the LST accelerator on a Zynq: ``LSTAccelerator(bitfile=...)(images)``.

Runs on the board's ARM cores under PYNQ, and in simulation here: all hardware access
goes through a small :class:`Backend` interface (register read/write, DMA buffers,
one send and one receive transfer), implemented by :class:`PynqBackend` on the board
and by ``sim.zynq_backend.CocotbBackend`` against the RTL in cocotb. A plain-Linux
back end (UIO or ``/dev/mem`` plus u-dma-buf) would implement the same methods.

Imports only the standard library and NumPy (PYNQ lazily, in :class:`PynqBackend`):
no torch, no Amaranth. The call ``accel(images) -> InferenceResult`` has the golden
model's signature and result type (``quant.golden``; on the board, where ``quant`` is
not installed, a dataclass with the same fields), so ``accel(x) == golden(x)`` is the
check.

One batch (up to ``max_batch`` images) is one DMA transfer each way: the driver sets
``IMAGES_PER_PACKET`` to the batch size, starts the receive channel, then the send
channel, and waits for both with a deadline. See ``docs/board.md``.

A bitstream built with ``--weights loadable`` takes any model of its shape and format:
``accel.load(checkpoint_or_quantized_dir)`` writes the load image through
``LOAD_DATA``, compares the hardware's CRC-32 with the model's and records the model
(this needs the project's ``quant`` and ``hw`` packages, still no torch).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from . import regmap
from .regmap import (
    BEATS_PER_IMAGE,
    CONTROL_BITS,
    DROPPED_FLAG,
    RESULT_WORDS,
    STATUS_BITS,
    offset,
)

try:  # in the project: the golden model's own type
    from quant.golden import InferenceResult, check_images
except ImportError:  # on the board: the same fields and checks

    @dataclass
    class InferenceResult:
        """``classes`` int64 (N,), ``logits`` int64 (N, 10), ``intermediates`` (empty)."""

        classes: np.ndarray
        logits: np.ndarray
        intermediates: dict = field(default_factory=dict)

        def __len__(self) -> int:
            return len(self.classes)

    def check_images(images, n: int = 28) -> np.ndarray:
        images = np.asarray(images)
        if images.dtype != np.uint8:
            raise TypeError(f"images must be uint8, not {images.dtype}")
        if images.ndim == 2:
            images = images[None]
        if images.ndim != 3 or images.shape[1:] != (n, n):
            raise ValueError(f"images must be N×{n}×{n}, not {'×'.join(map(str, images.shape))}")
        return images


__all__ = [
    "AcceleratorError",
    "Backend",
    "BitstreamMismatch",
    "DMAError",
    "DMATimeout",
    "FramingError",
    "InferenceResult",
    "LSTAccelerator",
    "LoadError",
    "PynqBackend",
]

IMAGE_BYTES = 784
RESULT_BYTES = 4 * RESULT_WORDS
#: AXI DMA simple mode, 26-bit length register: at most 64 MiB - 1 per transfer.
MAX_TRANSFER_BYTES = (1 << 26) - 1
MAX_PACKET_IMAGES = 0xFFFF


class AcceleratorError(RuntimeError):
    """A fault of the accelerator or its DMA; the message says what to do."""


class BitstreamMismatch(AcceleratorError):
    """The loaded bitstream is not the LST wrapper, or not the one the driver expects."""


class DMATimeout(AcceleratorError):
    """A DMA transfer did not complete before the deadline."""


class DMAError(AcceleratorError):
    """The DMA reported an error or moved an unexpected number of bytes."""


class FramingError(AcceleratorError):
    """The wrapper counted a framing error: images were dropped."""


class LoadError(AcceleratorError):
    """A weight load was refused by the hardware or its digest did not match."""


class Backend(Protocol):
    """What the driver needs from the hardware (or a simulation of it).

    ``clock_hz`` is the accelerator's clock; ``now()`` the back end's time in seconds
    (wall clock on the board, simulated time in simulation); timeouts are in the same
    seconds. ``wait_receive`` returns the bytes the receive channel wrote (it completes
    at the stream's ``tlast``, like AXI DMA's S2MM channel in simple mode).
    """

    clock_hz: float

    def read(self, offset: int) -> int: ...
    def write(self, offset: int, value: int) -> None: ...
    def write_many(self, offset: int, values: list[int]) -> None: ...
    def allocate(self, count: int, dtype) -> np.ndarray: ...
    def start_receive(self, buffer: np.ndarray, nbytes: int) -> None: ...
    def start_send(self, buffer: np.ndarray, nbytes: int) -> None: ...
    def wait_send(self, timeout: float) -> None: ...
    def wait_receive(self, timeout: float) -> int: ...
    def reset_dma(self) -> None: ...
    def now(self) -> float: ...


class LSTAccelerator:
    """The accelerator behind the golden model's call signature.

    Parameters
    ----------
    bitfile : path, optional
        The overlay (``lst.bit`` with ``lst.hwh`` beside it) for :class:`PynqBackend`;
        its manifest ``lst.json``, if present, is checked against the hardware.
    backend : Backend, optional
        Instead of ``bitfile``: any implementation of :class:`Backend`.
    manifest : path or dict, optional
        The wrapper's manifest (``lst_axi.json``): lanes and weights digest to expect.
    timeout : float
        Seconds allowed per batch, plus ``per_image_timeout`` per image.
    max_batch : int
        Images per DMA transfer; larger inputs are split.
    """

    def __init__(
        self,
        bitfile=None,
        *,
        backend: Backend | None = None,
        manifest=None,
        timeout: float = 2.0,
        per_image_timeout: float = 1e-3,
        max_batch: int = 8192,
    ):
        if (bitfile is None) == (backend is None):
            raise ValueError("give exactly one of bitfile and backend")
        if not 1 <= max_batch <= min(MAX_PACKET_IMAGES, MAX_TRANSFER_BYTES // IMAGE_BYTES):
            raise ValueError(
                f"max_batch must be between 1 and {MAX_PACKET_IMAGES}, not {max_batch}"
            )
        if timeout <= 0 or per_image_timeout < 0:
            raise ValueError("timeout must be > 0 and per_image_timeout >= 0")
        if backend is None:
            backend = PynqBackend(bitfile)
            default = Path(bitfile).with_suffix(".json")
            if manifest is None and default.exists():
                manifest = default
        if isinstance(manifest, str | Path):
            manifest = json.loads(Path(manifest).read_text())
        self.hw = backend
        self.manifest = manifest
        self.timeout = timeout
        self.per_image_timeout = per_image_timeout
        self.max_batch = max_batch
        #: Seconds from starting the DMA transfers to their completion, summed over batches.
        self.dma_seconds = 0.0
        self.info = self.identify()
        #: The model whose weights the hardware holds: the bitstream's own until
        #: :meth:`load` succeeds; None after a failed load (inference is then refused).
        self.loaded: dict | None = {"source": "bitstream", "digest": self.info["weights_digest"]}
        self.clear_errors()

    # ------------------------------------------------------------ registers

    def read(self, name: str) -> int:
        return self.hw.read(offset(name))

    def write(self, name: str, value: int) -> None:
        self.hw.write(offset(name), value)

    def identify(self) -> dict:
        """Read the identification and configuration registers; raise
        :class:`BitstreamMismatch` if they are not this wrapper's (or the manifest's)."""
        magic = self.read("MAGIC")
        if magic != regmap.MAGIC:
            raise BitstreamMismatch(
                f"MAGIC reads {magic:#010x}, not {regmap.MAGIC:#010x}: the overlay is not the "
                "LST wrapper, or its address map differs from the .hwh"
            )
        version = self.read("VERSION")
        if version >> 16 != regmap.VERSION >> 16:
            raise BitstreamMismatch(
                f"register map version {version >> 16}.{version & 0xFFFF}; this driver "
                f"speaks {regmap.VERSION >> 16}.x"
            )
        fmt = self.read("FORMAT")
        info = {
            "version": f"{version >> 16}.{version & 0xFFFF}",
            "lanes": self.read("LANES"),
            "pixels_per_beat": self.read("PIXELS_PER_BEAT"),
            "weight_bits": fmt & 0xFF,
            "weight_frac": (fmt >> 8) & 0xFF,
            "logit_width": (fmt >> 16) & 0xFF,
            "weights_digest": f"0x{self.read('WEIGHTS_DIGEST'):08X}",
        }
        model = self.read("MODEL")
        info |= {
            "blocks": model & 0xF,
            "residual": bool(model >> 4 & 1),
            "loadable": bool(model >> 8 & 1),
            "load_words": self.read("LOAD_WORDS"),
        }
        if info["pixels_per_beat"] != regmap.PIXELS_PER_BEAT:
            raise BitstreamMismatch(f"PIXELS_PER_BEAT reads {info['pixels_per_beat']}, not 4")
        if self.manifest is not None:
            want = {
                "lanes": self.manifest["register_values"]["LANES"],
                "weights_digest": self.manifest["weights_digest"],
            }
            for key, value in want.items():
                if info[key] != value:
                    raise BitstreamMismatch(
                        f"{key}: the hardware has {info[key]}, the manifest {value}: the "
                        ".bit/.hwh and the manifest come from different builds"
                    )
        return info

    def counters(self) -> dict:
        """The wrapper's counters (see the register map)."""
        names = ("IMAGES_ACCEPTED", "RESULTS_SENT", "FRAMING_ERRORS", "BUSY_CYCLES")
        return {n.lower(): self.read(n) for n in (*names, "STALLED_CYCLES")}

    def clear_errors(self, timeout: float = 0.01) -> None:
        """Return wrapper and DMA to a clean state: a DMA reset and a soft reset (counters
        cleared, partial images and pending results dropped).

        The soft reset waits for a result frame being sent to end
        (``STATUS.RESET_PENDING``); when the receive channel does not take its rest, a
        scratch receive does, within ``timeout`` seconds, else
        :class:`AcceleratorError` (only a reset of the programmable logic helps then).
        """
        pending = 1 << STATUS_BITS["RESET_PENDING"]
        self.hw.reset_dma()
        self.write("CONTROL", 1 << CONTROL_BITS["SOFT_RESET"])
        if not self.read("STATUS") & pending:
            return
        scratch = self.hw.allocate(RESULT_WORDS, np.uint32)
        self.hw.start_receive(scratch, scratch.nbytes)
        end = self.hw.now() + timeout
        while self.read("STATUS") & pending:
            if self.hw.now() > end:
                raise AcceleratorError(
                    "the soft reset still waits for a result frame's end after "
                    f"{timeout} s (STATUS.RESET_PENDING): reset the programmable logic"
                )
        self.hw.reset_dma()

    # ------------------------------------------------------------ loading weights

    def _hardware_name(self) -> str:
        i = self.info
        kind = "ResLST" if i["residual"] else "LST"
        frac = i["weight_frac"]
        return (
            f"{kind}-{i['blocks']} q{i['weight_bits'] - frac}.{frac} at {i['lanes']} lanes "
            f"({i['load_words']} load words)"
        )

    def load(self, source) -> dict:
        """Write a model's weights, biases and activation table into a ``loadable``
        bitstream and check the hardware's CRC-32 against the model's.

        ``source``: a ``.safetensors`` checkpoint (quantized here to the bitstream's
        format), an ``lst quantize`` output directory (its ``model.npz``; its manifest's
        digest for this lane count must agree), or a ``QuantizedLST``. The core must be
        idle: the driver refuses while ``STATUS.BUSY``, and the hardware ignores load
        writes then (``STATUS.LOAD_REFUSED``). Returns (and keeps in ``self.loaded``)
        the model's name, source, digest, words and the seconds the load took.

        Raises
        ------
        lst.errors.ConfigError
            The model's shape or format is not the bitstream's (both named), or the
            bitstream's weights are baked.
        LoadError
            Refused (busy), or the digest read back differs: no image is sent until a
            later load succeeds.
        """
        from hw.plan.config import CoreConfig
        from hw.plan.load_image import load_image, words_crc
        from lst.errors import ConfigError
        from quant.quantize import QuantizedLST, quantize_checkpoint

        info = self.info
        if not info["loadable"]:
            raise ConfigError(
                f"the bitstream ({self._hardware_name()}) has baked weights: build it with "
                "--weights loadable to load models"
            )
        frac = info["weight_frac"]
        fmt = f"q{info['weight_bits'] - frac}.{frac}"
        manifest_digest = None
        if isinstance(source, QuantizedLST):
            qmodel, label = source, "QuantizedLST"
        else:
            path = Path(source)
            label = str(path)
            if path.is_dir():
                if not (path / "model.npz").exists():
                    raise ConfigError(f"{path}: not an lst quantize output (no model.npz)")
                qmodel = QuantizedLST.load_npz(path / "model.npz")
                man = path / "manifest.json"
                if man.exists():
                    digests = json.loads(man.read_text()).get("load_digests", {})
                    manifest_digest = digests.get(str(info["lanes"]))
            else:
                qmodel = quantize_checkpoint(path, fmt)
        w = qmodel.config.weight
        arch = qmodel.arch
        if (w.width, w.frac, arch.blocks, arch.residual) != (
            info["weight_bits"],
            frac,
            info["blocks"],
            bool(info["residual"]),
        ):
            raise ConfigError(
                f"{label}: the model is {arch.name} {w.name}, the bitstream "
                f"{self._hardware_name()}: shape or format differ"
            )
        config = CoreConfig(lanes=info["lanes"], format=w.name, model=arch.name, weights="loadable")
        words = load_image(config, qmodel)
        digest = words_crc(words)
        if len(words) != info["load_words"]:
            raise ConfigError(
                f"{label}: {len(words)} load words for {arch.name} {w.name}, the bitstream "
                f"{self._hardware_name()} takes {info['load_words']}"
            )
        if manifest_digest is not None and int(manifest_digest, 16) != digest:
            raise ConfigError(
                f"{label}: manifest.json's load digest {manifest_digest} is not model.npz's "
                f"0x{digest:08X}: the directory was modified"
            )
        if self.read("STATUS") >> regmap.STATUS_BITS["BUSY"] & 1:
            raise LoadError("the core is busy (an image is in flight): drain it, then load")
        refused = 1 << regmap.STATUS_BITS["LOAD_REFUSED"]
        self.loaded = None  # until the digest is checked
        t0 = self.hw.now()
        self.write("STATUS", refused)
        self.write("LOAD_CONTROL", 1 << regmap.LOAD_CONTROL_BITS["RESTART"])
        self.hw.write_many(offset("LOAD_DATA"), words.tolist())
        seconds = self.hw.now() - t0
        if self.read("STATUS") & refused:
            raise LoadError(
                f"{label}: the hardware refused load writes (an image was in flight); "
                "drain the core and load again"
            )
        count, crc = self.read("LOAD_COUNT"), self.read("LOAD_CRC")
        if count != len(words) or crc != digest:
            raise LoadError(
                f"{label}: the hardware accepted {count} words with CRC-32 0x{crc:08X}, the "
                f"model has {len(words)} with 0x{digest:08X}: the write was corrupted; load "
                "again"
            )
        self.loaded = {
            "model": arch.name,
            "format": w.name,
            "source": label,
            "digest": f"0x{digest:08X}",
            "words": len(words),
            "seconds": seconds,
        }
        return self.loaded

    # ------------------------------------------------------------ inference

    def __call__(self, images) -> InferenceResult:
        if self.loaded is None:
            raise LoadError("the last load failed: no verified model in the hardware; load again")
        images = check_images(images)
        classes, logits = [], []
        for start in range(0, len(images), self.max_batch):
            c, lg = self._batch(images[start : start + self.max_batch])
            classes.append(c)
            logits.append(lg)
        if not classes:
            return InferenceResult(np.zeros(0, np.int64), np.zeros((0, 10), np.int64))
        return InferenceResult(np.concatenate(classes), np.concatenate(logits))

    def _batch(self, images: np.ndarray):
        n = len(images)
        send = self.hw.allocate(n * IMAGE_BYTES, np.uint8)
        recv = self.hw.allocate(n * RESULT_WORDS, np.uint32)
        send[:] = images.reshape(-1)
        errors_before = self.read("FRAMING_ERRORS")
        self.write("IMAGES_PER_PACKET", n)
        deadline = self.timeout + n * self.per_image_timeout
        t0 = self.hw.now()
        self.hw.start_receive(recv, n * RESULT_BYTES)  # first: results never wait
        self.hw.start_send(send, n * IMAGE_BYTES)
        try:
            self.hw.wait_send(deadline)
            got = self.hw.wait_receive(deadline)
            self.dma_seconds += self.hw.now() - t0
        except DMATimeout as exc:
            errors = self.read("FRAMING_ERRORS") - errors_before
            if errors:
                raise FramingError(
                    f"{errors} framing error(s) during a batch of {n}; the DMA did not "
                    "complete; call clear_errors()"
                ) from exc
            raise DMATimeout(
                f"{exc}; counters {self.counters()}; call clear_errors() (check that the "
                "DMA's streams are connected to the wrapper and FCLK0 runs)"
            ) from exc
        errors = self.read("FRAMING_ERRORS") - errors_before
        words = np.asarray(recv[: got // 4], dtype=np.uint32).reshape(-1, RESULT_WORDS)
        dropped = [int(w[0]) >> 16 for w in words if int(w[0]) & DROPPED_FLAG]
        if errors or dropped:
            raise FramingError(
                f"{errors} framing error(s) in a batch of {n} (dropped image sequence numbers "
                f"{dropped}): the input was not {BEATS_PER_IMAGE} beats per image with tlast "
                "on the batch's last beat; call clear_errors()"
            )
        if got != n * RESULT_BYTES:
            raise DMAError(f"received {got} bytes for {n} images, expected {n * RESULT_BYTES}")
        seq = (words[:, 0] >> 16).astype(np.int64)
        if not np.array_equal((seq - seq[0]) % 65536, np.arange(n) % 65536):
            raise DMAError(f"result sequence numbers are not consecutive: {seq.tolist()}")
        classes = (words[:, 0] & 0xF).astype(np.int64)
        logits = words[:, 1:].view(np.int32).astype(np.int64)
        return classes, logits

    def throughput(self, n: int = 1000, images=None) -> dict:
        """Run ``n`` images (random unless given) and report images/s end to end, the
        time the DMA transfers took (start to completion), and the core's busy cycles
        per image from the wrapper's counters."""
        if images is None:
            images = np.random.default_rng(0).integers(0, 256, (n, 28, 28), dtype=np.uint8)
        images = check_images(images)[:n]
        n = len(images)
        self.write("CONTROL", 1 << CONTROL_BITS["CLEAR_COUNTERS"])
        self.dma_seconds = 0.0
        t0 = self.hw.now()
        self(images)
        seconds = self.hw.now() - t0
        c = self.counters()
        return {
            "images": n,
            "seconds": seconds,
            "images_per_s": n / seconds if seconds > 0 else None,
            "cycles_per_image": c["busy_cycles"] / n,
            "stalled_cycles": c["stalled_cycles"],
            "dma_seconds": self.dma_seconds,
            "core_seconds": c["busy_cycles"] / self.hw.clock_hz,
            "clock_hz": self.hw.clock_hz,
        }


class PynqBackend:
    """The board: a PYNQ ``Overlay`` with the wrapper (``lst_axi_0``) and an AXI DMA
    (``axi_dma_0``) in simple mode, as ``lst board vivado`` builds it."""

    def __init__(self, bitfile, *, ip="lst_axi_0", dma="axi_dma_0", download: bool = True):
        bitfile = Path(bitfile)
        if not bitfile.exists():
            raise AcceleratorError(f"{bitfile}: no such bitstream")
        if not bitfile.with_suffix(".hwh").exists():
            raise AcceleratorError(
                f"{bitfile.with_suffix('.hwh')}: missing; PYNQ needs the .hwh of the same build "
                "beside the .bit (copy both from the Vivado build directory)"
            )
        import pynq  # on the board only

        self._pynq = pynq
        self.overlay = pynq.Overlay(str(bitfile), download=download)
        try:
            self.ip = getattr(self.overlay, ip)
            self.dma = getattr(self.overlay, dma)
        except AttributeError as exc:
            raise BitstreamMismatch(f"the overlay has no {exc.name}: wrong .hwh?") from None
        self.clock_hz = float(pynq.ps.Clocks.fclk0_mhz) * 1e6
        self._recv = None

    def read(self, offset: int) -> int:
        return int(self.ip.read(offset))

    def write(self, offset: int, value: int) -> None:
        self.ip.write(offset, int(value))

    def write_many(self, offset: int, values) -> None:
        write = self.ip.mmio.write
        for v in values:
            write(offset, int(v))

    def allocate(self, count: int, dtype) -> np.ndarray:
        return self._pynq.allocate(shape=(count,), dtype=dtype)

    def start_receive(self, buffer, nbytes: int) -> None:
        self._recv = buffer
        self.dma.recvchannel.transfer(buffer, nbytes=nbytes)

    def start_send(self, buffer, nbytes: int) -> None:
        buffer.flush()
        self.dma.sendchannel.transfer(buffer, nbytes=nbytes)

    def _wait(self, channel, timeout: float, what: str) -> None:
        end = time.monotonic() + timeout
        while not channel.idle:
            if time.monotonic() > end:
                raise DMATimeout(f"DMA {what} did not complete within {timeout:g} s")
            time.sleep(0)
        try:
            channel.wait()  # raises on the DMA's internal, slave and decode errors
        except RuntimeError as exc:
            raise DMAError(f"DMA {what}: {exc}") from exc

    def wait_send(self, timeout: float) -> None:
        self._wait(self.dma.sendchannel, timeout, "send (MM2S)")

    def wait_receive(self, timeout: float) -> int:
        self._wait(self.dma.recvchannel, timeout, "receive (S2MM)")
        self._recv.invalidate()
        return int(self.dma.read(0x58))  # S2MM_LENGTH: bytes actually written

    def reset_dma(self) -> None:
        for cr in (0x00, 0x30):  # MM2S_DMACR, S2MM_DMACR: bit 2 resets both channels
            self.dma.write(cr, 1 << 2)
        end = time.monotonic() + 1.0
        while self.dma.read(0x00) & (1 << 2) and time.monotonic() < end:
            pass
        self.dma.sendchannel.start()
        self.dma.recvchannel.start()

    def now(self) -> float:
        return time.perf_counter()
