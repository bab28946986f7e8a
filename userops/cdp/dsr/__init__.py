"""Data-subject requests (PIPL / GDPR): export or erase everything held about one person.

:mod:`~userops.cdp.dsr.person` finds the person, :mod:`~userops.cdp.dsr.tables` says where
their data lives, :mod:`~userops.cdp.dsr.export` and :mod:`~userops.cdp.dsr.erase` act on
it, :mod:`~userops.cdp.dsr.scrub` replaces them inside free text and nested values,
:mod:`~userops.cdp.dsr.index` removes their search documents and
:mod:`~userops.cdp.dsr.notice` tells an importer about identifiers of erased persons.
docs/privacy.md explains what is exported, erased or anonymised, and why.
"""
