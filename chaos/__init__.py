"""``make chaos``: the fault-injection suite. Under steady load it SIGKILLs services,
restarts Kafka and PostgreSQL, waits for quiescence and checks that nothing accepted was
lost and no customer was messaged twice. It runs on its own Kafka, PostgreSQL cluster,
ports and sandboxes, never on the shared local stack."""
