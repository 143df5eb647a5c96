"""Core: practice firms (tenants), users, roles, memberships, tenancy helpers, formats."""
