"""The offline twins of the prospects providers: invented, deterministic, no network.

Each twin has its real client's interface (same methods, same return types, a
``source``/``provider`` attribute naming it "sandbox" or the source it plays), so a
caller never asks which one it holds. Which one is used is decided in
``prospects.providers.registry`` only. Their data files stay in ``prospects/providers/data``.
"""
