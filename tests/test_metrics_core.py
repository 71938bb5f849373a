"""The indicator contract, the settings and the results container."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from noream_eval.errors import InputFileError
from noream_eval.metrics import compute_all
from noream_eval.metrics.core import (
    INDICATOR_COLUMNS,
    Settings,
    indicator,
    indicator_table,
    params_json,
)
from noream_eval.metrics.results import Results


def _rows():
    return [
        indicator(
            "1",
            "rereferral_rate",
            n=120,
            estimate=0.21,
            ci_low=0.15,
            ci_high=0.29,
            method="Wilson score interval",
            unit="share of referrals",
            group="noream",
            params={"window_days": 365, "since": dt.date(2021, 2, 1)},
        ),
        indicator(
            "2",
            "s17_cost_per_family",
            n=None,
            estimate=np.float64(1234.5),
            method="sum of payments",
            unit="GBP per family",
        ),
    ]


def test_indicator_rows_have_the_contract_columns_and_types():
    table = indicator_table(_rows())
    assert tuple(table.columns) == INDICATOR_COLUMNS
    assert str(table["n"].dtype) == "Int64" and table["n"].isna().tolist() == [False, True]
    assert table["ci_low"].dtype == "float64" and np.isnan(table.loc[1, "ci_low"])
    assert json.loads(table.loc[0, "params"]) == {"since": "2021-02-01", "window_days": 365}
    assert table["prespecified"].tolist() == [False, False]


def test_bad_indicator_names_and_outcomes_are_refused():
    with pytest.raises(ValueError, match="snake_case"):
        indicator("1", "Rereferral Rate", n=1, estimate=0.1, method="m", unit="u")
    with pytest.raises(ValueError, match="outcome must be one of"):
        indicator("7", "x", n=1, estimate=0.1, method="m", unit="u")


def test_params_json_is_stable():
    assert params_json({"b": (1, 2), "a": float("nan")}) == '{"a": null, "b": [1, 2]}'


def test_results_round_trip_through_a_folder(tmp_path):
    tables = {
        "monthly_referrals": pd.DataFrame(
            {
                "month": pd.to_datetime(["2021-01-01", "2021-02-01"]),
                "referrals": pd.array([7, 0], dtype="Int64"),
                "note": pd.array(["=cmd", None], dtype="string"),
            }
        )
    }
    res = Results(indicator_table(_rows()), tables, {"seed": 1}, {"data_cut": "2022-06-30"})
    res.to_dir(tmp_path / "out")
    assert (tmp_path / "out" / "indicators.csv").is_file()
    assert "'=cmd" in (tmp_path / "out" / "monthly_referrals.csv").read_text()
    back = Results.from_dir(tmp_path / "out")
    pd.testing.assert_frame_equal(back.indicators, res.indicators)
    pd.testing.assert_frame_equal(back["monthly_referrals"], tables["monthly_referrals"])
    assert back.plan == {"seed": 1} and back.provenance["data_cut"] == "2022-06-30"
    with pytest.raises(FileExistsError):
        res.to_dir(tmp_path / "out")


def test_results_are_read_only_and_compare_by_identity():
    res = Results(indicator_table(_rows()), {"t": pd.DataFrame({"a": [1]})})
    table, ind = res["t"], res.indicators
    table.loc[0, "a"] = 99
    ind.loc[0, "estimate"] = 99.0
    assert res["t"].loc[0, "a"] == 1 and res.indicators.loc[0, "estimate"] == 0.21
    with pytest.raises(AttributeError):
        res.plan = {}  # type: ignore[misc]
    assert res == res and res != Results(res.indicators)
    assert res.indicator("rereferral_rate", "noream")["n"] == 120
    with pytest.raises(KeyError, match="indicators: "):
        res.indicator("nope")
    with pytest.raises(KeyError, match="tables: \\['t'\\]"):
        res["nope"]


def test_from_dir_explains_a_wrong_folder(tmp_path):
    with pytest.raises(InputFileError, match=r"holds no results\.json"):
        Results.from_dir(tmp_path)


def test_settings_come_from_the_config_or_the_data(sample_config):
    from noream_eval.config import load_config

    cfg = load_config(sample_config)
    s = Settings.from_config(cfg)
    assert s.data_cut == pd.Timestamp(cfg.data_cut)
    assert s.programme == "noream" and s.comparison == "comparison"
    assert s.parameters["window_days"] == 365
    single = Settings(
        data_cut=pd.Timestamp("2022-06-30"),
        data_start=pd.Timestamp("2017-04-01"),
        cohorts=("noream",),
    )
    assert single.comparison is None and "swemwbs" in single.instruments


def test_compute_all_marks_prespecified_indicators(sample):
    res = compute_all(sample)
    assert tuple(res.indicators.columns) == INDICATOR_COLUMNS
    spec = res.indicators[res.indicators["prespecified"]]
    assert set(spec["indicator"]) == set(res.plan["indicators"])
    assert (spec["group"] == "all").all()
    child = res.indicators[res.indicators["group"] == "respondent:child"]
    assert not child["prespecified"].any() and len(child) > 0
