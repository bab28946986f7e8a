"""A staging table for bulk imports, the same SQL on SQLite and PostgreSQL.

On SQLite the table lives in a :class:`~userops.store.sqlite_stage.Scratch` file filled while
the import file is parsed and ATTACHed around the write's transaction; on PostgreSQL it is a
temporary table filled by ``COPY`` inside the transaction. Either way the write's SQL names it
unqualified, with a ``pos`` column numbering the records in file order (from 1) and an empty
``user_id`` column for the mapped user records.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
from sqlalchemy import Connection, Engine

from userops.store.bulk import copy_table
from userops.store.sqlite_stage import Scratch


@dataclass(frozen=True)
class StagingTable:
    """A staging table: its name and its data columns (``name -> SQL type``)."""

    name: str
    columns: dict[str, str]

    def create(self, pg: bool) -> str:
        """``CREATE TABLE`` statement (temporary on PostgreSQL)."""
        pos = "pos BIGSERIAL PRIMARY KEY" if pg else "pos INTEGER PRIMARY KEY"
        cols = ", ".join(f"{c} {t}" for c, t in self.columns.items())
        temp = "TEMPORARY " if pg else ""
        return f"CREATE {temp}TABLE {self.name} ({pos}, {cols}, user_id BIGINT)"

    def scratch(self, engine: Engine) -> Scratch:
        """The SQLite scratch that holds the table (inert on PostgreSQL)."""
        pg = engine.dialect.name == "postgresql"
        return Scratch(engine, self.create(False), enabled=not pg)

    def fill(self, conn: Connection, table: pa.Table) -> None:
        """Copy ``table`` in on PostgreSQL (on SQLite the scratch already holds it)."""
        if conn.dialect.name == "postgresql":
            copy_table(conn, self.name, self.create(True), table.select(list(self.columns)))
            conn.exec_driver_sql(f"ANALYZE {self.name}")  # temp tables get no autovacuum stats

    def drop(self, conn: Connection) -> None:
        """Drop the PostgreSQL table at the end of the write (the scratch goes by itself)."""
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"DROP TABLE {self.name}")
