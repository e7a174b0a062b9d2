"""The AXI wrapper's register map and result format, shared by the RTL, the driver and
the docs (standard library only: this file is copied to the board).

Every register is 32 bits wide at a word-aligned byte offset on the ``s_axi_ctrl``
AXI4-Lite port. Reads of unmapped offsets answer OKAY with zero; writes to them and to
read-only registers are ignored (answered OKAY). Counters are 32 bits and wrap; a soft
reset or ``CONTROL.CLEAR_COUNTERS`` clears them.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BEATS_PER_IMAGE",
    "CONTROL_BITS",
    "DROPPED_FLAG",
    "LOAD_CONTROL_BITS",
    "MAGIC",
    "PIXELS_PER_BEAT",
    "REGISTERS",
    "RESULT_WORDS",
    "STATUS_BITS",
    "VERSION",
    "Register",
    "offset",
    "register_table",
]

#: ``MAGIC`` reads ``"LST1"`` in ASCII (0x4C535431).
MAGIC = 0x4C535431
#: ``VERSION``: major in bits 31:16, minor in bits 15:0.
VERSION = 0x0001_0002
#: Input stream: 32-bit beats, 4 pixels each (byte 0 first), 196 beats per image.
PIXELS_PER_BEAT = 4
BEATS_PER_IMAGE = 784 // PIXELS_PER_BEAT
#: Output stream: 11 32-bit words per image.
RESULT_WORDS = 11
#: Result word 0: class in bits 3:0, flag DROPPED in bit 4, zero in 15:5, the image's
#: sequence number (images since reset, dropped ones included, mod 2**16) in 31:16.
SEQUENCE_SHIFT = 16
SEQUENCE_BITS = 16
#: Word 0 of a marker frame: a dropped image that ended its packet (class and logits 0).
DROPPED_FLAG = 1 << 4

#: ``CONTROL`` bits.
CONTROL_BITS = {
    "SOFT_RESET": 0,  # write 1: reset core, framing, FIFOs, counters at the next frame boundary
    "IRQ_ENABLE": 1,  # read/write: drive `interrupt` while STATUS.RESULT_IRQ is set
    "CLEAR_COUNTERS": 2,  # write 1: clear the counters only (self-clearing)
}
#: ``LOAD_CONTROL`` bits.
LOAD_CONTROL_BITS = {
    "RESTART": 0,  # write 1: next LOAD_DATA is the load image's first word; count and CRC 0
}
#: ``STATUS`` bits.
STATUS_BITS = {
    "RESULT_IRQ": 0,  # set when an output packet ends (tlast sent); write 1 to clear
    "BUSY": 1,  # an image is being loaded, computed or sent
    "DROPPING": 2,  # discarding input after a late-tlast framing error, until the next tlast
    # A LOAD_CONTROL/LOAD_DATA write came while BUSY (or as a beat entered): ignored. W1C.
    "LOAD_REFUSED": 3,
    "RESET_PENDING": 4,  # a soft reset waits for the result frame being sent to end
}


@dataclass(frozen=True)
class Register:
    """One register: ``name``, byte ``offset``, ``access`` (RO, RW, W1C) and meaning."""

    name: str
    offset: int
    access: str
    description: str


REGISTERS = (
    Register("MAGIC", 0x00, "RO", 'Identification: 0x4C535431 ("LST1")'),
    Register("VERSION", 0x04, "RO", "Register-map version: major in 31:16, minor in 15:0"),
    Register("LANES", 0x08, "RO", "Multiply-accumulate lanes of the core"),
    Register("PIXELS_PER_BEAT", 0x0C, "RO", "Pixels per input beat (4: byte 0 first)"),
    Register(
        "FORMAT",
        0x10,
        "RO",
        "Weight format: total bits in 7:0, fraction bits in 15:8; logit width in 23:16",
    ),
    Register(
        "WEIGHTS_DIGEST",
        0x14,
        "RO",
        "First 32 bits of the sha256 of the quantized weights (driver checks it)",
    ),
    Register(
        "CONTROL",
        0x18,
        "RW",
        "Bit 0 SOFT_RESET (self-clearing; takes effect at the next result-frame boundary), "
        "bit 1 IRQ_ENABLE, bit 2 CLEAR_COUNTERS (self-clearing)",
    ),
    Register(
        "STATUS",
        0x1C,
        "RO/W1C",
        "Bit 0 RESULT_IRQ (write 1 to clear), bit 1 BUSY, bit 2 DROPPING, "
        "bit 3 LOAD_REFUSED (write 1 to clear), bit 4 RESET_PENDING",
    ),
    Register(
        "IMAGES_PER_PACKET",
        0x20,
        "RW",
        "Images per input packet (one tlast) and results per output packet; "
        "1–65535, 0 acts as 1; default 1",
    ),
    Register("IMAGES_ACCEPTED", 0x24, "RO", "Well-framed images passed to the core"),
    Register(
        "RESULTS_SENT", 0x28, "RO", "Result frames sent on m_axis (marker frames not counted)"
    ),
    Register(
        "FRAMING_ERRORS",
        0x2C,
        "RO",
        "Packets whose tlast came early or late (each drops one image)",
    ),
    Register("BUSY_CYCLES", 0x30, "RO", "Cycles with an image being loaded, computed or sent"),
    Register("STALLED_CYCLES", 0x34, "RO", "Cycles with m_axis_tvalid high and m_axis_tready low"),
    Register(
        "MODEL",
        0x38,
        "RO",
        "Blocks in 3:0, residual (ResLST) in bit 4, loadable weights in bit 8",
    ),
    Register("LOAD_WORDS", 0x3C, "RO", "Words of a complete load image (0: the weights are baked)"),
    Register(
        "LOAD_CONTROL",
        0x40,
        "WO",
        "Bit 0 RESTART: the next LOAD_DATA word is the image's first; count and CRC cleared, "
        "LOAD_REFUSED too (ignored while BUSY or as an input beat is taken)",
    ),
    Register(
        "LOAD_DATA",
        0x44,
        "WO",
        "The load image's next word (ignored while BUSY or as an input beat is taken: "
        "STATUS.LOAD_REFUSED is set instead)",
    ),
    Register("LOAD_COUNT", 0x48, "RO", "LOAD_DATA words accepted since the last RESTART"),
    Register(
        "LOAD_CRC",
        0x4C,
        "RO",
        "CRC-32 (zlib's) of those words as little-endian bytes; the driver compares it",
    ),
)

_BY_NAME = {r.name: r for r in REGISTERS}


def offset(name: str) -> int:
    """Byte offset of register ``name``."""
    return _BY_NAME[name].offset


#: Markers around the generated table in ``docs/board.md``.
DOC_MARKERS = ("<!-- BEGIN zynq-registers -->", "<!-- END zynq-registers -->")


def update_doc(text: str) -> str:
    """``text`` with the table between :data:`DOC_MARKERS` replaced by :func:`register_table`."""
    begin, end = DOC_MARKERS
    head, sep, rest = text.partition(begin)
    if not sep or end not in rest:
        raise ValueError(f"no {begin} ... {end} block")
    return head + begin + "\n" + register_table() + "\n" + end + rest.split(end, 1)[1]


def register_table() -> str:
    """The register map as a Markdown table (generated into ``docs/board.md``)."""
    lines = ["| offset | name | access | meaning |", "|---:|---|---|---|"]
    for r in REGISTERS:
        lines.append(f"| `0x{r.offset:02X}` | `{r.name}` | {r.access} | {r.description} |")
    return "\n".join(lines)
