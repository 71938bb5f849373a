"""The truth of the sample (``truth.json``): parameters, realised values, true effects,
expected counts.

:func:`build_truth` gathers the true parameters, the values realised in the clean
simulated data (before any mess), the estimand and true value of each headline
indicator (:mod:`noream_eval.sample.effects`), the canonical record counts an ingest
should recover and the per-file mess counts into one JSON-ready dict.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np

from noream_eval.sample._common import EPOCH, NO_DAY, day_of, level_codes
from noream_eval.sample.effects import true_effects
from noream_eval.sample.mess import MESS_RATES
from noream_eval.sample.world import (
    COHORTS,
    FUNNEL_STAGES,
    IMMIGRATION_LEVELS,
    PARAMETERS,
    Sites,
    cohort_codes,
    recruitment_target,
)
from noream_eval.schema import LEVELS

__all__ = ["TRUTH_FILE", "build_truth", "truth_json"]

TRUTH_FILE = "truth.json"


def _r(x: float) -> float | None:
    if x is None or not np.isfinite(x):
        return None
    return round(float(x), 6)


def _nanmean(x: np.ndarray) -> float | None:
    """Mean of the non-missing values, None when there are none."""
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    return float(x.mean()) if len(x) else None


def _ratio(a: float, b: float) -> float | None:
    if not b or not np.isfinite(a) or not np.isfinite(b):
        return None
    return _r(a / b)


def realised_values(
    fam: dict[str, np.ndarray],
    refs: dict[str, Any],
    pay: dict[str, Any],
    wb: dict[str, Any],
    dom: dict[str, Any],
    staff: dict[str, Any],
    meet: dict[str, Any],
    contacts: dict[str, Any],
    deliverables: list[dict[str, Any]],
    sites: Sites,
) -> dict[str, Any]:
    """Realised values of the clean generated data (before any mess is injected).

    Values by cohort are given for the cohorts (``comparison``; ``noream``: the families
    enrolled in NOREAM, to whom the true effects apply; ``not_enrolled``: families first
    contacted during the programme who did not enrol).
    """
    cut = day_of(PARAMETERS["dates"]["data_cut"])
    attack = day_of(PARAMETERS["history"]["cyberattack"])
    treated = fam["treated"]
    codes = cohort_codes(fam)
    cohorts = {c: codes == i for i, c in enumerate(COHORTS)}
    groups = cohorts
    out: dict[str, Any] = {}

    out["families"] = {
        "n": int(fam["n"]),
        "by_cohort": {c: int(m.sum()) for c, m in cohorts.items()},
        "enrolled": int(treated.sum()),
        "by_site": {code: int((fam["site"] == s).sum()) for s, code in enumerate(sites.codes)},
        "exit_reasons": {
            lvl: int((pay["exit_reason"] == i).sum()) for i, lvl in enumerate(pay["reason_levels"])
        }
        | {"open_at_cut": int((pay["exit_reason"] < 0).sum())},
        "immigration_status": {
            lvl: int((fam["immigration"] == i).sum()) for i, lvl in enumerate(IMMIGRATION_LEVELS)
        },
        "first_contact_range": [
            _iso(int(fam["first_contact"].min())),
            _iso(int(fam["first_contact"].max())),
        ],
    }

    ref = refs["referrals"]
    rr: dict[str, Any] = {}
    one_year = fam["first_contact"] <= cut - 365
    first_within = np.zeros(int(fam["n"]), dtype=bool)
    g1 = ref["gen"] == 1
    first_within[ref["fam"][g1 & ref["within"]]] = True
    for c, mask in groups.items():
        rmask = mask[ref["fam"]]
        n_ref = int(rmask.sum())
        n_re = int((rmask & ref["within"]).sum())
        fam_mask = mask & one_year
        rr[c] = {
            "referrals": n_ref,
            "rereferrals_within_365": n_re,
            "rereferral_rate": _ratio(n_re, n_ref),
            "families_with_365_days_follow_up": int(fam_mask.sum()),
            "family_rereferred_within_365_of_first": _ratio(
                int((first_within & fam_mask).sum()), int(fam_mask.sum())
            ),
        }
    rr["rate_ratio_referral_based"] = _ratio(
        rr["noream"]["rereferral_rate"] or 0.0, rr["comparison"]["rereferral_rate"] or 0.0
    )
    rr["rate_ratio_family_based"] = _ratio(
        rr["noream"]["family_rereferred_within_365_of_first"] or 0.0,
        rr["comparison"]["family_rereferred_within_365_of_first"] or 0.0,
    )
    rr["note"] = (
        "computed on every true referral, including those lost in the cyberattack; "
        "a referral counts as a re-referral when it follows the family's previous "
        "referral within 365 days; the ratios compare the noream (enrolled) and "
        "comparison cohorts"
    )
    out["rereferral"] = rr

    shape = PARAMETERS["escalation"]["weibull_shape"]
    t_obs = np.minimum(fam["escalation"], cut) - fam["first_contact"]
    esc: dict[str, Any] = {}
    hz = {}
    for c, mask in groups.items():
        events = int((fam["escalated"] & mask).sum())
        exposure = float((t_obs[mask].astype(float) ** shape).sum())
        hz[c] = events / exposure if exposure else float("nan")
        fm = mask & one_year
        within = fm & fam["escalated"] & (fam["escalation"] - fam["first_contact"] <= 365)
        esc[c] = {
            "families": int(mask.sum()),
            "escalated_by_cut": events,
            "person_years": _r(float(t_obs[mask].sum()) / 365.25),
            "escalated_within_365_of_first_contact": _ratio(int(within.sum()), int(fm.sum())),
            "families_with_365_days_follow_up": int(fm.sum()),
        }
    esc["hazard_ratio_weibull_known_shape"] = _ratio(hz["noream"], hz["comparison"])
    esc["note"] = (
        "hazard ratio (noream vs comparison) estimated by maximum likelihood with the "
        "Weibull shape fixed at its true value; time from first contact, censored at the "
        "data cut"
    )
    out["escalation"] = esc

    pays, eps = pay["payments"], pay["episodes"]
    s17 = pays["scheme"] == level_codes("scheme")["s17"]
    s17_out: dict[str, Any] = {
        "episodes": len(eps["fam"]),
        "families_with_two_episodes": int((eps["number"] == 2).sum()),
        "episodes_ongoing_at_cut": int(eps["ongoing"].sum()),
        "refunds": int(((pays["pence"] < 0) & s17).sum()),
        "payments": int(s17.sum()),
        "noream_grants": int((~s17).sum()),
        "noream_grants_gbp": _r(pays["pence"][~s17].sum() / 100),
    }
    for c, mask in groups.items():
        sel = s17 & mask[pays["fam"]]
        n_fam = len(np.unique(pays["fam"][sel]))
        spend = pays["pence"][sel].sum() / 100
        s17_out[c] = {
            "families_paid": n_fam,
            "spend_gbp": _r(spend),
            "spend_per_family_paid_gbp": _ratio(spend, n_fam),
        }
    closed = ~eps["ongoing"]
    s17_out["median_days_closed_episodes"] = _r(
        float(np.median(eps["last"][closed] - eps["start"][closed])) if closed.any() else np.nan
    )
    out["s17"] = s17_out

    base, fu = wb["fam_base"], wb["fam_fu"]
    pair = np.isfinite(base) & np.isfinite(fu)
    elig = np.zeros(int(fam["n"]), dtype=bool)
    elig[wb["eligible_fams"]] = True
    completers = elig & ~np.isnan(wb["lat_fu"])
    change = fu[pair] - base[pair]
    out["wellbeing"] = {
        "parent_baseline_completions": wb["n_baseline"],
        "parent_followups_due": wb["n_eligible"],
        "parent_followups_completed": wb["n_followup"],
        "attrition": _r(1 - wb["n_followup"] / wb["n_eligible"]) if wb["n_eligible"] else None,
        "complete_pairs": int(pair.sum()),
        "mean_baseline_metric_pairs": _r(float(base[pair].mean())) if pair.any() else None,
        "mean_followup_metric_pairs": _r(float(fu[pair].mean())) if pair.any() else None,
        "mean_change_metric_pairs": _r(float(change.mean())) if pair.any() else None,
        "sd_change_metric_pairs": _r(float(change.std(ddof=1))) if pair.sum() > 1 else None,
        "mean_latent_change_completers": _r(
            float((wb["lat_fu"] - wb["lat_base"])[completers].mean())
        )
        if completers.any()
        else None,
        "mean_baseline_metric_completers": _r(_nanmean(base[completers])),
        "mean_baseline_metric_dropouts": _r(_nanmean(base[elig & ~completers])),
        "child_respondents": wb["n_child"],
        "note": "metric = SWEMWBS Rasch metric score of complete questionnaires; pairs are "
        "parent/carers with complete baseline and follow-up",
    }

    domains = LEVELS["domain"]
    dmean = (
        (dom["review"] - dom["base"]).mean(axis=0)
        if dom["n_review"]
        else np.full(len(domains), np.nan)
    )
    out["domains"] = {
        "baseline_assessments": dom["n_base"],
        "review_assessments": dom["n_review"],
        "exit_assessments": dom["n_exit"],
        "mean_change_baseline_to_review": {
            d: _r(float(v)) for d, v in zip(domains, dmean, strict=True)
        },
        "mean_change_all_domains": _r(float(np.mean(dmean))) if dom["n_review"] else None,
    }

    st = staff["rows"]
    staff_out: dict[str, Any] = {"staff": staff["n"], "linked_both_waves": staff["linked"]}
    for wave, name in ((0, "wave_1"), (1, "wave_2")):
        sel = st["wave"] == wave
        staff_out[name] = {
            "responses": int(sel.sum()),
            "mean_multi_agency_items_1_4": _r(float(st["items"][sel, :4].mean()))
            if sel.any()
            else None,
            "mean_coordination_items_5_8": _r(float(st["items"][sel, 4:].mean()))
            if sel.any()
            else None,
        }
    out["staff"] = staff_out

    rows = meet["meetings"]
    snacs = [x for x in rows if x["kind"] == 0]
    discussed = set()
    for x in rows:
        discussed.update(x["cases"].tolist())
    enrolled_by_cut = int((treated & (fam["enrolled"] <= cut)).sum())
    early = [len(x["dirs"]) for x in snacs if x["frac"] <= 0.34]
    late = [len(x["dirs"]) for x in snacs if x["frac"] >= 0.66]
    out["meetings"] = {
        "snac_planned": meet["snac_planned"],
        "snac_held": meet["snac_held"],
        "snac_missed_months": meet["missed"] if sites.n <= 5 else {},
        "case_consultations": len(rows) - len(snacs),
        "meeting_cases": int(sum(len(x["cases"]) for x in rows)),
        "families_discussed": len(discussed),
        "share_enrolled_families_discussed": _ratio(len(discussed), enrolled_by_cut),
        "mean_agencies_per_snac": _r(float(np.mean([len(x["agencies"]) for x in snacs])))
        if snacs
        else None,
        "mean_directorates_per_snac_first_third": _r(float(np.mean(early))) if early else None,
        "mean_directorates_per_snac_last_third": _r(float(np.mean(late))) if late else None,
        "sites": _meeting_sites(rows, sites),
    }
    out["funnel"] = _funnel(fam, wb, dom, n_sites=sites.n)
    out["complex"] = _complex(fam, rows, meet)
    out["contacts"] = _contacts(contacts)

    kinds = [x["kind"] for x in deliverables]
    out["deliverables"] = {
        "by_kind": {k: kinds.count(k) for k in LEVELS["deliverable_kind"]},
        "manual_published": next(_iso(x["date"]) for x in deliverables if x["kind"] == "manual"),
        "training_attendees": int(sum(x["attendees"] or 0 for x in deliverables)),
        "training_sessions_delivered": sum(
            1 for x in deliverables if x["kind"] == "training_session" and x["status"] == "complete"
        ),
        "training_las_reached": int(
            sum(x["las"] or 0 for x in deliverables if x["kind"] == "training_session")
        ),
        "working_papers_published": sum(
            1 for x in deliverables if x["kind"] == "working_paper" and x["status"] == "published"
        ),
        "map_strategies_published": sum(
            1 for x in deliverables if x["kind"] == "map_strategy" and x["status"] == "published"
        ),
    }

    before = fam["first_contact"] < attack
    lost = refs["history_lost"]
    out["history"] = {
        "families_first_contact_before_cyberattack": int(before.sum()),
        "families_history_lost": int(lost.sum()),
        "share_lost": _ratio(int(lost.sum()), int(before.sum())),
        "referrals_lost": int((~ref["exported"]).sum()),
        "referrals_exported": int(ref["exported"].sum()),
    }
    return out


def _meeting_sites(rows: list[dict[str, Any]], sites: Sites) -> dict[str, int]:
    """Meetings by the LA code of their site (sites without meetings left out)."""
    counts: dict[str, int] = {}
    for x in rows:
        code = sites.codes[x["site"]]
        counts[code] = counts.get(code, 0) + 1
    return dict(sorted(counts.items()))


def _month(day: int) -> str:
    d = EPOCH + dt.timedelta(days=int(day))
    return f"{d.year}-{d.month:02d}"


def _funnel(
    fam: dict[str, np.ndarray], wb: dict[str, Any], dom: dict[str, Any], *, n_sites: int
) -> dict[str, Any]:
    """The NOREAM cohort from referral to follow-up, stage by stage."""
    cohort = fam["noream"]
    ecode = level_codes("eligibility")
    reasons = (*LEVELS["not_enrolled_reason"], "unknown")
    enrolled = fam["treated"]
    not_enrolled = cohort & ~enrolled
    by_month: dict[str, int] = {}
    for day in np.sort(fam["enrolled"][enrolled]):
        key = _month(int(day))
        by_month[key] = by_month.get(key, 0) + 1
    target = recruitment_target(int(fam["n"]))
    baseline = np.zeros(int(fam["n"]), dtype=bool)
    rows = wb["rows"]
    baseline[rows["fam"][(rows["timepoint"] == 0) & (rows["respondent"] == 0)]] = True
    baseline_domains = np.zeros(int(fam["n"]), dtype=bool)
    baseline_domains[dom["rows"]["fam"][dom["rows"]["timepoint"] == 0]] = True
    assessed = cohort & (fam["assessed"] != NO_DAY)
    return {
        "referred": int(cohort.sum()),
        "eligibility_assessed": int(assessed.sum()),
        "eligible": int((cohort & (fam["eligibility"] == ecode["eligible"])).sum()),
        "not_eligible": int((cohort & (fam["eligibility"] == ecode["not_eligible"])).sum()),
        "offered": int((cohort & (fam["offered"] != NO_DAY)).sum()),
        "enrolled": int(enrolled.sum()),
        "baseline_wellbeing": int(baseline.sum()),
        "baseline_domains": int(baseline_domains.sum()),
        "baseline_either": int((baseline | baseline_domains).sum()),
        "wellbeing_followups_due": wb["n_eligible"],
        "wellbeing_followups_completed": wb["n_followup"],
        "not_enrolled_reasons": {
            r: int((not_enrolled & (fam["not_enrolled_reason"] == i)).sum())
            for i, r in enumerate(reasons)
        },
        "left_at_stage": {
            name: int((fam["stage"] == i).sum()) for i, name in enumerate(FUNNEL_STAGES)
        },
        "share_assessed": _ratio(int(assessed.sum()), int(cohort.sum())),
        "share_enrolled_of_referred": _ratio(int(enrolled.sum()), int(cohort.sum())),
        "enrolled_by_month": by_month,
        "recruitment_target_per_month": target,
        "months_at_or_above_target": sum(v >= target for v in by_month.values()),
        "note": "referred = families of the NOREAM cohort; each stage counts the families "
        "that reached it; baseline_wellbeing = enrolled families with a parent/carer "
        "baseline SWEMWBS; wellbeing follow-ups are due when the follow-up window closed "
        "before the data cut. The recruitment target applies to the whole sample "
        f"({n_sites} site(s))",
    }


def _complex(
    fam: dict[str, np.ndarray], rows: list[dict[str, Any]], meet: dict[str, Any]
) -> dict[str, Any]:
    """Complex cases flagged and discussed at a meeting after their flag."""
    flag = fam["complex_flag"]
    flagged = flag != NO_DAY
    after = np.zeros(int(fam["n"]), dtype=bool)
    for x in rows:
        cases = x["cases"]
        if len(cases):
            after[cases[(flag[cases] != NO_DAY) & (flag[cases] < x["day"])]] = True
    n_flagged = int(flagged.sum())
    return {
        "flagged": n_flagged,
        "share_of_enrolled_flagged": _ratio(n_flagged, int(fam["treated"].sum())),
        "discussed_after_flag": int(after.sum()),
        "share_discussed_after_flag": _ratio(int(after.sum()), n_flagged),
        "taken_to_a_meeting": meet.get("complex", {}).get("taken", 0),
        "cases_added_to_meetings": meet.get("complex", {}).get("added", 0),
        "note": "discussed after flag = the family is a case of a SNAC or case "
        "consultation held after its flag date",
    }


def _contacts(contacts: dict[str, Any]) -> dict[str, Any]:
    """Dosage and fidelity of the contacts with enrolled families."""
    n = len(contacts["fam"])
    months = float(contacts["months"].sum())
    roles = LEVELS["worker_role"]
    modes = LEVELS["contact_mode"]
    adv = contacts["role"] == roles.index("immigration_advisor")
    fams = contacts["families"]
    with_contact = contacts["count"] > 0
    seen = np.isin(fams, contacts["fam"][adv])
    return {
        "contacts": n,
        "enrolled_families": len(fams),
        "families_with_contacts": int(with_contact.sum()),
        "family_months_on_programme": _r(months),
        "contacts_per_family_month": _ratio(n, months),
        "families_seen_by_immigration_advisor": int(seen.sum()),
        "share_seen_by_immigration_advisor": _ratio(int(seen.sum()), len(fams)),
        "share_seen_by_immigration_advisor_of_families_with_contacts": _ratio(
            int(seen.sum()), int(with_contact.sum())
        ),
        "by_role": {r: int((contacts["role"] == i).sum()) for i, r in enumerate(roles)},
        "by_mode": {m: int((contacts["mode"] == i).sum()) for i, m in enumerate(modes)},
        "note": "months on the programme from enrolment to exit or the data cut (days / "
        "30.4375); shares of all enrolled families unless said otherwise",
    }


def _iso(day: int) -> str | None:
    if day == NO_DAY:
        return None
    return (EPOCH + dt.timedelta(days=int(day))).isoformat()


def jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [jsonable(v) for v in x]
    if isinstance(x, bool | np.bool_):
        return bool(x)
    if isinstance(x, int | np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        return _r(float(x))
    return x


def build_truth(
    *,
    seed: int,
    key: str,
    sites: Sites,
    fam: dict[str, np.ndarray],
    refs: dict[str, Any],
    pay: dict[str, Any],
    wb: dict[str, Any],
    dom: dict[str, Any],
    staff: dict[str, Any],
    meet: dict[str, Any],
    contacts: dict[str, Any],
    deliverables: list[dict[str, Any]],
    mess: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """The content of ``truth.json`` (JSON-ready: plain types, floats rounded).

    Keys: ``seed``, ``n_families``, ``n_sites``, ``sites``, ``parameters``,
    ``mess_rates``, ``realised``, ``effects`` (the estimand and true value of each
    headline indicator, :func:`~noream_eval.sample.effects.true_effects`), ``expected``,
    ``mess`` and ``key``.
    """
    n = int(fam["n"])
    realised = realised_values(fam, refs, pay, wb, dom, staff, meet, contacts, deliverables, sites)
    effects = true_effects(fam=fam, realised_s17=realised["s17"], n_sites=sites.n)
    expected = {
        "families": n,
        "referrals": int(refs["referrals"]["exported"].sum()),
        "payments": len(pay["payments"]["fam"]),
        "domain_assessments": len(dom["rows"]["fam"]),
        "domain_scores": len(LEVELS["domain"]) * len(dom["rows"]["fam"])
        - mess["domain_assessments.csv"]["out_of_range_scores"],
        "wellbeing_completions": len(wb["rows"]["fam"]),
        "wellbeing_items": int((wb["rows"]["items"] > 0).sum()),
        "staff_completions": len(staff["rows"]["staff"]),
        "staff_items": int((staff["rows"]["items"] > 0).sum()),
        "meetings": len(meet["meetings"]),
        "meeting_cases": realised["meetings"]["meeting_cases"],
        "contacts": len(contacts["fam"]),
        "deliverables": len(deliverables),
    }
    truth = {
        "seed": seed,
        "n_families": n,
        "n_sites": sites.n,
        "sites": sites.codes,
        "parameters": PARAMETERS,
        "mess_rates": MESS_RATES,
        "realised": realised,
        "effects": effects,
        "expected": expected,
        "mess": mess,
        "key": key,
    }
    return jsonable(truth)


def truth_json(truth: dict[str, Any]) -> str:
    """``truth.json`` text: sorted keys, two-space indent, a final newline."""
    return json.dumps(truth, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
