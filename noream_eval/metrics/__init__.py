"""Outcome metrics computed from :class:`~noream_eval.EvaluationData` (to come)."""
