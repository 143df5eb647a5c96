"""The clients section of a practice firm."""
