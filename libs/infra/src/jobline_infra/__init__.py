"""Plumbing every Jobline service needs the same way: SQL migrations with a version table,
the transactional-outbox relay, topic provisioning, dead letters and observability
(metrics, traces, logs). Services keep their own schemas, topics and names; only the
mechanism lives here."""
