"""Identity resolution: records sharing a phone, e-mail, openid or device id merge."""

from userops.cdp.identity.merge_plan import plan_merges
from userops.cdp.identity.resolve import canonical_id, resolve_identities, resolve_in, unmerge

__all__ = [
    "canonical_id",
    "plan_merges",
    "resolve_identities",
    "resolve_in",
    "unmerge",
]
