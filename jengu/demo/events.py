"""The events the demo emits (``infra.events.event_record`` names): every one is listed here."""

DEMO_SEEDED = "demo.seeded"  # a seed_demo batch was written; data: the seed and the row totals
