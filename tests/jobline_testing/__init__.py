"""Test support shared by every service's integration tests and the end-to-end tests."""
