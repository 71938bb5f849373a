"""Statistical methods validated against published results.

Generic methods, arrays or DataFrames in, tidy results out. Every result object
has ``.to_frame()`` (columns ``term``, ``estimate``, ``ci_low``, ``ci_high``,
``p_value``, ``n``, ``method`` and what the method needs), ``.summary()`` and
``_repr_html_``. statsmodels and scipy are used wherever they implement a method.
"""
