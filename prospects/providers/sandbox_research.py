from prospects.providers.sandbox.research import SandboxResearchSearch  # noqa: F401  (moved; prospects/pipeline.py and bench/enrichment.py still import it here)
