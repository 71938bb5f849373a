"""The generator takes canonical levels and instrument facts from their one place.

Canonical levels come from ``noream_eval.schema.LEVELS``; instrument facts (number of
items, answer labels, the SWEMWBS metric table) from the registry
``noream_eval/instruments.toml``. The raw vocabularies only the generator knows (code
variants, headers, item wording) live in ``noream_eval.sample.vocab``.
"""

from __future__ import annotations

import csv
import io
import pathlib
import re

import pytest

from noream_eval.config import load_instruments
from noream_eval.sample import vocab, world
from noream_eval.sample._common import answer_labels
from noream_eval.sample.generate import generate_sample
from noream_eval.schema import LEVELS, UNKNOWN

SAMPLE_PACKAGE = pathlib.Path(world.__file__).parent

# Each variant table of vocab and the LEVELS entry its keys must come from.
VARIANT_LEVELS = {
    "SOURCE": "referral_source",
    "OUTCOME": "referral_outcome",
    "COHORT": "cohort",
    "EXIT": "exit_reason",
    "IMMIGRATION": "immigration_status",
    "TIMEPOINT_DA": "timepoint",
    "TIMEPOINT_WB": "timepoint",
    "RESPONDENT": "respondent",
    "WAVE": "timepoint",
    "DIRECTORATE": "directorate",
    "AGENCY": "agency",
    "ELIGIBILITY": "eligibility",
    "NOT_ENROLLED": "not_enrolled_reason",
    "WORKER_ROLE": "worker_role",
    "CONTACT_MODE": "contact_mode",
}


@pytest.mark.parametrize(("name", "levels"), sorted(VARIANT_LEVELS.items()))
def test_variant_keys_are_canonical_levels(name: str, levels: str) -> None:
    variants = getattr(vocab, name)
    assert set(variants) <= {*LEVELS[levels], UNKNOWN}
    for raw, probs in variants.values():
        assert len(raw) == len(probs) and abs(sum(probs) - 1) < 1e-9


def test_levels_the_generator_draws_are_the_schema_levels() -> None:
    assert sorted(world.COHORTS) == sorted(LEVELS["cohort"])
    assert world.IMMIGRATION_LEVELS == (*LEVELS["immigration_status"], UNKNOWN)
    assert set(world.IMMIGRATION_PROBS) == set(world.IMMIGRATION_LEVELS)
    assert set(vocab.DOMAIN_HEADERS) == set(LEVELS["domain"])
    assert set(world.PARAMETERS["domains"]["baseline_mean"]) == set(LEVELS["domain"])
    for key in ("reasons_comparison", "reasons_noream", "reasons_after_s17"):
        assert set(world.PARAMETERS["closure"][key]) <= set(LEVELS["exit_reason"])
    for key in ("directorate_prob_start", "directorate_prob_end"):
        assert set(world.PARAMETERS["meetings"][key]) <= set(LEVELS["directorate"])
    reasons = world.PARAMETERS["funnel"]["not_enrolled_reasons"]
    assert tuple(reasons) == world.FUNNEL_STAGES
    for probs in reasons.values():
        assert set(probs) <= {*LEVELS["not_enrolled_reason"], UNKNOWN}
        assert sum(probs.values()) == pytest.approx(1)
    contacts = world.PARAMETERS["contacts"]
    assert set(contacts["other_roles"]) <= set(LEVELS["worker_role"]) - {"immigration_advisor"}
    for key in ("modes_advisor", "modes_other"):
        assert set(contacts[key]) <= set(LEVELS["contact_mode"])


def test_questionnaires_match_the_registry() -> None:
    registry = load_instruments()
    swemwbs = registry[world.WELLBEING_INSTRUMENT]
    staff = registry[world.STAFF_INSTRUMENT]
    assert len(vocab.SWEMWBS_ITEMS) == swemwbs.n_items
    assert len(vocab.STAFF_ITEMS) == staff.n_items
    assert len(world.PARAMETERS["staff"]["item_effects"]) == staff.n_items
    assert answer_labels(world.STAFF_INSTRUMENT) == tuple(
        sorted(staff.anchors, key=staff.anchors.__getitem__)
    )


@pytest.mark.parametrize(
    "fact",
    [
        "9.51",  # an entry of the SWEMWBS metric conversion table
        "None of the time",  # a SWEMWBS answer label
        "Strongly disagree",  # a staff-survey answer label
        "education_training_leisure",  # a canonical domain, outside a value map
    ],
)
def test_generator_holds_no_copy_of_registry_or_schema_facts(fact: str) -> None:
    for path in sorted(SAMPLE_PACKAGE.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        if fact == "education_training_leisure":
            # a canonical level may appear as a key of a mapping from it, never in a list
            text = re.sub(r'"education_training_leisure": ', "", text)
        assert fact not in text, path.name


def test_survey_answers_use_the_registry_labels(tmp_path: pathlib.Path) -> None:
    out = generate_sample(tmp_path / "s", n_families=60)
    registry = load_instruments()
    for name, instrument, items, encoding in (
        ("wellbeing_survey.csv", world.WELLBEING_INSTRUMENT, vocab.SWEMWBS_ITEMS, "utf-8"),
        ("staff_survey.csv", world.STAFF_INSTRUMENT, vocab.STAFF_ITEMS, "cp1252"),
    ):
        labels = {re.sub(r"\W", "", a).lower() for a in registry[instrument].anchors}
        rows = list(csv.DictReader(io.StringIO((out / name).read_bytes().decode(encoding))))
        answers = {re.sub(r"\W", "", r[item]).lower() for r in rows for item in items}
        assert answers - {""} == labels, name
