"""Tests of noream_eval.stats.survival against published R / Stata output.

Every reference number below is quoted from a source named in the comment next to
it (printed R or Stata output, or R output stored at full precision), or is
computed in the test by an independent implementation that the comment names.
Tolerances: half a unit in the last printed digit for printed output; 1e-6 or
tighter for output stored at full precision.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from noream_eval.errors import StatsInputError
from noream_eval.stats._base import RESULT_COLUMNS
from noream_eval.stats.survival import CoxFit, KaplanMeier, LogRank, cox, kaplan_meier, logrank

# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------

# Freireich et al. (1963) 6-MP vs placebo remission times in weeks, as analysed by
# Gehan (1965); R MASS::gehan (Cox & Oakes 1984, p. 7). Copied from
# CamDavidsonPilon/lifelines, lifelines/datasets/gehan.dat, and identical to the
# listing in L. Waldron, "Session 6: Survival Analysis I" (CUNY SPH Biostatistics
# 2): placebo 1 1 2 2 3 4 4 5 5 8 8 8 8 11 11 12 12 15 17 22 23; 6-MP 6 6 6 7 10
# 13 16 22 23 6+ 9+ 10+ 11+ 17+ 19+ 20+ 25+ 32+ 32+ 34+ 35+.
MP_TIME = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
MP_EVENT = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
CTRL_TIME = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]
GEHAN = pd.DataFrame(
    {
        "time": MP_TIME + CTRL_TIME,
        "cens": MP_EVENT + [1] * 21,
        "treat": ["6-MP"] * 21 + ["control"] * 21,
    }
)

# Embury et al. (1977) AML maintenance trial, R survival::aml (Miller 1981); copied
# from curran/data, Rdatasets/csv/survival/leukemia.csv.
AML = pd.DataFrame(
    {
        "time": [
            *(9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161),
            *(5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45),
        ],
        "status": [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1],
        "x": ["Maintained"] * 11 + ["Nonmaintained"] * 12,
    }
)

# NCCTG advanced lung cancer data, R survival::lung (Loprinzi et al. 1994), copied
# from CamDavidsonPilon/lifelines, lifelines/datasets/lung.csv (228 rows, 165
# deaths). Columns: time, status (1 censored, 2 dead), age, sex (1 male, 2
# female), ph.ecog, ph.karno, wt.loss; NA = missing.
LUNG_TEXT = """
306 2 74 1 1 90 NA, 455 2 68 1 0 90 15, 1010 1 56 1 0 90 15, 210 2 57 1 1 90 11, 883 2 60 1 0 100 0
1022 1 74 1 1 50 0, 310 2 68 2 2 70 10, 361 2 71 2 2 60 1, 218 2 53 1 1 70 16, 166 2 61 1 2 70 34
170 2 57 1 1 80 27, 654 2 68 2 2 70 23, 728 2 68 2 1 90 5, 71 2 60 1 NA 60 32, 567 2 57 1 1 80 60
144 2 67 1 1 80 15, 613 2 70 1 1 90 -5, 707 2 63 1 2 50 22, 61 2 56 2 2 60 10, 88 2 57 1 1 90 NA
301 2 67 1 1 80 17, 81 2 49 2 0 100 -8, 624 2 50 1 1 70 16, 371 2 58 1 0 90 13, 394 2 72 1 0 90 0
520 2 70 2 1 90 6, 574 2 60 1 0 100 -13, 118 2 70 1 3 60 20, 390 2 53 1 1 80 -7, 12 2 74 1 2 70 20
473 2 69 2 1 90 -1, 26 2 73 1 2 60 20, 533 2 48 1 2 60 -11, 107 2 60 2 2 50 -15, 53 2 61 1 2 70 10
122 2 62 2 2 50 NA, 814 2 65 1 2 70 28, 965 1 66 2 1 70 4, 93 2 74 1 2 50 24, 731 2 64 2 1 80 15
460 2 70 1 1 80 10, 153 2 73 2 2 60 11, 433 2 59 2 0 90 27, 145 2 60 2 2 70 NA, 583 2 68 1 1 60 7
95 2 76 2 2 60 -24, 303 2 74 1 0 90 30, 519 2 63 1 1 80 10, 643 2 74 1 0 90 2, 765 2 50 2 1 90 4
735 2 72 2 1 90 9, 189 2 63 1 0 80 0, 53 2 68 1 0 90 0, 246 2 58 1 0 100 7, 689 2 59 1 1 90 15
65 2 62 1 0 90 NA, 5 2 65 2 0 100 5, 132 2 57 1 2 70 18, 687 2 58 2 1 80 10, 345 2 64 2 1 90 -3
444 2 75 2 2 70 8, 223 2 48 1 1 90 68, 175 2 73 1 1 80 NA, 60 2 65 2 1 90 0, 163 2 69 1 1 80 0
65 2 68 1 2 70 8, 208 2 67 2 2 70 2, 821 1 64 2 0 90 3, 428 2 68 1 0 100 0, 230 2 67 1 1 80 23
840 1 63 1 0 90 -1, 305 2 48 2 1 80 29, 11 2 74 1 2 70 0, 132 2 40 1 1 80 3, 226 2 53 2 1 90 3
426 2 71 2 1 90 19, 705 2 51 2 0 100 0, 363 2 56 2 1 80 -2, 11 2 81 1 0 90 15, 176 2 73 1 0 90 30
791 2 59 1 0 100 5, 95 2 55 1 1 70 15, 196 1 42 1 1 80 8, 167 2 44 2 1 80 -1, 806 1 44 1 1 80 1
284 2 71 1 1 80 14, 641 2 62 2 1 80 1, 147 2 61 1 0 100 4, 740 1 44 2 1 90 39, 163 2 72 1 2 70 2
655 2 63 1 0 100 -1, 239 2 70 1 1 80 23, 88 2 66 1 1 90 8, 245 2 57 2 1 80 14, 588 1 69 2 0 100 13
30 2 72 1 2 80 7, 179 2 69 1 1 80 25, 310 2 71 1 1 90 0, 477 2 64 1 1 90 0, 166 2 70 2 0 90 10
559 1 58 2 0 100 15, 450 2 69 2 1 80 3, 364 2 56 1 1 70 4, 107 2 63 1 1 90 0, 177 2 59 1 2 50 32
156 2 66 1 1 80 14, 529 1 54 2 1 80 -3, 11 2 67 1 1 90 NA, 429 2 55 1 1 100 5, 351 2 75 2 2 60 11
15 2 69 1 0 90 10, 181 2 44 1 1 80 5, 283 2 80 1 1 80 6, 201 2 75 2 0 90 1, 524 2 54 2 1 80 15
13 2 76 1 2 70 20, 212 2 49 1 2 70 20, 524 2 68 1 2 60 30, 288 2 66 1 2 70 24, 363 2 80 1 1 80 11
442 2 75 1 0 90 0, 199 2 60 2 2 70 10, 550 2 69 2 1 70 0, 54 2 72 1 2 60 -3, 558 2 70 1 0 90 17
207 2 66 1 1 80 20, 92 2 50 1 1 80 13, 60 2 64 1 1 80 0, 551 1 77 2 2 80 28, 543 1 48 2 0 90 4
293 2 59 2 1 80 52, 202 2 53 1 1 80 20, 353 2 47 1 0 100 5, 511 1 55 2 1 80 49, 267 2 67 1 0 90 6
511 1 74 2 2 60 37, 371 2 58 2 1 80 0, 387 2 56 1 2 80 NA, 457 2 54 1 1 90 -5, 337 2 56 1 0 100 15
201 2 73 2 2 70 -16, 404 1 74 1 1 80 38, 222 2 76 1 2 70 8, 62 2 65 2 1 80 0, 458 1 57 1 1 80 30
356 1 53 2 1 90 2, 353 2 71 1 0 100 2, 163 2 54 1 1 90 13, 31 2 82 1 0 100 27, 340 2 59 2 0 100 0
229 2 70 1 1 70 -2, 444 1 60 1 0 90 7, 315 1 62 2 0 90 0, 182 2 53 2 1 80 4, 156 2 55 1 2 70 10
329 2 69 1 2 70 20, 364 1 68 2 1 90 7, 291 2 62 1 2 70 27, 179 2 63 1 1 80 -2, 376 1 56 2 1 80 17
384 1 62 2 0 90 8, 268 2 44 2 1 90 2, 292 1 69 1 2 60 36, 142 2 63 1 1 90 2, 413 1 64 1 1 80 16
266 1 57 2 0 90 3, 194 2 60 2 1 80 33, 320 2 46 1 0 100 4, 181 2 61 1 1 90 0, 285 2 65 1 0 100 0
301 1 61 1 1 90 2, 348 2 58 2 0 90 10, 197 2 56 1 1 90 37, 382 1 43 2 0 100 6, 303 1 53 1 1 90 12
296 1 59 2 1 80 0, 180 2 56 1 2 60 -2, 186 2 55 2 1 80 NA, 145 2 53 2 1 80 13, 269 1 74 2 0 100 0
300 1 60 1 0 100 5, 284 1 39 1 0 100 -5, 350 2 66 2 0 90 NA, 272 1 65 2 1 80 -1, 292 1 51 2 0 90 0
332 1 45 2 0 90 5, 285 2 72 2 2 70 20, 259 1 58 1 0 90 8, 110 2 64 1 1 80 12, 286 2 53 1 0 90 8
270 2 72 1 1 80 14, 81 2 52 1 2 60 NA, 131 2 50 1 1 90 NA, 225 1 64 1 1 90 33, 269 2 71 1 1 90 -2
225 1 70 1 0 100 6, 243 1 63 2 1 80 0, 279 1 64 1 1 90 4, 276 1 52 2 0 100 0, 135 2 60 1 1 90 0
79 2 64 2 1 90 37, 59 2 73 1 1 60 5, 240 1 63 2 0 90 0, 202 1 50 2 0 100 1, 235 1 63 2 0 100 0
105 2 62 1 2 NA NA, 224 1 55 2 0 80 23, 239 2 50 2 2 60 -3, 237 1 69 1 1 80 NA, 173 1 59 2 1 90 10
252 1 60 2 0 100 -2, 221 1 67 1 1 80 23, 185 1 69 1 1 90 0, 92 1 64 2 2 70 31, 13 2 65 1 1 80 10
222 1 65 1 1 90 18, 192 1 41 2 1 90 -10, 183 2 76 1 2 80 7, 211 1 70 2 2 70 3, 175 1 57 2 0 80 11
197 1 67 1 1 80 2, 203 1 71 2 1 80 0, 116 2 76 1 1 80 0, 188 1 77 1 1 80 3, 191 1 39 1 0 90 -5
105 1 75 2 2 60 5, 174 1 66 1 1 90 1, 177 1 58 2 1 80 0
"""


def _lung() -> pd.DataFrame:
    rows = [r.split() for line in LUNG_TEXT.strip().splitlines() for r in line.split(", ")]
    cols = ["time", "status", "age", "sex", "ph.ecog", "ph.karno", "wt.loss"]
    df = pd.DataFrame(rows, columns=cols).replace("NA", np.nan).astype("float64")
    df["dead"] = (df["status"] == 2).astype(int)
    return df


LUNG = _lung()


def _close(got, ref, atol) -> None:
    """Element-wise |got - ref| <= atol (atol may differ per element)."""
    diff = np.abs(np.asarray(got, dtype=float) - np.asarray(ref, dtype=float))
    assert np.all(diff <= np.asarray(atol, dtype=float)), (list(got), ref)


def test_lung_data_as_in_r():
    # R prints "n= 228, number of events= 165" for coxph(Surv(time, status) ~ sex,
    # data = lung) (see test_cox_lung_sex_matches_r).
    assert len(LUNG) == 228
    assert LUNG["dead"].sum() == 165


# ---------------------------------------------------------------------------
# Kaplan–Meier
# ---------------------------------------------------------------------------


def test_km_6mp_matches_r_survfit_summary():
    # R: summary(survfit(Surv(t, Status) ~ Group)) on the Freireich data, group 1
    # (6-MP), printed in knitted R Markdown exercise solutions ("Pembahasan Contoh
    # Soal", survival package) and identically for KMsurv::drug6mp
    # (summary(survfit(Surv(t2, relapse) ~ 1, data = drug6mp))):
    #  time n.risk n.event survival std.err lower 95% CI upper 95% CI
    #     6     21       3    0.857  0.0764        0.720        1.000
    #     7     17       1    0.807  0.0869        0.653        0.996
    #    10     15       1    0.753  0.0963        0.586        0.968
    #    13     12       1    0.690  0.1068        0.510        0.935
    #    16     11       1    0.627  0.1141        0.439        0.896
    #    22      7       1    0.538  0.1282        0.337        0.858
    #    23      6       1    0.448  0.1346        0.249        0.807
    km = kaplan_meier(MP_TIME, MP_EVENT)
    tab = km.table.set_index("time")
    times = [6, 7, 10, 13, 16, 22, 23]
    ref = {
        "n_at_risk": [21, 17, 15, 12, 11, 7, 6],
        "n_events": [3, 1, 1, 1, 1, 1, 1],
        "survival": [0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448],
        "se": [0.0764, 0.0869, 0.0963, 0.1068, 0.1141, 0.1282, 0.1346],
        "ci_low": [0.720, 0.653, 0.586, 0.510, 0.439, 0.337, 0.249],
        "ci_high": [1.000, 0.996, 0.968, 0.935, 0.896, 0.858, 0.807],
    }
    got = tab.loc[times]
    assert got["n_at_risk"].tolist() == ref["n_at_risk"]
    assert got["n_events"].tolist() == ref["n_events"]
    np.testing.assert_allclose(got["survival"], ref["survival"], atol=5e-4)
    np.testing.assert_allclose(got["se"], ref["se"], atol=5e-5)
    np.testing.assert_allclose(got["ci_low"], ref["ci_low"], atol=5e-4)
    np.testing.assert_allclose(got["ci_high"], ref["ci_high"], atol=5e-4)


def test_km_control_matches_r_survfit_summary():
    # Same source, group 2 (placebo):
    #  time n.risk n.event survival std.err lower 95% CI upper 95% CI
    #     1     21       2   0.9048  0.0641      0.78754        1.000
    #     4     16       2   0.6667  0.1029      0.49268        0.902
    #     8     12       4   0.3810  0.1060      0.22085        0.657
    #    22      2       1   0.0476  0.0465      0.00703        0.322
    #    23      1       1   0.0000     NaN           NA           NA
    km = kaplan_meier(CTRL_TIME, [1] * 21)
    tab = km.table.set_index("time")
    np.testing.assert_allclose(
        tab.loc[[1, 4, 8, 22], "survival"], [0.9048, 0.6667, 0.3810, 0.0476], atol=5e-5
    )
    np.testing.assert_allclose(
        tab.loc[[1, 4, 8, 22], "se"], [0.0641, 0.1029, 0.1060, 0.0465], atol=5e-5
    )
    np.testing.assert_allclose(
        tab.loc[[1, 4, 8, 22], "ci_low"], [0.78754, 0.49268, 0.22085, 0.00703], atol=5e-6
    )
    np.testing.assert_allclose(
        tab.loc[[1, 4, 8, 22], "ci_high"], [1.000, 0.902, 0.657, 0.322], atol=5e-4
    )
    last = tab.loc[23]
    assert last["survival"] == 0.0
    assert np.isnan(last["se"]) and np.isnan(last["ci_low"]) and np.isnan(last["ci_high"])


def test_km_gehan_matches_r_full_precision():
    # R survival, summary(survfit(Surv(time, cens) ~ treat, data = gehan),
    # times = c(5, 10, 15, 20)), stored at full precision in
    # brycewang-stanford/StatsPAI, tests/external_parity/data/ding_linear_model_R.json
    # (key "ch27_gehan_km", written by ding_linear_model_reference.R).
    ref = {
        "6-MP": {
            "surv": [1, 0.7529411764705881, 0.6901960784313724, 0.6274509803921567],
            "se": [0, 0.09634965299432049, 0.1068147077750098, 0.1140538652567525],
            "lower": [1, 0.5859189820296942, 0.5096130991017802, 0.4393939249687669],
            "upper": [1, 0.9675747545522975, 0.93476919553613, 0.8959949385350817],
        },
        "control": {
            "surv": [
                0.5714285714285714,
                0.3809523809523809,
                0.1428571428571428,
                0.09523809523809523,
            ],
            "se": [
                0.1079898494312078,
                0.1059711695741308,
                0.07636035483212125,
                0.06405644848900469,
            ],
            "lower": [
                0.3945481214780611,
                0.2208453613182299,
                0.05010898396649087,
                0.025485828068472,
            ],
            "upper": [
                0.8276065566391366,
                0.6571327361690366,
                0.4072755352404185,
                0.3558956279627884,
            ],
        },
    }
    km = kaplan_meier(GEHAN["time"], GEHAN["cens"], group=GEHAN["treat"])
    got = km.survival_at([5, 10, 15, 20])
    for grp, r in ref.items():
        g = got[got["group"] == grp]
        np.testing.assert_allclose(g["survival"], r["surv"], rtol=1e-12)
        np.testing.assert_allclose(g["se"], r["se"], rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(g["ci_low"], r["lower"], rtol=1e-10)
        np.testing.assert_allclose(g["ci_high"], r["upper"], rtol=1e-10)


def test_km_greenwood_formula_by_hand():
    # Greenwood (1926): Var(S) = S^2 * sum d / (n (n - d)), evaluated here by hand
    # over the 6-MP event times (n, d) = (21,3), (17,1), (15,1), (12,1), (11,1),
    # (7,1), (6,1).
    n = np.array([21, 17, 15, 12, 11, 7, 6], dtype=float)
    d = np.array([3, 1, 1, 1, 1, 1, 1], dtype=float)
    s = np.cumprod(1 - d / n)
    se = s * np.sqrt(np.cumsum(d / (n * (n - d))))
    km = kaplan_meier(MP_TIME, MP_EVENT)
    ev = km.table[km.table["n_events"] > 0]
    np.testing.assert_allclose(ev["survival"], s, rtol=1e-14)
    np.testing.assert_allclose(ev["se"], se, rtol=1e-12)


def test_km_log_log_and_plain_intervals_by_hand():
    # Klein & Moeschberger (2003) eqs 4.3.1 (linear) and 4.3.2 (log-log), with
    # sigma_S = SE(log S) from Greenwood; evaluated by hand at the 6-MP time 10,
    # S = 0.7529411764705882 (n, d as in test_km_greenwood_formula_by_hand).
    z = 1.959963984540054
    s = (18 / 21) * (16 / 17) * (14 / 15)
    var_log = 3 / (21 * 18) + 1 / (17 * 16) + 1 / (15 * 14)
    sig = np.sqrt(var_log)
    theta = np.exp(z * sig / np.log(s))
    loglog = (s ** (1 / theta), s**theta)
    plain = (s - z * sig * s, min(1.0, s + z * sig * s))
    for conf_type, ref in (("log-log", loglog), ("plain", plain)):
        km = kaplan_meier(MP_TIME, MP_EVENT, conf_type=conf_type)
        row = km.table.set_index("time").loc[10]
        np.testing.assert_allclose([row["ci_low"], row["ci_high"]], ref, rtol=1e-12)


def test_km_conf_level_changes_width():
    # 90% limits use z = 1.6448536269514722 (scipy.special.ndtri(0.95)).
    km = kaplan_meier(MP_TIME, MP_EVENT, conf_level=0.90)
    row = km.table.set_index("time").loc[6]
    s, sig = 18 / 21, np.sqrt(3 / (21 * 18))
    np.testing.assert_allclose(row["ci_low"], s * np.exp(-1.6448536269514722 * sig), rtol=1e-12)
    assert km.notes()[0].startswith("Pointwise 90% CI")


def test_km_medians_match_r_print():
    # L. Waldron, "Session 6: Survival Analysis I" (CUNY SPH), R output of
    # survfit(Surv(time, cens) ~ group, data = leuk):
    #                n events median 0.95LCL 0.95UCL
    # group=6 MP    21      9     23      16      NA
    # group=Placebo 21     21      8       4      12
    km = kaplan_meier(GEHAN["time"], GEHAN["cens"], group=GEHAN["treat"])
    med = km.median.set_index("group")
    assert med.loc["6-MP", ["median", "ci_low"]].tolist() == [23.0, 16.0]
    assert np.isnan(med.loc["6-MP", "ci_high"])
    assert med.loc["control", ["median", "ci_low", "ci_high"]].tolist() == [8.0, 4.0, 12.0]
    frame = km.to_frame().set_index("group")
    assert frame.loc["6-MP", "n"] == 21 and frame.loc["6-MP", "n_events"] == 9
    assert frame.loc["control", "n_events"] == 21


def test_km_reverse_km_median_follow_up():
    # Same source, reverse Kaplan-Meier (median potential follow-up):
    # survfit(Surv(time, 1 - cens) ~ group, data = leuk)
    # group=6 MP    21     12     25      17      NA
    # group=Placebo 21      0     NA      NA      NA
    km = kaplan_meier(GEHAN["time"], 1 - GEHAN["cens"], group=GEHAN["treat"])
    med = km.median.set_index("group")
    assert med.loc["6-MP", ["median", "ci_low"]].tolist() == [25.0, 17.0]
    assert np.isnan(med.loc["6-MP", "ci_high"])
    assert med.loc["control"].isna().all()


def test_km_aml_median_uses_print_rule_for_non_monotone_band():
    # R survival::aml pooled: survfit(Surv(time, status) ~ 1, data = aml) prints
    # "n 23 events 18 median 27 0.95LCL 18 0.95UCL 45" (R script comment
    # "median survival time = 27 (95%CI: 18, 45)" and the knitted output
    # "23 18 27 18 45" of survfit(example7a_surv ~ 1)). The upper band is 0.458 at
    # 45 and 0.462 at 48, so "first time the band is <= 0.5" (print.survfit) gives
    # 45 where an interpolation of the non-monotone band would give 48.
    km = kaplan_meier(AML["time"], AML["status"])
    assert km.median.iloc[0][["median", "ci_low", "ci_high"]].tolist() == [27.0, 18.0, 45.0]
    # By group (knitted output of survfit(Surv(time, status) ~ x, data = aml)):
    # x=Maintained    11      7     31      18      NA
    # x=Nonmaintained 12     11     23       8      NA
    kmg = kaplan_meier(AML["time"], AML["status"], group=AML["x"])
    med = kmg.median.set_index("group")
    assert med.loc["Maintained", ["median", "ci_low"]].tolist() == [31.0, 18.0]
    assert med.loc["Nonmaintained", ["median", "ci_low"]].tolist() == [23.0, 8.0]
    assert med["ci_high"].isna().all()


def test_km_lung_matches_r():
    # R: sf <- survfit(Surv(time, status) ~ 1, cancer); printed in the kmdata
    # package README: "n 228 events 165 median 310 0.95LCL 285 0.95UCL 363" and
    # summary(sf, times = 0:5 * 100):
    #  time n.risk n.event survival std.err lower 95% CI upper 95% CI
    #   100    196      31   0.8640  0.0227       0.8206        0.910
    #   200    144      41   0.6803  0.0311       0.6219        0.744
    # and summary(fit1, times = c(200, 400)) in knitted notes on the same data:
    #   400     57      54    0.377  0.0358        0.313        0.454
    # (n.event there counts events since the previous listed time: 72 by 200.)
    km = kaplan_meier(LUNG["time"], LUNG["dead"])
    assert km.median.iloc[0][["median", "ci_low", "ci_high"]].tolist() == [310.0, 285.0, 363.0]
    s = km.survival_at([100, 200, 400])
    _close(s["survival"], [0.8640, 0.6803, 0.377], [5e-5, 5e-5, 5e-4])
    np.testing.assert_allclose(s["se"], [0.0227, 0.0311, 0.0358], atol=5e-5)
    _close(s["ci_low"], [0.8206, 0.6219, 0.313], [5e-5, 5e-5, 5e-4])
    np.testing.assert_allclose(s["ci_high"], [0.910, 0.744, 0.454], atol=5e-4)
    r = km.at_risk([100, 200, 400])
    assert r["n_at_risk"].tolist() == [196, 144, 57]
    assert r["n_events_cumulative"].tolist() == [31, 31 + 41, 31 + 41 + 54]


def test_km_event_before_censoring_at_tied_time():
    # R convention (survfit): at a time with both events and censorings the
    # censored subjects are still at risk. 6-MP at week 6: 3 relapses and 1
    # censoring among 21 -> n.risk 21 at 6 and 17 at 7 (R summary quoted above).
    km = kaplan_meier(MP_TIME, MP_EVENT)
    tab = km.table.set_index("time")
    assert tab.loc[6, ["n_at_risk", "n_events", "n_censored"]].tolist() == [21, 3, 1]
    assert tab.loc[7, "n_at_risk"] == 17
    # Toy case: S(1) = 1 - 1/3 only if the subject censored at 1 is at risk.
    toy = kaplan_meier([1, 1, 2], [1, 0, 1])
    assert toy.table["survival"].iloc[0] == pytest.approx(2 / 3, rel=1e-15)


def test_km_table_layout_and_every_distinct_time():
    km = kaplan_meier(GEHAN["time"], GEHAN["cens"], group=GEHAN["treat"])
    assert km.table.columns.tolist() == [
        "group",
        "time",
        "n_at_risk",
        "n_events",
        "n_censored",
        "survival",
        "se",
        "ci_low",
        "ci_high",
    ]
    mp = km.table[km.table["group"] == "6-MP"]
    assert mp["time"].tolist() == sorted(set(MP_TIME))
    assert int(mp["n_events"].sum() + mp["n_censored"].sum()) == 21
    frame = km.to_frame()
    assert frame.columns[: len(RESULT_COLUMNS)].tolist() == list(RESULT_COLUMNS)
    assert frame["term"].tolist() == ["median", "median"]
    assert frame["p_value"].isna().all()
    assert "Kaplan" in km.summary() and "<table" in km._repr_html_()
    assert isinstance(km, KaplanMeier)


def test_km_zero_events_is_flat_with_undefined_median():
    km = kaplan_meier([3, 5, 8], [0, 0, 0])
    assert km.table["survival"].tolist() == [1.0, 1.0, 1.0]
    assert km.table["se"].tolist() == [0.0, 0.0, 0.0]
    assert km.table["ci_low"].tolist() == [1.0, 1.0, 1.0]
    assert km.median.iloc[0][["median", "ci_low", "ci_high"]].isna().all()
    assert km.to_frame()["n_events"].tolist() == [0]
    # R's log-log interval is undefined where S = 1 (survfit_confint sets NA).
    assert kaplan_meier([3, 5, 8], [0, 0, 0], conf_type="log-log").table["ci_low"].isna().all()


def test_km_group_without_events_alongside_others():
    km = kaplan_meier([1, 2, 3, 4, 5, 6], [1, 1, 1, 0, 0, 0], group=list("aaabbb"))
    med = km.median.set_index("group")
    assert med.loc["b"].isna().all()
    assert med.loc["a", "median"] == 2.0


def test_km_missing_rows_dropped_and_counted():
    t = [6, np.nan, 6, 7, 10, 13]
    e = [1, 1, None, 1, 0, 1]
    g = ["a", "a", "a", None, "a", "a"]
    km = kaplan_meier(t, e, group=g)
    assert km.n_dropped == 3
    assert km.to_frame()["n"].tolist() == [3]
    assert any("3 row(s)" in line for line in km.notes())


def test_km_categorical_group_order_and_bool_event():
    grp = pd.Categorical(GEHAN["treat"], categories=["control", "6-MP"])
    km = kaplan_meier(GEHAN["time"], GEHAN["cens"].astype(bool), group=grp)
    assert km.groups == ("control", "6-MP")
    assert km.median["group"].tolist() == ["control", "6-MP"]


def test_km_survival_at_edges():
    km = kaplan_meier(GEHAN["time"], GEHAN["cens"], group=GEHAN["treat"])
    s = km.survival_at([0.5, 36, 100]).set_index(["group", "time"])
    assert s.loc[("6-MP", 0.5), "survival"] == 1.0
    assert s.loc[("6-MP", 0.5), "ci_low"] == 1.0
    # After the last follow-up (35 weeks) the 6-MP curve is undefined ...
    assert np.isnan(s.loc[("6-MP", 36.0), "survival"])
    # ... while the control curve reached 0 at 23 weeks and stays there.
    assert s.loc[("control", 100.0), "survival"] == 0.0
    assert np.isnan(s.loc[("control", 100.0), "ci_high"])


def test_km_at_risk_counts():
    km = kaplan_meier(GEHAN["time"], GEHAN["cens"], group=GEHAN["treat"])
    r = km.at_risk([0, 10, 20, 40]).set_index(["group", "time"])
    # Counted directly from the data listing above.
    assert r.loc["6-MP", "n_at_risk"].tolist() == [21, 15, 8, 0]
    assert r.loc["6-MP", "n_events_cumulative"].tolist() == [0, 5, 7, 9]
    assert r.loc["6-MP", "n_censored_cumulative"].tolist() == [0, 3, 7, 12]
    assert r.loc["control", "n_at_risk"].tolist() == [21, 8, 2, 0]
    with pytest.raises(StatsInputError, match="non-negative"):
        km.at_risk([-1])


@pytest.mark.parametrize(
    ("time", "event", "match"),
    [
        ([1, -2, 3], [1, 1, 0], "non-negative"),
        ([1, 2, 3], [1, 2, 0], "0 \\(censored\\) or 1"),
        ([1, np.inf, 3], [1, 1, 0], "infinite"),
        ([1, 2], [1, 1, 0], "different lengths"),
        ([np.nan, np.nan], [1, 0], "no complete observations"),
        ([1, 2], ["a", "b"], "numeric"),
    ],
)
def test_km_bad_input(time, event, match):
    with pytest.raises(StatsInputError, match=match):
        kaplan_meier(time, event)


def test_km_bad_options():
    with pytest.raises(StatsInputError, match="conf_type"):
        kaplan_meier([1, 2], [1, 1], conf_type="arcsin")  # type: ignore[arg-type]
    with pytest.raises(StatsInputError, match="conf_level"):
        kaplan_meier([1, 2], [1, 1], conf_level=95)
    with pytest.raises(StatsInputError, match="one label per observation"):
        kaplan_meier([1, 2], [1, 1], group=["a"])


def test_km_plot_draws_numbers_at_risk_from_data():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    km = kaplan_meier(GEHAN["time"], GEHAN["cens"], group=GEHAN["treat"])
    times = [0, 10, 20, 30]
    ax = km.plot(times=times)
    try:
        risk = km.at_risk(times)
        drawn = [t.get_text() for t in ax.texts]
        expected = [str(v) for v in risk["n_at_risk"]]
        numbers = [s for s in drawn if s.isdigit()]
        assert numbers == expected
        assert "Number at risk" in drawn and "6-MP" in drawn and "control" in drawn
        assert list(ax.get_xticks()) == times
        # Two step curves plus one censoring-tick line per group.
        assert len(ax.lines) == 4
        ax2 = kaplan_meier(MP_TIME, MP_EVENT).plot(conf_int=False)
        assert ax2.get_legend() is None
    finally:
        plt.close("all")


def test_module_import_does_not_load_heavy_libraries():
    code = (
        "import sys, noream_eval.stats.survival;"
        "print([m for m in ('statsmodels', 'matplotlib') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------------------
# Log-rank test
# ---------------------------------------------------------------------------


def test_logrank_gehan_matches_r():
    # R: survdiff(Surv(time, cens) ~ treat, data = gehan), stored at full
    # precision in StatsPAI's ding_linear_model_R.json ("ch27_gehan":
    # logrank_chisq 16.79294098921654, logrank_p 4.168809109339477e-05) and
    # printed (Waldron, Session 6; RPubs 79128):
    #                N Observed Expected (O-E)^2/E (O-E)^2/V
    # group=6 MP    21        9     19.3      5.46      16.8
    # group=Placebo 21       21     10.7      9.77      16.8
    #  Chisq= 16.8  on 1 degrees of freedom, p= 4.17e-05
    res = logrank(GEHAN["time"], GEHAN["cens"], GEHAN["treat"])
    row = res.to_frame().iloc[0]
    assert row["term"] == "logrank"
    assert row["statistic"] == pytest.approx(16.79294098921654, rel=1e-10)
    assert row["p_value"] == pytest.approx(4.168809109339477e-05, rel=1e-8)
    assert row["df"] == 1 and row["n"] == 42 and row["n_events"] == 30
    assert np.isnan(row["estimate"])
    bg = res.by_group.set_index("group")
    assert bg.loc["6-MP", "observed"] == 9 and bg.loc["control", "observed"] == 21
    np.testing.assert_allclose(bg["expected"], [19.3, 10.7], atol=0.05)
    oe2_e = bg["o_minus_e"] ** 2 / bg["expected"]
    np.testing.assert_allclose(oe2_e, [5.46, 9.77], atol=0.005)
    np.testing.assert_allclose(bg["score"] ** 2 / bg["variance"], [16.8, 16.8], atol=0.05)
    assert isinstance(res, LogRank)


def test_logrank_weighted_match_statsmodels():
    # Independent implementation: statsmodels.duration.survfunc.survdiff (tested
    # there against R survival and survMisc), weight_type "gb", "tw", "fh".
    from statsmodels.duration.survfunc import survdiff

    t, e, g = GEHAN["time"], GEHAN["cens"], GEHAN["treat"]
    cases = [
        ("gehan-breslow", {"weight_type": "gb"}, {}),
        ("tarone-ware", {"weight_type": "tw"}, {}),
        ("fleming-harrington", {"weight_type": "fh", "fh_p": 1}, {"rho": 1.0}),
        ("fleming-harrington", {"weight_type": "fh", "fh_p": 0.5}, {"rho": 0.5}),
    ]
    for name, sm_kw, kw in cases:
        ref_stat, ref_p = survdiff(t.to_numpy(), e.to_numpy(), g.to_numpy(), **sm_kw)
        row = logrank(t, e, g, weights=name, **kw).to_frame().iloc[0]  # type: ignore[arg-type]
        assert row["statistic"] == pytest.approx(ref_stat, rel=1e-10)
        assert row["p_value"] == pytest.approx(ref_p, rel=1e-8)
    assert logrank(t, e, g, weights="logrank").to_frame()["statistic"].iloc[0] == pytest.approx(
        16.79294098921654, rel=1e-10
    )


def test_logrank_weighted_aml_matches_survmisc():
    # survMisc::comp(survfit(Surv(time, status) ~ x, data = aml))$tests$lrTests,
    # quoted in a stats.stackexchange answer (question 23323):
    # Log-rank 3.40; Gehan-Breslow (mod~ Wilcoxon) 2.72; Tarone-Ware 2.98.
    t, e, g = AML["time"], AML["status"], AML["x"]
    for name, ref in (("logrank", 3.40), ("gehan-breslow", 2.72), ("tarone-ware", 2.98)):
        stat = logrank(t, e, g, weights=name).to_frame()["statistic"].iloc[0]  # type: ignore[arg-type]
        assert stat == pytest.approx(ref, abs=0.005)


def test_logrank_three_groups_matches_statsmodels():
    # k = 4 groups (ph.ecog 0-3) of the lung data against statsmodels' survdiff.
    from statsmodels.duration.survfunc import survdiff

    d = LUNG.dropna(subset=["ph.ecog"])
    ref_stat, ref_p = survdiff(d["time"].to_numpy(), d["dead"].to_numpy(), d["ph.ecog"].to_numpy())
    res = logrank(LUNG["time"], LUNG["dead"], LUNG["ph.ecog"])
    row = res.to_frame().iloc[0]
    assert row["df"] == 3
    assert row["statistic"] == pytest.approx(ref_stat, rel=1e-10)
    assert row["p_value"] == pytest.approx(ref_p, rel=1e-8)
    assert any("1 row(s)" in d for d in res.details)
    assert res.by_group["n"].sum() == 227


def test_logrank_group_without_events():
    res = logrank([1, 2, 3, 4, 5, 6], [1, 1, 1, 0, 0, 0], list("aaabbb"))
    bg = res.by_group.set_index("group")
    assert bg.loc["b", "observed"] == 0
    assert res.to_frame()["statistic"].iloc[0] > 0


def test_logrank_errors():
    with pytest.raises(StatsInputError, match="at least two groups"):
        logrank([1, 2, 3], [1, 0, 1], ["a", "a", "a"])
    with pytest.raises(StatsInputError, match="no events"):
        logrank([1, 2, 3, 4], [0, 0, 0, 0], list("aabb"))
    with pytest.raises(StatsInputError, match="never at risk together"):
        # group b is censored before any event happens
        logrank([5, 6, 1, 2], [1, 1, 0, 0], list("aabb"))
    with pytest.raises(StatsInputError, match="weights"):
        logrank([1, 2], [1, 1], ["a", "b"], weights="wilcoxon")  # type: ignore[arg-type]
    with pytest.raises(StatsInputError, match="non-negative"):
        logrank([1, -2], [1, 1], ["a", "b"])


# ---------------------------------------------------------------------------
# Cox regression
# ---------------------------------------------------------------------------


def test_cox_gehan_efron_matches_r():
    # R: coxph(Surv(time, cens) ~ treat, data = gehan) (Efron), full precision in
    # StatsPAI's ding_linear_model_R.json, "ch27_gehan": est 1.572125148829066,
    # se 0.4123967177094553, loglik [-93.184269996847732, -85.008424577371656],
    # lr 16.351690838952152. Printed (exercise solutions cited above):
    #          coef exp(coef) se(coef)     z        p
    # Group2 1.5721    4.8169   0.4124 3.812 0.000138
    fit = cox(GEHAN, duration="time", event="cens", covariates=["treat"])
    row = fit.to_frame().iloc[0]
    assert row["term"] == "treat[control]"
    assert row["coef"] == pytest.approx(1.572125148829066, rel=1e-7)
    assert row["se"] == pytest.approx(0.4123967177094553, rel=1e-7)
    assert row["estimate"] == pytest.approx(4.8169, abs=5e-5)
    assert row["statistic"] == pytest.approx(3.812, abs=5e-4)
    assert row["p_value"] == pytest.approx(0.000138, abs=5e-7)
    z = 1.959963984540054
    assert row["ci_low"] == pytest.approx(np.exp(1.572125148829066 - z * 0.4123967177094553))
    assert fit.loglik == pytest.approx(-85.008424577371656, rel=1e-9)
    assert fit.loglik_null == pytest.approx(-93.184269996847732, rel=1e-12)
    assert fit.lr_statistic == pytest.approx(16.351690838952152, rel=1e-7)
    assert (fit.n, fit.n_events, fit.n_dropped) == (42, 30, 0)
    assert fit.reference == {"treat": "6-MP"}
    assert isinstance(fit, CoxFit)


def test_cox_gehan_breslow_matches_stata_and_differs_from_efron():
    # Stata, stcox treated (Breslow ties), G. Rodriguez, "Cox Regression",
    # data.princeton.edu/pop509/cox.html:
    # Log likelihood = -86.379622 (iteration 0: -93.98505); LR chi2(1) = 15.21
    # treated | Haz. Ratio .2210887  Std. Err. .0905501  z -3.68
    #         [95% Conf. Interval] .0990706  .4933877
    grp = pd.Categorical(GEHAN["treat"], categories=["control", "6-MP"])
    fit = cox(
        GEHAN.assign(treat=grp), duration="time", event="cens", covariates=["treat"], ties="breslow"
    )
    row = fit.to_frame().iloc[0]
    assert row["term"] == "treat[6-MP]" and fit.reference == {"treat": "control"}
    assert row["estimate"] == pytest.approx(0.2210887, abs=5e-8)
    # Stata's Std. Err. is the delta-method SE of the hazard ratio: HR * se(coef).
    assert row["estimate"] * row["se"] == pytest.approx(0.0905501, abs=5e-8)
    assert row["statistic"] == pytest.approx(-3.68, abs=5e-3)
    assert row["ci_low"] == pytest.approx(0.0990706, abs=5e-8)
    assert row["ci_high"] == pytest.approx(0.4933877, abs=5e-8)
    assert fit.loglik == pytest.approx(-86.379622, abs=5e-7)
    assert fit.loglik_null == pytest.approx(-93.98505, abs=5e-6)
    assert fit.lr_statistic == pytest.approx(15.21, abs=5e-3)
    # With 30 events at 17 distinct times the approximations differ: HR 4.523 vs 4.817.
    efron = cox(GEHAN.assign(treat=grp), duration="time", event="cens", covariates=["treat"])
    assert 1 / row["estimate"] == pytest.approx(4.5231, abs=5e-4)
    assert abs(efron.to_frame()["coef"].iloc[0] - row["coef"]) > 0.05


def test_cox_lung_sex_matches_r():
    # R 4.6.0 survival, summary(coxph(Surv(time, status) ~ sex, data = lung)),
    # "byte-for-byte" in a coxph-presets.js generated from
    # coxph-output-interpreter.R:
    #   n= 228, number of events= 165
    #        coef exp(coef) se(coef)      z Pr(>|z|)
    #   sex -0.5310    0.5880   0.1672 -3.176  0.00149
    #       exp(coef) exp(-coef) lower .95 upper .95
    #   sex     0.588      1.701    0.4237     0.816
    #   Likelihood ratio test= 10.63  on 1 df
    fit = cox(LUNG, duration="time", event="dead", covariates=["sex"])
    row = fit.to_frame().iloc[0]
    assert (fit.n, fit.n_events) == (228, 165)
    assert row["coef"] == pytest.approx(-0.5310, abs=5e-5)
    assert row["se"] == pytest.approx(0.1672, abs=5e-5)
    assert row["statistic"] == pytest.approx(-3.176, abs=5e-4)
    assert row["p_value"] == pytest.approx(0.00149, abs=5e-6)
    assert row["ci_low"] == pytest.approx(0.4237, abs=5e-5)
    assert row["ci_high"] == pytest.approx(0.816, abs=5e-4)
    assert fit.lr_statistic == pytest.approx(10.63, abs=5e-3)


def test_cox_lung_three_covariates_matches_r():
    # Same source, coxph(Surv(time, status) ~ age + sex + ph.ecog, data = lung):
    #   n= 227, number of events= 164 (1 observation deleted due to missingness)
    #               coef exp(coef)  se(coef)      z Pr(>|z|)
    #   age      0.011067  1.011128  0.009267  1.194 0.232416
    #   sex     -0.552612  0.575445  0.167739 -3.294 0.000986
    #   ph.ecog  0.463728  1.589991  0.113577  4.083 4.45e-05
    #   lower .95: 0.9929 0.4142 1.2727; upper .95: 1.0297 0.7994 1.9864
    #   Likelihood ratio test= 30.5  on 3 df
    fit = cox(LUNG, duration="time", event="dead", covariates=["age", "sex", "ph.ecog"])
    tab = fit.to_frame().set_index("term")
    assert (fit.n, fit.n_events, fit.n_dropped) == (227, 164, 1)
    np.testing.assert_allclose(tab["coef"], [0.011067, -0.552612, 0.463728], atol=5e-7)
    np.testing.assert_allclose(tab["estimate"], [1.011128, 0.575445, 1.589991], atol=5e-7)
    np.testing.assert_allclose(tab["se"], [0.009267, 0.167739, 0.113577], atol=5e-7)
    _close(tab["p_value"], [0.232416, 0.000986, 4.45e-05], [5e-7, 5e-7, 5e-8])
    np.testing.assert_allclose(tab["ci_low"], [0.9929, 0.4142, 1.2727], atol=5e-5)
    np.testing.assert_allclose(tab["ci_high"], [1.0297, 0.7994, 1.9864], atol=5e-5)
    assert fit.lr_statistic == pytest.approx(30.5, abs=0.05)
    assert fit.lr_df == 3


def test_cox_lung_factor_with_non_alphabetical_reference_matches_r():
    # Same source, lung2$sexf <- factor(sex, labels = c("male", "female"));
    # coxph(Surv(time, status) ~ age + sexf + ph.karno + wt.loss, data = lung2):
    #   n= 214, number of events= 152 (14 observations deleted due to missingness)
    #                   coef exp(coef)  se(coef)      z Pr(>|z|)
    #   age         0.015140  1.015255  0.009837  1.539  0.12379
    #   sexffemale -0.513955  0.598125  0.174410 -2.947  0.00321
    #   ph.karno   -0.012871  0.987211  0.006184 -2.081  0.03741
    #   wt.loss    -0.002246  0.997757  0.006357 -0.353  0.72389
    #   Likelihood ratio test= 18.84  on 4 df
    lung2 = LUNG.assign(
        sexf=pd.Categorical(
            np.where(LUNG["sex"] == 1, "male", "female"), categories=["male", "female"]
        )
    )
    fit = cox(
        lung2, duration="time", event="dead", covariates=["age", "sexf", "ph.karno", "wt.loss"]
    )
    tab = fit.to_frame().set_index("term")
    assert tab.index.tolist() == ["age", "sexf[female]", "ph.karno", "wt.loss"]
    assert fit.reference == {"sexf": "male"}
    assert (fit.n, fit.n_events, fit.n_dropped) == (214, 152, 14)
    np.testing.assert_allclose(tab["coef"], [0.015140, -0.513955, -0.012871, -0.002246], atol=5e-7)
    np.testing.assert_allclose(tab["se"], [0.009837, 0.174410, 0.006184, 0.006357], atol=5e-7)
    np.testing.assert_allclose(tab["p_value"], [0.12379, 0.00321, 0.03741, 0.72389], atol=5e-6)
    assert fit.lr_statistic == pytest.approx(18.84, abs=5e-3)
    assert any("14 row(s)" in line for line in fit.notes())


def test_cox_stratified_matches_r():
    # R: data7.1 <- na.omit(cancer[, c("time", "status", "sex", "age", "ph.karno")]);
    # catage <- Recode(age, "lo:47=1;48:71=2;72:hi=3"); sex as factor;
    # coxph(Surv(time, status) ~ sex + ph.karno + strata(catage)), printed in the
    # exercise solutions cited above ("Contoh 7.2"):
    #               coef exp(coef)  se(coef)      z       p
    # sex2     -0.509868  0.600575  0.167606 -3.042 0.00235
    # ph.karno -0.014729  0.985378  0.005946 -2.477 0.01324
    # n= 227, number of events= 164; loglik[2] -630.8648
    # and without sex: ph.karno -0.015318 (se 0.006108), loglik[2] -635.7295.
    d = LUNG.assign(
        catage=np.select([LUNG["age"] <= 47, LUNG["age"] <= 71], [1, 2], 3),
        sexf=LUNG["sex"].map({1.0: "1", 2.0: "2"}),
    )
    fit = cox(d, duration="time", event="dead", covariates=["sexf", "ph.karno"], strata="catage")
    tab = fit.to_frame().set_index("term")
    assert tab.index.tolist() == ["sexf[2]", "ph.karno"]
    np.testing.assert_allclose(tab["coef"], [-0.509868, -0.014729], atol=5e-7)
    np.testing.assert_allclose(tab["se"], [0.167606, 0.005946], atol=5e-7)
    np.testing.assert_allclose(tab["p_value"], [0.00235, 0.01324], atol=5e-6)
    assert (fit.n, fit.n_events) == (227, 164)
    assert fit.loglik == pytest.approx(-630.8648, abs=5e-5)
    assert "stratified by catage" in tab["method"].iloc[0]
    fit2 = cox(d, duration="time", event="dead", covariates=["ph.karno"], strata="catage")
    assert fit2.to_frame()["coef"].iloc[0] == pytest.approx(-0.015318, abs=5e-7)
    assert fit2.to_frame()["se"].iloc[0] == pytest.approx(0.006108, abs=5e-7)
    assert fit2.loglik == pytest.approx(-635.7295, abs=5e-5)


def test_cox_categorical_coding_equals_manual_dummies():
    # Dummy coding check: a 4-level string covariate gives the same fit as the
    # three 0/1 columns built by hand (first sorted level "0" as reference).
    d = LUNG.dropna(subset=["ph.ecog"]).assign(ecog=lambda x: x["ph.ecog"].astype(int).astype(str))
    for lev in ("1", "2", "3"):
        d[f"e{lev}"] = (d["ecog"] == lev).astype(float)
    a = cox(d, duration="time", event="dead", covariates=["age", "ecog"]).to_frame()
    b = cox(d, duration="time", event="dead", covariates=["age", "e1", "e2", "e3"]).to_frame()
    assert a["term"].tolist() == ["age", "ecog[1]", "ecog[2]", "ecog[3]"]
    np.testing.assert_allclose(a["coef"], b["coef"], rtol=1e-10)
    np.testing.assert_allclose(a["se"], b["se"], rtol=1e-10)


def test_cox_bool_event_and_covariate():
    d = GEHAN.assign(cens=GEHAN["cens"].astype(bool), ctrl=GEHAN["treat"] == "control")
    row = cox(d, duration="time", event="cens", covariates=["ctrl"]).to_frame().iloc[0]
    assert row["term"] == "ctrl"
    assert row["coef"] == pytest.approx(1.572125148829066, rel=1e-7)


def test_cox_frame_summary_and_html():
    fit = cox(GEHAN, duration="time", event="cens", covariates=["treat"])
    frame = fit.to_frame()
    assert frame.columns.tolist() == [
        *RESULT_COLUMNS,
        "coef",
        "se",
        "statistic",
        "n_events",
        "n_dropped",
    ]
    text = fit.summary()
    assert "Efron ties" in text and "reference level '6-MP'" in text
    assert "<table" in fit._repr_html_()


def test_cox_errors():
    base = GEHAN.copy()
    with pytest.raises(StatsInputError, match="not in the data; available columns"):
        cox(base, duration="time", event="cens", covariates=["age"])
    with pytest.raises(StatsInputError, match="no events"):
        cox(base.assign(cens=0), duration="time", event="cens", covariates=["treat"])
    with pytest.raises(StatsInputError, match="monotone likelihood"):
        # the 6-MP group has no events: the hazard ratio is 0 or infinite
        cox(
            base.assign(cens=np.where(base["treat"] == "6-MP", 0, 1)),
            duration="time",
            event="cens",
            covariates=["treat"],
        )
    with pytest.raises(StatsInputError, match="same value"):
        cox(base.assign(k=1.0), duration="time", event="cens", covariates=["treat", "k"])
    with pytest.raises(StatsInputError, match="single level"):
        cox(base.assign(k="x"), duration="time", event="cens", covariates=["k"])
    with pytest.raises(StatsInputError, match="collinear"):
        d = base.assign(a=base["time"] % 3, b=2 * (base["time"] % 3))
        cox(d, duration="time", event="cens", covariates=["a", "b"])
    with pytest.raises(StatsInputError, match="non-negative"):
        cox(base.assign(time=-base["time"]), duration="time", event="cens", covariates=["treat"])
    with pytest.raises(StatsInputError, match="0 \\(censored\\) or 1"):
        cox(base.assign(cens=base["cens"] + 1), duration="time", event="cens", covariates=["treat"])
    with pytest.raises(StatsInputError, match="ties"):
        cox(base, duration="time", event="cens", covariates=["treat"], ties="exact")  # type: ignore[arg-type]
    with pytest.raises(StatsInputError, match="at least one covariate"):
        cox(base, duration="time", event="cens", covariates=[])
    with pytest.raises(StatsInputError, match="DataFrame"):
        cox(base.to_numpy(), duration="time", event="cens", covariates=["treat"])  # type: ignore[arg-type]
    with pytest.raises(StatsInputError, match="dtype"):
        d = base.assign(when=pd.Timestamp("2024-01-01"))
        cox(d, duration="time", event="cens", covariates=["when"])


# ---------------------------------------------------------------------------
# DataFrame + column names, the duration argument, n_dropped
# ---------------------------------------------------------------------------


def test_km_and_logrank_take_column_names_with_data():
    # The same Gehan data passed as values and as column names of a DataFrame give
    # identical results.
    km_values = kaplan_meier(GEHAN["time"], GEHAN["cens"], group=GEHAN["treat"])
    km_data = kaplan_meier("time", "cens", group="treat", data=GEHAN)
    pd.testing.assert_frame_equal(km_values.table, km_data.table)
    pd.testing.assert_frame_equal(km_values.to_frame(), km_data.to_frame())
    km_kw = kaplan_meier(duration="time", event="cens", data=GEHAN)
    assert km_kw.groups == ("all",) and km_kw.to_frame()["n"].tolist() == [42]
    lr_values = logrank(GEHAN["time"], GEHAN["cens"], GEHAN["treat"])
    lr_data = logrank("time", "cens", "treat", data=GEHAN)
    pd.testing.assert_frame_equal(lr_values.to_frame(), lr_data.to_frame())
    pd.testing.assert_frame_equal(lr_values.by_group, lr_data.by_group)


def test_duration_is_the_keyword_everywhere():
    km = kaplan_meier(duration=MP_TIME, event=MP_EVENT)
    assert km.median["median"].iloc[0] == kaplan_meier(MP_TIME, MP_EVENT).median["median"].iloc[0]
    res = logrank(duration=GEHAN["time"], event=GEHAN["cens"], group=GEHAN["treat"])
    assert res.to_frame()["n"].iloc[0] == 42
    with pytest.raises(TypeError):
        kaplan_meier(time=MP_TIME, event=MP_EVENT)  # type: ignore[call-arg]
    with pytest.raises(StatsInputError, match="duration must be non-negative"):
        kaplan_meier([1, -2], [1, 1])


@pytest.mark.parametrize(
    "call",
    [
        lambda d: kaplan_meier("weeks", "cens", data=d),
        lambda d: kaplan_meier("time", "cens", group="arm", data=d),
        lambda d: logrank("time", "cens", "arm", data=d),
        lambda d: cox(d, duration="weeks", event="cens", covariates=["treat"]),
        lambda d: cox(d, duration="time", event="cens", covariates=["treat"], strata="site"),
    ],
)
def test_missing_column_error_names_it_and_the_columns(call):
    with pytest.raises(StatsInputError) as err:
        call(GEHAN)
    message = str(err.value)
    assert "is not in the data" in message
    assert "available columns: 'time', 'cens', 'treat'" in message


def test_with_data_the_arguments_must_be_column_names():
    with pytest.raises(StatsInputError, match="duration must be a column name"):
        kaplan_meier(GEHAN["time"].tolist(), "cens", data=GEHAN)
    with pytest.raises(StatsInputError, match="data must be a pandas DataFrame"):
        logrank("time", "cens", "treat", data=GEHAN.to_dict())  # type: ignore[arg-type]


def test_n_dropped_reported_by_every_survival_result():
    d = GEHAN.astype({"time": "float64"}).copy()
    d.loc[[0, 5], "time"] = np.nan
    d.loc[30, "treat"] = None
    km = kaplan_meier("time", "cens", group="treat", data=d)
    lr = logrank("time", "cens", "treat", data=d)
    fit = cox(d, duration="time", event="cens", covariates=["treat"])
    assert km.n_dropped == lr.n_dropped == fit.n_dropped == 3
    for frame in (km.to_frame(), lr.to_frame(), fit.to_frame()):
        assert (frame["n_dropped"] == 3).all()
    assert km.to_frame()["n"].sum() == lr.to_frame()["n"].iloc[0] == fit.n == 39


def test_cox_statistic_is_the_wald_z():
    fit = cox(GEHAN, duration="time", event="cens", covariates=["treat"])
    row = fit.to_frame().iloc[0]
    assert "z" not in fit.to_frame().columns
    assert row["statistic"] == pytest.approx(row["coef"] / row["se"], rel=1e-12)


def test_cox_single_covariate_name_and_column_used_twice():
    a = cox(GEHAN, duration="time", event="cens", covariates="treat").to_frame()
    b = cox(GEHAN, duration="time", event="cens", covariates=["treat"]).to_frame()
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(StatsInputError, match="used twice"):
        cox(GEHAN, duration="time", event="cens", covariates=["treat"], strata="treat")


# ---------------------------------------------------------------------------
# Coverage of nominal 95% intervals (simulation)
# ---------------------------------------------------------------------------


@pytest.mark.slow
def test_km_pointwise_and_median_ci_coverage():
    # Exponential(1) event times, exponential (mean 1/0.3) censoring plus an
    # administrative cut at 3; n = 100; S(t0) = 0.5 at t0 = log 2, which is also
    # the true median. 1500 replications: Monte Carlo SE of a 0.95 coverage is
    # 0.0056.
    rng = np.random.default_rng(20240601)
    t0, reps, n = float(np.log(2.0)), 1500, 100
    hits = dict.fromkeys(("log", "log-log", "plain", "median"), 0)
    for _ in range(reps):
        ev = rng.exponential(1.0, n)
        ce = np.minimum(rng.exponential(1 / 0.3, n), 3.0)
        t, e = np.minimum(ev, ce), (ev <= ce).astype(int)
        for conf_type in ("log", "log-log", "plain"):
            km = kaplan_meier(t, e, conf_type=conf_type)  # type: ignore[arg-type]
            r = km.survival_at([t0]).iloc[0]
            hits[conf_type] += bool(r["ci_low"] <= 0.5 <= r["ci_high"])
            if conf_type == "log":
                m = km.median.iloc[0]
                upper_ok = np.isnan(m["ci_high"]) or t0 <= m["ci_high"]
                hits["median"] += bool(m["ci_low"] <= t0 and upper_ok)
    coverage = {k: v / reps for k, v in hits.items()}
    for name, cov in coverage.items():
        assert 0.93 <= cov <= 0.97, (name, cov)


@pytest.mark.slow
def test_cox_hazard_ratio_ci_coverage():
    # Two arms of 50, hazard ratio 2, exponential baseline (rate 0.5), censoring
    # exponential (mean 4) plus a cut at 3; continuous times, so Breslow and Efron
    # coincide. 800 replications (Monte Carlo SE 0.0077).
    rng = np.random.default_rng(7)
    hr, reps, n = 2.0, 800, 100
    x = np.repeat([0.0, 1.0], n // 2)
    hits = 0
    for _ in range(reps):
        ev = rng.exponential(1.0 / (0.5 * hr**x))
        ce = np.minimum(rng.exponential(4.0, n), 3.0)
        df = pd.DataFrame({"t": np.minimum(ev, ce), "e": (ev <= ce).astype(int), "x": x})
        row = cox(df, duration="t", event="e", covariates=["x"], ties="breslow").table.iloc[0]
        hits += bool(row["ci_low"] <= hr <= row["ci_high"])
    assert 0.93 <= hits / reps <= 0.97, hits / reps
