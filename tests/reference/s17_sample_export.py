"""Export the shipped sample's escalation and episode inputs for the R cross-check.

Run from the repository root, then run the R script on what it wrote::

    python tests/reference/s17_sample_export.py
    Rscript tests/reference/s17_sample.R > tests/reference/s17_sample.Rout

The files hold no identifier: families are numbered in the order of the
ingested ``families`` table. The first s17 payment is derived here with plain
pandas, independently of ``noream_eval.metrics.s17``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent


def sample_inputs() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Family-level and episode-level inputs of the cross-check, from the sample."""
    import noream_eval as ne

    data = ne.load_sample()
    fam = data.families.reset_index(drop=True)
    number = pd.Series(range(1, len(fam) + 1), index=fam["family_id"].to_numpy())
    pay = data.payments
    paid = pay[(pay["scheme"] == "s17") & (pay["amount_gbp"] > 0)]
    first = paid.groupby("family_id")["payment_date"].min()
    families = pd.DataFrame(
        {
            "family": number.to_numpy(),
            "cohort": fam["cohort"].astype(str).to_numpy(),
            "first_contact_date": fam["first_contact_date"].dt.strftime("%Y-%m-%d"),
            "first_s17_date": fam["family_id"].map(first).dt.strftime("%Y-%m-%d"),
            "exit_date": fam["exit_date"].dt.strftime("%Y-%m-%d"),
            "n_children": fam["n_children"].astype("Int64"),
            "immigration_status": fam["immigration_status"].astype(str).to_numpy(),
        }
    )
    ep = data.s17_episodes
    episodes = pd.DataFrame(
        {
            "family": ep["family_id"].map(number).to_numpy(),
            "start_date": ep["start_date"].dt.strftime("%Y-%m-%d"),
            "end_date": ep["end_date"].dt.strftime("%Y-%m-%d"),
        }
    ).sort_values(["family", "start_date"], ignore_index=True)
    return families, episodes


def main() -> None:
    families, episodes = sample_inputs()
    families.to_csv(HERE / "s17_sample_families.csv", index=False)
    episodes.to_csv(HERE / "s17_sample_episodes.csv", index=False)


if __name__ == "__main__":
    main()
