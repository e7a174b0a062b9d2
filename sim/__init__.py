"""cocotb testbenches and simulator runners for the generated hardware (no torch)."""
