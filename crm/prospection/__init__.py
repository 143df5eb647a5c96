"""The prospection section of a practice firm."""
