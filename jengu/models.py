"""The site app holds no models (BulkOperation moved to infra, its table kept).

The module stays: Django sends ``post_migrate`` only to apps with a models module, and
jengu.apps hangs the roles' permission sync (jengu.roles) on jengu's own ``post_migrate``.
"""
