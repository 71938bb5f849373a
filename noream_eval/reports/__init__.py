"""Tables, figures and report text built from metric results (to come)."""
