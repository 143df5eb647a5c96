"""The accueil section of a practice firm: organigramme, desk register, remontée d'information."""
