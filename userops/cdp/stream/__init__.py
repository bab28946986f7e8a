"""Real-time ingestion in the Segment shape (docs/ingest.md).

Sources and write keys, message validation, event-name mapping onto the store's event
types, and the durable write.

* :mod:`.sources` — sources, write keys (stored hashed), authentication.
* :mod:`.fields`, :mod:`.context` — a located problem, the field and ``context`` checks.
* :mod:`.spec` — the Segment message fields, limits and clock-skew correction.
* :mod:`.mapping` — event names onto store event types (``Order Completed`` → ``order``).
* :mod:`.traits` — identify traits onto record columns and per-channel consents.
* :mod:`.write` — users on first sight and events, insert-or-ignore by (source, messageId).
* :mod:`.identify` — identify and alias: record updates, consents, identity resolution.
* :mod:`.accept` — a request body decoded and every message validated before any write.
* :mod:`.batch` — one request: validate, write in one transaction, report.
"""
