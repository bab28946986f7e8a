"""File import: CSV/JSONL users, events, consents and transactions, validated and staged."""

from userops.cdp.ingest.cdnow import import_cdnow
from userops.cdp.ingest.columns import check_column
from userops.cdp.ingest.csv_arrow import column_batches, count_lines
from userops.cdp.ingest.event_keys import VALUES, column_keys, dedupe_key
from userops.cdp.ingest.importer import import_file
from userops.cdp.ingest.iso_columns import iso_seconds
from userops.cdp.ingest.readers import LinesUnknown, Reader, parse_mapping
from userops.cdp.ingest.rows import Ticker, chunks, paused_gc
from userops.cdp.ingest.table_parse import Parsed
from userops.cdp.ingest.user_columns import COLUMNS
from userops.cdp.ingest.users import FIELDS

__all__ = [
    "COLUMNS",
    "FIELDS",
    "LinesUnknown",
    "Parsed",
    "Reader",
    "Ticker",
    "VALUES",
    "check_column",
    "chunks",
    "column_batches",
    "column_keys",
    "count_lines",
    "dedupe_key",
    "import_cdnow",
    "import_file",
    "iso_seconds",
    "parse_mapping",
    "paused_gc",
]
