"""ROM image writers and readers."""

from __future__ import annotations

import numpy as np
import pytest

from quant.rom import (
    pack_words,
    read_coe,
    read_mem,
    to_unsigned,
    unpack_words,
    write_coe,
    write_mem,
)


def test_twos_complement():
    assert to_unsigned([-1, 0, 5, -2048, 2047], 12) == [0xFFF, 0, 5, 0x800, 0x7FF]
    with pytest.raises(ValueError, match="does not fit in 12 bits"):
        to_unsigned([4096], 12)


def test_pack_unpack_round_trip():
    rng = np.random.default_rng(0)
    v = rng.integers(-2048, 2048, (17, 28))
    words = pack_words(v, 12)
    assert all(w < (1 << (12 * 28)) for w in words)
    np.testing.assert_array_equal(unpack_words(words, 12, 28), v)
    assert pack_words([[1, -1]], 4) == [0xF1]  # element 0 in the low bits


def test_mem_and_coe_round_trip(tmp_path):
    words = [0, 1, 0xABC, 0xFFF, 0x800]
    write_mem(tmp_path / "a.mem", words, 12, "a test\nsecond line")
    write_coe(tmp_path / "a.coe", words, 12, "a test")
    text = (tmp_path / "a.mem").read_text().splitlines()
    assert text[:2] == ["// a test", "// second line"] and text[2:] == [
        "000",
        "001",
        "abc",
        "fff",
        "800",
    ]
    coe = (tmp_path / "a.coe").read_text()
    assert "memory_initialization_radix=16;" in coe and coe.rstrip().endswith("800;")
    assert read_mem(tmp_path / "a.mem") == words
    assert read_coe(tmp_path / "a.coe") == words


def test_coe_needs_radix_16(tmp_path):
    (tmp_path / "b.coe").write_text(
        "memory_initialization_radix=10;\nmemory_initialization_vector=1,2;\n"
    )
    with pytest.raises(ValueError, match="radix=16"):
        read_coe(tmp_path / "b.coe")
