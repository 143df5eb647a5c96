"""The stocks section of a practice firm."""
