"""From results to the published report: disclosure control, tables, figures, documents.

:func:`noream_eval.reports.run.run` (``noream-eval run``) does it all; the parts are
public for notebooks: :mod:`~noream_eval.reports.tables` (which results are published
and how), :mod:`~noream_eval.reports.disclosure` (protection of every published table),
:mod:`~noream_eval.reports.figures` (figure functions taking ``ax=``),
:mod:`~noream_eval.reports.content` and :mod:`~noream_eval.reports.document` (the
report's sections and its HTML, Word and workbook formats).
"""
