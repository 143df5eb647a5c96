"""The accueil section of a practice firm."""
