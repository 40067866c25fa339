"""Identity's use cases, one module per area: registration, sessions (sign-in, refresh, sign-out),
credentials (passwords and TOTP), administration (roles, deactivation, audit, keys) and partners.
Each loads, decides with the domain rules, and saves with its events and audit record in one unit
of work."""
