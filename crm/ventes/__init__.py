"""The ventes section of a practice firm."""
