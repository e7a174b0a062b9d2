"""Fixed-point quantizer and NumPy bit-exact golden model (no torch)."""
