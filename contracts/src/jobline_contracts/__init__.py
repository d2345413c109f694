"""Jobline wire contracts.

Every message on every Jobline topic is an :class:`~jobline_contracts.envelope.Envelope`
around one payload model defined here. These models are the public interface: they
evolve only compatibly (new optional fields within a version; a new type or version
plus an upcaster for anything else), and consumers ignore fields they do not know.
"""
