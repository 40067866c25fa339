"""Tandem's gateway: the one public HTTP API. It holds no business rules and no database."""
