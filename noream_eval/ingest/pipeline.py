"""The ingest pipeline: raw exports -> canonical tables, rejects and a report.

Every raw row ends in exactly one state (see :mod:`noream_eval.ingest.ledger`),
so that for every source file
``rows_read = rows_kept + rows_rejected + duplicates_exact + duplicates_near``:

1. *rejected*: blank, a summary ("Total") row, a required value missing or
   not understood, a conflicting repeat of a key, a family reference not in the
   families export, a family that was itself rejected, or a failed validation
   check;
2. *exact duplicate*: every raw cell identical to an earlier row;
3. *near duplicate*: different raw text but identical canonical values;
4. *kept*.

Problems in optional values do not lose the row: the value is dropped (or set
to ``unknown`` for categories) and recorded in ``rejects`` with the action taken.
Every row not kept is listed in ``rejects``, duplicates with the row they repeat.

The steps, in order: read and normalise every source (registering the values of
identifier columns with the run's scrubber); settle the families (duplicates,
key conflicts, validation); link every other source to the families that were
kept, rejecting rows of unknown or rejected families; settle and build the
other tables; derive s17 episodes; build the rejects table (values scrubbed
with every identifier of the run) and the report.
"""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import noream_eval
from noream_eval.config import EvaluationConfig, load_config
from noream_eval.data import EvaluationData
from noream_eval.errors import NoreamEvalError
from noream_eval.ingest import keys
from noream_eval.ingest.build import Prepared, build_tables
from noream_eval.ingest.episodes import s17_episodes
from noream_eval.ingest.pseudonymise import Pseudonymiser, load_key
from noream_eval.ingest.raw import prepare_source
from noream_eval.ingest.report import (
    Progress,
    Say,
    Warnings,
    ingest_report,
    rejects_table,
    warn_empty,
)
from noream_eval.privacy import Scrubber, redact_dates
from noream_eval.schema import TABLES, empty_table

__all__ = ["load"]


def load(
    config: str | Path | EvaluationConfig,
    *,
    progress: Progress | None = None,
) -> EvaluationData:
    """Ingest the raw exports described by an evaluation config.

    Parameters
    ----------
    config
        Path of the evaluation TOML, or an already loaded :class:`EvaluationConfig`.
    progress
        Optional callable receiving a short message at the start of each step
        (the command line prints them; the library itself never prints). If it
        also has a method ``advance(done, total, rows)``, that is called as the
        files of a source are read (``done`` of ``total`` files, ``rows`` raw rows
        read so far in the run), so that a long step can show a progress bar.

    Returns
    -------
    EvaluationData
        Canonical tables, rejects, warnings, the ingest report and provenance.

    Raises
    ------
    ConfigError, InputFileError, MissingColumnError, KeyMissingError
        When the config, a file or the key is unusable; nothing is half-done.
        Messages name the file, row and column and never quote personal data.

    Examples
    --------
    >>> from noream_eval.ingest import load
    >>> data = load("data/sample/evaluation.toml")  # doctest: +SKIP
    """
    scrubber = Scrubber()
    try:
        cfg = config if isinstance(config, EvaluationConfig) else load_config(config)
        return _run(cfg, scrubber, Say(progress, scrubber))
    except NoreamEvalError as exc:
        raise type(exc)(scrubber.scrub_message(str(exc))) from None


def _run(cfg: EvaluationConfig, scrubber: Scrubber, say: Say) -> EvaluationData:
    pseudo = Pseudonymiser(load_key(cfg.key_file))
    warn = Warnings()
    inputs: list[dict[str, Any]] = []
    prepared: dict[str, Prepared] = {}
    for name, profile in cfg.sources.items():
        say(f"reading {name}")
        prepared[name] = prepare_source(profile, cfg, pseudo, scrubber, warn, inputs, say)

    say("linking records and removing duplicates")

    def flags(values: pd.Series) -> pd.Series:
        # A short code (a site) holding an identifier, or a date: a date of birth typed
        # in the wrong column may be registered nowhere, and no code is a date.
        codes, uniques = pd.factorize(values)
        found = scrubber.contains_identifiers(list(uniques))
        dated = np.array([redact_dates(str(u)) != str(u) for u in uniques], dtype=bool)
        hit = np.append(found | dated, False)
        return pd.Series(hit[codes], index=values.index)

    def scrub_text(values: pd.Series) -> pd.Series:
        return scrubber.scrub_series(values, max_len=5000)

    fam = prepared["families"]
    keys.finish_keys(fam)
    built = build_tables(fam, cfg, empty_table("families"), scrub_text=scrub_text, flags=flags)
    families = keys.validated("families", built["families"], fam)
    rejected = keys.rejected_families(fam, families)
    fam.release()
    tables: dict[str, pd.DataFrame] = {"families": families}
    for name, p in prepared.items():
        if name == "families":
            continue
        keys.link(p, families, rejected, pseudo)
        keys.finish_keys(p)
        for table, b in build_tables(p, cfg, families, scrub_text=scrub_text, flags=flags).items():
            tables[table] = keys.validated(table, b, p)
        p.release()  # its tables are built: the working values are no longer needed

    say("deriving s17 episodes")
    tables["s17_episodes"] = s17_episodes(
        tables["payments"] if "payments" in tables else empty_table("payments"),
        gap_days=int(cfg.parameters["episode_gap_days"]),
        data_cut=cfg.data_cut,
    )
    for name in TABLES:
        if name not in tables:  # an empty table is built only for a table not built above
            tables[name] = empty_table(name)
    warn_empty(prepared, tables, warn)
    say("writing the rejects table")
    report = ingest_report(prepared)
    rejects = rejects_table(prepared, scrubber)
    provenance = {
        "package": "noream_eval",
        "package_version": noream_eval.__version__,
        "python": platform.python_version(),
        "pandas": pd.__version__,
        "config_name": cfg.name,
        "config_file": cfg.path.name if cfg.path else None,
        "config_sha256": cfg.sha256,
        "key_fingerprint": pseudo.fingerprint,
        "data_cut": cfg.data_cut.isoformat(),
        "data_start": cfg.data_start.isoformat(),
        "programme_start": cfg.programme_start.isoformat() if cfg.programme_start else None,
        "cohorts": list(cfg.cohorts),
        "parameters": dict(cfg.parameters),
        "parameters_given": list(cfg.parameters_given),
        "inputs": inputs,
    }
    return EvaluationData(
        **{k: tables[k] for k in TABLES},
        rejects=rejects,
        warnings=warn.frame(scrubber),
        ingest_report=report,
        provenance=provenance,
    )
