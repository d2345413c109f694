"""Jobline operator tools: ``jobline-ops dlq list|show|replay``."""
