"""The clients section of a practice firm: parties, contacts, addresses, interaction history."""
