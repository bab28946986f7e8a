"""Bulk checks of the user columns (see :mod:`userops.cdp.ingest.columns`)."""

from __future__ import annotations

import pyarrow as pa

from userops.cdp.ingest import validate as v
from userops.cdp.ingest.columns import (
    Column,
    by_value,
    email_fast,
    phone_fast,
    text_fast,
    timestamp_fast,
)

COLUMNS: dict[str, Column] = {
    "user_id": Column(text_fast(128)),
    "name": Column(text_fast(200)),
    "phone": Column(phone_fast),
    "email": Column(email_fast),
    "wechat_openid": Column(text_fast(128)),
    "wechat_unionid": Column(text_fast(128)),
    "device_id": Column(text_fast(128)),
    "timezone": Column(by_value(v.timezone, pa.string())),
    "language": Column(by_value(v.language, pa.string())),
    "region": Column(text_fast(64)),
    "source": Column(by_value(v.source, pa.string())),
    "created_at": Column(timestamp_fast, pa.int64()),
}
"""Bulk fast path and normalized type of every user column (keys as in
``import_users.FIELDS``)."""
