from prospects.providers.sandbox.search import SandboxSearchClient, SandboxWebTransport, _hosts, _labels, sandbox_hotels  # noqa: F401  (moved; bench/enrichment.py still imports it here)
