"""Core statements compiled once per dialect and run on the DBAPI cursor.

The hub's hot writes (a customer message, an operator reply) run a handful of tiny
statements each. Through ``Connection.execute`` every one of them pays SQLAlchemy's
per-execution machinery (cache key, execution context, result metadata): about 50 µs
for a one-row SELECT and 75 µs for an INSERT on this machine, against 4 µs and 17 µs
for the same SQL on the DBAPI cursor (docs/performance.md). :class:`Prepared` keeps
what SQLAlchemy is for here (the SQL written once as Core and compiled for the
engine's dialect, its paramstyle, the column types' bind and result conversions) and
skips the rest. It runs inside the caller's SQLAlchemy transaction (the same DBAPI
connection), so commits, rollbacks and group commit are unchanged.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement

Processor = Callable[[Any], Any]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positional: bool
    order: tuple[str, ...]  # parameter names in placeholder order (positional styles)
    constants: dict[str, Any]  # values bound inside the statement (e.g. IN lists)
    binds: dict[str, Processor]  # name -> the column type's bind conversion
    row: type | None  # a namedtuple of the selected columns (SELECT / RETURNING)
    results: tuple[Processor | None, ...]  # per selected column: the type's result conversion
    plan: tuple[tuple[str, Processor | None, Any], ...]  # positional: (name, bind conversion, constant)


class Prepared:
    """One Core statement (``keys``: the columns an INSERT or UPDATE sets)."""

    def __init__(self, stmt: ClauseElement, keys: Sequence[str] | None = None) -> None:
        self.stmt = stmt
        self.keys = list(keys) if keys is not None else None
        self._by_dialect: dict[str, _Compiled] = {}

    def _compile(self, dialect: Dialect) -> _Compiled:
        got = self._by_dialect.get(dialect.name)
        if got is not None:
            return got
        compiled: Any = self.stmt.compile(dialect=dialect, column_keys=self.keys)
        if "POSTCOMPILE" in str(compiled):
            raise ValueError("Prepared takes no expanding IN (...): write the alternatives out with or_()")
        constants = {  # values bound inside the statement itself (IN lists, LIMIT ...)
            name: value
            for name, value in compiled.construct_params(_check=False).items()
            if not compiled.binds[name].required
        }
        table = getattr(self.stmt, "table", None)
        if table is not None:  # INSERT / UPDATE: columns with a scalar Python default
            for col in table.columns:
                if col.key not in constants and col.default is not None and col.default.is_scalar:
                    constants[col.key] = col.default.arg
        binds: dict[str, Processor] = {}
        for name, bind in compiled.binds.items():
            proc = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if proc is not None:
                binds[name] = proc
        columns = self._selected(compiled)
        row = namedtuple("Row", [c[0] for c in columns], rename=True) if columns else None
        results = tuple(c[1].dialect_impl(dialect).result_processor(dialect, None) for c in columns)
        got = _Compiled(
            sql=str(compiled),
            positional=bool(compiled.positional),
            order=tuple(compiled.positiontup or ()),
            constants=constants,
            binds=binds,
            row=row,
            results=results,
            plan=tuple(
                (
                    name,
                    binds.get(name),
                    binds[name](constants[name]) if name in binds and name in constants else constants.get(name),
                )
                for name in (compiled.positiontup or ())
            ),
        )
        self._by_dialect[dialect.name] = got
        return got

    def _selected(self, compiled: Any) -> list[tuple[str, Any]]:
        """The columns a SELECT or an INSERT/UPDATE ... RETURNING hands back."""
        columns = getattr(self.stmt, "exported_columns", ())
        return [(str(c.key), c.type) for c in columns]

    def _params(self, c: _Compiled, params: Mapping[str, Any]) -> Any:
        if c.positional:
            return tuple(
                (proc(params[name]) if proc is not None else params[name]) if name in params else const
                for name, proc, const in c.plan
            )
        values = {**c.constants, **params}
        for name, proc in c.binds.items():
            if name in values:
                values[name] = proc(values[name])
        return values

    def execute(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        """Run it in ``conn``'s transaction; the DBAPI cursor."""
        c = self._compile(conn.dialect)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(c.sql, self._params(c, params))
        return cursor

    def first(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        """The first row (a namedtuple with converted values), or None."""
        c = self._compile(conn.dialect)
        cursor = self.execute(conn, params)
        try:
            raw = cursor.fetchone()
        finally:
            cursor.close()
        if raw is None:
            return None
        assert c.row is not None, "first() of a statement that selects nothing"
        return c.row._make(  # type: ignore[attr-defined]
            value if proc is None or value is None else proc(value) for value, proc in zip(raw, c.results, strict=True)
        )

    def scalar(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        row = self.first(conn, params)
        return None if row is None else row[0]

    def run(self, conn: Connection, params: Mapping[str, Any]) -> None:
        self.execute(conn, params).close()
