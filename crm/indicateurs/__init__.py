"""The indicateurs section of a practice firm."""
