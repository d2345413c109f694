"""An example consumer of ``jobs.lifecycle.v1`` (Jobline's subscriber kit).

It reads the topic with the published ``jobline-contracts`` models and keeps a read model
of jobs in its own PostgreSQL schema, ``lifecycle_consumer``: each message applied once
(its ``message_id`` recorded in the same transaction as the change), types it does not
know skipped, messages it cannot read set aside; none of them stops it.
"""
