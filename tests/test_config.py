"""Tests of the evaluation config loader and its error messages."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import pytest

from noream_eval.config import load_config, load_instruments, parse_config
from noream_eval.errors import ConfigError

SAMPLE_TOML = resources.files("noream_eval.sample") / "evaluation.toml"


def _raw() -> dict:
    return tomllib.loads(SAMPLE_TOML.read_text("utf-8"))


def test_sample_config_loads():
    cfg = load_config(SAMPLE_TOML)
    assert cfg.data_cut.isoformat() == "2022-06-30"
    assert cfg.parameters["episode_gap_days"] == 35
    assert cfg.sources["referrals"].header_row == 3
    assert cfg.sources["referrals"].format == "xlsx"
    assert cfg.sources["wellbeing_survey"].items["I've been feeling useful"] == 2
    assert len(cfg.sha256) == 64


def test_instrument_registry():
    inst = load_instruments()
    assert inst["swemwbs"].metric[0] == 7.0 and inst["swemwbs"].metric[-1] == 35.0
    assert len(inst["swemwbs"].metric) == 29
    assert inst["noream_staff"].anchors["Strongly agree"] == 5
    extra = load_instruments({"k10": {"n_items": 10, "item_min": 1, "item_max": 5}})
    assert extra["k10"].n_items == 10


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda r: r["sources"]["referrals"]["columns"].update({"X": "nonsense"}),
            "maps 'X' to 'nonsense', which is not a field",
        ),
        (
            lambda r: r["sources"]["referrals"]["columns"].pop("Date of Referral"),
            "does not map the required field(s) ['referral_date']",
        ),
        (lambda r: r["sources"]["referrals"].update(header_row=0), "header_row = 0"),
        (
            lambda r: r["sources"]["referrals"].update(delimeter=","),
            "unknown setting(s) ['delimeter']",
        ),
        (
            lambda r: r["sources"]["payments"]["values"]["scheme"].update({"S17": "s18"}),
            "maps 'S17' to 's18', which is not a category",
        ),
        (lambda r: r["sources"].update(tweets={"path": "x.csv"}), "unknown source 'tweets'"),
        (lambda r: r["sources"].pop("families"), "no [sources.families] profile"),
        (lambda r: r["evaluation"].pop("data_cut"), "needs data_cut"),
        (lambda r: r["evaluation"].update(data_cut="30/06/2022"), "write it as YYYY-MM-DD"),
        (
            lambda r: r["sources"]["wellbeing_survey"].update(instrument="gad7"),
            "instrument = 'gad7' is not in the registry",
        ),
        (
            lambda r: r["sources"]["families"]["values"]["cohort"].update({"Pilot": "pilot"}),
            "which is not in [evaluation] cohorts",
        ),
    ],
)
def test_config_errors_say_what_and_where(mutate, message):
    raw = _raw()
    mutate(raw)
    with pytest.raises(ConfigError) as err:
        parse_config(raw, base_dir=Path("."))
    assert message in str(err.value)


def test_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[evaluation\n", "utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)


def test_glob_matching_no_file_is_a_config_error(tmp_path):
    cfg = parse_config(_raw(), base_dir=tmp_path)
    with pytest.raises(
        ConfigError, match=r"\[sources.referrals\] path = 'referrals\*.xlsx' matches no file"
    ):
        cfg.sources["referrals"].files()


def test_more_config_mistakes_are_named():
    raw = _raw()
    raw["sources"]["familes"] = raw["sources"].pop("payments")
    with pytest.raises(ConfigError, match="Did you mean 'families'"):
        parse_config(raw, base_dir=Path("."))
    raw = _raw()
    raw["sources"]["families"]["columns"]["Band"] = "youngest_child_age_band"
    raw["sources"]["families"]["columns"]["DOB"] = "youngest_child_dob"
    with pytest.raises(ConfigError, match="maps both youngest_child_dob and"):
        parse_config(raw, base_dir=Path("."))
    raw = _raw()
    raw["sources"]["families"]["path"] = "families.xlsm"
    for key in ("format", "encoding", "delimiter"):
        raw["sources"]["families"].pop(key, None)
    cfg = parse_config(raw, base_dir=Path("."))
    assert cfg.sources["families"].format == "xlsx"
