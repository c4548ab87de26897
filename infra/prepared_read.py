"""A SELECT the ORM builds and compiles once per process and shape, then runs again with
other values (``PreparedRead``).

The sender's read of its next email (outreach.selectors.email_next_for_inbox) has a
dozen subqueries: building and compiling it costs the ORM about ten times what the
database needs to run it. Contract: ``PreparedRead.get(build, values)`` returns a
prepared read, or None when the query cannot be prepared safely (the caller then runs
the ORM as usual); ``first(values)`` returns the first row as the ORM would make it.
No business rule lives here.
"""

import copy
import datetime
import itertools
import logging
import threading

from django.db.models import DateTimeField

logger = logging.getLogger(__name__)


class PreparedRead:
    """A SELECT built and compiled by the ORM once, then run again with other values.

    ``build(**values)`` returns the queryset; values are ints, strings, aware datetimes,
    or lists of those (a list's length is part of the shape, as an ``IN`` list's SQL
    depends on it). Preparing compiles it once with one set of sample values and once
    more per value with that value changed: the SQL must not change, and the parameters
    that changed are where the value goes. Anything else (a value whose parameter cannot
    be told apart, SQL that depends on a value) makes the read unpreparable, and the
    caller runs the ORM as usual. Rows become model instances exactly as the ORM makes
    them (the compiled query's select_related and annotations), per thread (a compiler
    belongs to one database connection).
    """

    _local = threading.local()

    def __init__(self, build, shape: dict):
        from django.db import connection

        self.connection = connection
        samples = {name: self._samples(name, kind) for name, kind in shape.items()}
        base = {name: a for name, (a, _) in samples.items()}
        self.queryset = build(**self._values(base))
        self.compiler = self.queryset.query.get_compiler(using=self.queryset.db)
        self.sql, self.params = self.compiler.as_sql()
        self.params = list(self.params)
        self.slots: list[tuple[str, int, str, list[int]]] = []  # (name, index in a list or -1, kind, positions)
        for name, (a, b) in samples.items():
            kind = shape[name]
            for index in range(len(a)) if isinstance(a, list) else [-1]:
                changed = dict(base)
                changed[name] = [*a[:index], b[index], *a[index + 1 :]] if index >= 0 else b
                sql, params = build(**self._values(changed)).query.get_compiler(using=self.queryset.db).as_sql()
                moved = [i for i, (x, y) in enumerate(zip(self.params, params, strict=True)) if x != y]
                old = a[index] if index >= 0 else a
                new = b[index] if index >= 0 else b
                if (
                    sql != self.sql
                    or not moved
                    or any(
                        self.params[i] != self._adapt(kind, old) or params[i] != self._adapt(kind, new) for i in moved
                    )
                ):
                    raise ValueError(f"{name}: its parameters cannot be told apart")
                self.slots.append((name, index, kind, moved))

    @classmethod
    def get(cls, build, values: dict) -> "PreparedRead | None":
        """The prepared read of ``build`` for the shape of ``values`` (prepared on first use)."""
        shape = {name: cls._kind(value) for name, value in values.items()}
        key = (build, tuple(sorted(shape.items())))
        cache = cls._local.__dict__.setdefault("reads", {})
        if key not in cache:
            try:
                cache[key] = cls(build, shape)
            except (ValueError, TypeError) as exc:
                logger.warning("the sender's read is not prepared (%s): the ORM compiles it each time", exc)
                cache[key] = None
        return cache[key]

    def first(self, values: dict):
        params = list(self.params)
        for name, index, kind, positions in self.slots:
            value = self._adapt(kind, values[name][index] if index >= 0 else values[name])
            for position in positions:
                params[position] = value
        compiler = copy.copy(self.compiler)
        compiler.as_sql = lambda *args, **kwargs: (self.sql, params)
        queryset = self.queryset.all()
        queryset.query.get_compiler = lambda *args, **kwargs: compiler
        return next(iter(queryset), None)

    @staticmethod
    def _kind(value) -> str | tuple:
        if isinstance(value, list):
            return ("list", len(value), PreparedRead._kind(value[0]) if value else "int")
        if isinstance(value, bool) or not isinstance(value, int | str | datetime.datetime):
            raise TypeError(f"a prepared read takes ints, strings and datetimes, not {type(value).__name__}")
        return type(value).__name__

    _counter = itertools.count(1)

    def _samples(self, name: str, kind):
        """Two values of ``kind`` that appear nowhere else in the query."""
        if isinstance(kind, tuple):
            pairs = [self._samples(name, kind[2]) for _ in range(kind[1])]
            return [a for a, _ in pairs], [b for _, b in pairs]
        n = next(self._counter)
        if kind == "int":
            return -(10**12) - n, -(2 * 10**12) - n
        if kind == "str":
            return f"\x01prepared-a-{n}", f"\x01prepared-b-{n}"
        base = datetime.datetime(1901, 2, 3, tzinfo=datetime.UTC)
        return base + datetime.timedelta(seconds=n, microseconds=1), base + datetime.timedelta(days=1, seconds=n)

    @staticmethod
    def _values(samples: dict) -> dict:
        return {name: list(value) if isinstance(value, list) else value for name, value in samples.items()}

    def _adapt(self, kind, value):
        """The parameter the ORM passes for ``value`` (a datetime's adaptation depends on the database)."""
        if kind == "datetime":
            return DateTimeField().get_db_prep_value(value, self.connection, prepared=False)
        return value
