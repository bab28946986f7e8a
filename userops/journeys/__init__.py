"""Always-on journeys: a typed spec, approved per version, run set-based by the workers.

* :mod:`.spec`, :mod:`.parse`, :mod:`.check` — the ``JourneySpec`` and its validation;
* :mod:`.records`, :mod:`.views` — create, edit, approve, pause, resume, stop; list and show;
* :mod:`.runner` — the worker's tick: entries (:mod:`.entry`, :mod:`.anniversary`) and
  batches of due members (:mod:`.advance`, :mod:`.send` through the dispatch engine).

See docs/journeys.md.
"""
