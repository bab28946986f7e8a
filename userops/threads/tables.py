"""The LangGraph API's thread and run records (migration 0014).

* ``lg_threads``: one row per thread created through ``POST /threads`` or run through the
  LangGraph routes: who owns it and the client's ``metadata`` (the graph's state stays in
  the checkpointer). A thread that has a row exists before its first run.
* ``lg_runs``: one row per run the LangGraph routes started (``runs.create``, ``wait``,
  ``stream``): its status (``pending``, ``running``, ``success``, ``error``, ``interrupted``,
  ``timeout``), metadata and the request's options, so ``runs.get`` and ``runs.list``
  answer in any API process.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from userops.store.models import Base, utcnow


class LgThread(Base):
    """A thread's owner and client metadata."""

    __tablename__ = "lg_threads"
    thread_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str | None] = mapped_column(String(64))
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LgRun(Base):
    """One run of the loop started through the LangGraph routes."""

    __tablename__ = "lg_runs"
    __table_args__ = (Index("ix_lg_runs_thread", "thread_id", "created_at"),)
    run_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    thread_id: Mapped[str] = mapped_column(String(64))
    assistant_id: Mapped[str] = mapped_column(String(64))
    owner: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
