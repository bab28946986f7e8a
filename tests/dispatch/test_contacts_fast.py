"""A user row's contact data, written out, equals the plain reading of its columns."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from userops.dispatch.context import _CONTACT, _contacts

_cell = st.one_of(st.none(), st.just(""), st.text(min_size=1, max_size=12))


@given(st.tuples(*([st.integers()] * 6), *([_cell] * 5)))
def test_contacts_are_the_set_columns_in_order(row: tuple[object, ...]) -> None:
    plain = {k: v for k, v in zip(_CONTACT, row[6:11], strict=True) if v}
    got = _contacts(row)
    assert got == plain
    assert list(got) == list(plain)  # the same order: the first address found wins
