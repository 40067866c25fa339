# Fixtures for the interface and end-to-end tiers live in tools/tandem_dev/testing.py.
pytest_plugins = ["tandem_dev.testing"]
