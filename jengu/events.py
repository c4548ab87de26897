"""Every event name the site app records (``infra.events.event_record``).

One constant per name, so a reader can list what jengu emits and a search for the
constant finds every site. The strings are stored in ``infra.Event.name`` and read by the
event log's filters and the tests: change one only with a data migration.
"""

PROSPECT_ERASED = "prospect.erased"  # jengu.erasure: a GDPR erasure
RETENTION_RUN = "retention.run"  # jengu.retention: long-idle prospects anonymised
RETENTION_OPERATIONAL = "retention.operational"  # jengu.retention_ops: operational tables pruned
