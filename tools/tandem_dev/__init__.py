"""Development and test tooling: everything `make run` and the test suite start."""
