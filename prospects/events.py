"""Every event name the prospects app records (``infra.events.event_record``).

One constant per name, so a reader can list what the app emits and a search for the
constant finds every site. The strings are stored in ``infra.Event.name`` and read by
the dashboard, the metrics and the prospect's story: change one only with a data
migration.
"""

# A prospect's record
PROSPECT_CREATED = "prospect.created"
PROSPECT_MERGED = "prospect.merged"  # prospect_create found the hotel already on record
PROSPECT_UPDATED = "prospect.updated"
PROSPECT_ASSIGNED = "prospect.assigned"
PROSPECT_CONSENT_RECORDED = "prospect.consent_recorded"
ASSIGNMENT_NOTIFY_FAILED = "assignment.notify_failed"

# Notes and tasks on a prospect
NOTE_ADDED = "note.added"
TASK_ADDED = "task.added"
TASK_DONE = "task.done"

# Acquisition (job boards)
ACQUISITION_FOUND = "acquisition.found"
ACQUISITION_SOURCE_FAILED = "acquisition.source_failed"
ACQUISITION_RUN = "acquisition.run"  # one row per run, updated as its searches finish

# Pipeline stages
ENRICHMENT_DONE = "enrichment.done"
RESEARCH_DONE = "research.done"
