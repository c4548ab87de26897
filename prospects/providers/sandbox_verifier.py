from prospects.providers.sandbox.verifier import SandboxVerifier  # noqa: F401  (moved; bench/enrichment.py still imports it here)
