"""Provider feedback in the dispatch engine: verification, the writer, unsubscribe links.

* :mod:`.signed` — verification (HMAC-SHA256 signature and timestamp; Aliyun's URL token);
* :mod:`.record` — :func:`.record.record_feedback`, the one writer of events, consent
  withdrawals and invalid addresses from feedback (:mod:`.items` says what to write);
* :mod:`.unsubscribe` — per-recipient signed unsubscribe links;
* :mod:`.results` — send results that say an address is gone (FCM ``UNREGISTERED``), cleared
  through the same writer;
* :mod:`.lookup`, :mod:`.parse` — finding users and messages, located validation.

Provider payloads are parsed in :mod:`userops.feedback` (and call outcomes in
:mod:`userops.dispatch.call_callback`). See docs/channels.md, "Provider feedback".
"""
