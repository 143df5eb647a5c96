"""Teacher and administrator screens: classes, firms, accounts."""
