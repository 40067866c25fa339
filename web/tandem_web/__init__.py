"""Tandem's web front-end. A client of the gateway's public API and nothing else."""
