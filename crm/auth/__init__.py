"""Login, logout, password change and login throttling."""
