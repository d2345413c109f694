"""Fakes and builders for the jobs service's unit tests."""
