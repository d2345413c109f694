-- issue 19: jobs.state.v1. A change to a technician or a recall link snapshots the jobs
-- it shows on again (adapters/job_states.py); these find them without a tenant scan.
CREATE INDEX dispatches_technician ON jobs.dispatches (tenant_id, technician_id);
-- Every link of a recall, the unlinked ones too (recall_links_in_force has only the
-- link in force): an unlink snapshots the original it left.
CREATE INDEX recall_links_recall ON jobs.recall_links (tenant_id, recall_job_id);
