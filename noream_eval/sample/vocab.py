"""Raw vocabularies of the sample's exports: code variants, domain headers, item wording.

These are the words an NRPF team's systems write, which only the generator
knows: each canonical level's raw code variants (with the probability of each),
the raw column headers of the support domains and the wording of questionnaire
items. Each is defined once here; the simulation, the file writers and the value
maps of ``evaluation.toml`` (:mod:`noream_eval.sample.profiles`) read them from here.
Canonical levels come from :data:`noream_eval.schema.LEVELS` and instrument facts
(number of items, answer labels) from the instrument registry, not from here.
"""

from __future__ import annotations

from noream_eval.sample._common import Variants
from noream_eval.schema import UNKNOWN

# Raw column header of each support domain (LEVELS["domain"]) in the domain assessments.
DOMAIN_HEADERS: dict[str, str] = {
    "immigration": "Immigration",
    "health_wellbeing": "Health & Wellbeing",
    "housing": "Housing",
    "food_security": "Food Security",
    "income_employment": "Income & Employment",
    "education_training_leisure": "Education, Training & Leisure",
    "support_network": "Support Network",
}
# Questionnaire items as worded in the survey exports (item 1 first).
SWEMWBS_ITEMS = (
    "I've been feeling optimistic about the future",
    "I've been feeling useful",
    "I've been feeling relaxed",
    "I've been dealing with problems well",
    "I've been thinking clearly",
    "I've been feeling close to other people",
    "I've been able to make up my own mind about things",
)
STAFF_ITEMS = (
    "Q1 Agencies share information about NRPF families",
    "Q2 I know who to contact in other agencies",
    "Q3 Joint working with partners resolves cases faster",
    "Q4 Partner agencies understand NRPF",
    "Q5 Council directorates work together on NRPF cases",
    "Q6 I can get advice from other directorates when needed",
    "Q7 Decisions on NRPF cases are coordinated across the council",
    "Q8 Responsibilities between directorates are clear",
)
# Raw code variants: canonical level -> (raw variants, probabilities).
SOURCE: Variants = {
    "health": (("GP", "Health Visitor", "Hospital", "NHS", "Midwife"), (0.3, 0.25, 0.2, 0.15, 0.1)),
    "education": (("School", "Nursery", "Education"), (0.6, 0.25, 0.15)),
    "voluntary_sector": (
        ("Charity", "Voluntary Sector", "VCS", "Food bank"),
        (0.35, 0.3, 0.15, 0.2),
    ),
    "self": (("Self referral", "Self-referral"), (0.6, 0.4)),
    "housing": (("Housing", "Housing Needs"), (0.5, 0.5)),
    "legal": (("Solicitor", "Legal"), (0.7, 0.3)),
    "police": (("Police",), (1.0,)),
    "other_la_service": (("Adult Social Care", "Other LA service"), (0.5, 0.5)),
}
OUTCOME: Variants = {
    "nfa": (("NFA", "No further action"), (0.7, 0.3)),
    "signposted": (("Signposted", "Signposting"), (0.7, 0.3)),
    "early_action": (("Early action", "NOREAM", "Early Help"), (0.5, 0.35, 0.15)),
    "s17_assessment": (("S17", "Section 17", "s.17 assessment"), (0.5, 0.3, 0.2)),
    "other": (("Other",), (1.0,)),
}
COHORT: Variants = {
    "comparison": (("Comparison", "Pre-pilot"), (0.85, 0.15)),
    "noream": (("NOREAM", "Pilot"), (0.85, 0.15)),
    "not_enrolled": (("Referred - not enrolled", "Not enrolled"), (0.85, 0.15)),
}
EXIT: Variants = {
    "status_resolved": (
        ("Status resolved", "Leave granted", "Recourse to public funds"),
        (0.5, 0.3, 0.2),
    ),
    "moved_away": (("Moved out of borough", "Moved away"), (0.6, 0.4)),
    "disengaged": (("Disengaged", "No contact"), (0.7, 0.3)),
    "escalated_s17": (("Escalated to s17", "Stepped up to s.17"), (0.7, 0.3)),
    "other": (("Other",), (1.0,)),
}
IMMIGRATION: Variants = {
    "no_leave": (("No leave", "Visa overstayer", "Undocumented"), (0.5, 0.3, 0.2)),
    "leave_nrpf_condition": (
        ("Leave with NRPF", "LTR NRPF", "Limited leave (NRPF condition)"),
        (0.4, 0.35, 0.25),
    ),
    "asylum_pending": (("Asylum seeker", "Asylum claim pending"), (0.5, 0.5)),
    "eea": (("EEA national", "EU pre-settled status"), (0.5, 0.5)),
    "leave_with_recourse": (("Leave with recourse",), (1.0,)),
    "other": (("Other",), (1.0,)),
    "unknown": (("",), (1.0,)),
}
ELIGIBILITY: Variants = {
    "eligible": (("Eligible", "Yes"), (0.8, 0.2)),
    "not_eligible": (("Not eligible", "Ineligible", "No"), (0.6, 0.25, 0.15)),
    "unknown": (("",), (1.0,)),
}
NOT_ENROLLED: Variants = {
    "declined": (("Declined", "Family declined"), (0.6, 0.4)),
    "not_eligible": (("Not eligible", "Did not meet criteria"), (0.7, 0.3)),
    "no_capacity": (("No capacity", "Caseload full"), (0.6, 0.4)),
    "moved_away": (("Moved away", "Moved out of borough"), (0.5, 0.5)),
    "other": (("Other",), (1.0,)),
    "unknown": (("",), (1.0,)),
}
WORKER_ROLE: Variants = {
    "social_worker": (("SW", "Social Worker", "Snr Practitioner"), (0.45, 0.4, 0.15)),
    "immigration_advisor": (
        ("IA", "Imm Adv", "Immigration Advisor", "OISC adviser"),
        (0.3, 0.25, 0.3, 0.15),
    ),
    "housing_support_worker": (("HSW", "Housing Support", "Housing Officer"), (0.4, 0.4, 0.2)),
    "other": (("Other", "Family Support Worker"), (0.5, 0.5)),
}
CONTACT_MODE: Variants = {
    "face_to_face": (("F2F", "Face to face", "Home visit", "Office visit"), (0.3, 0.3, 0.25, 0.15)),
    "phone": (("Phone", "Tel", "Telephone call"), (0.5, 0.25, 0.25)),
    "video": (("Video", "Teams", "Zoom"), (0.4, 0.4, 0.2)),
    "other": (("Other", "Email"), (0.5, 0.5)),
}
TIMEPOINT_DA: Variants = {
    "baseline": (("Baseline", "Initial"), (0.75, 0.25)),
    "review": (("Review", "6 month review"), (0.5, 0.5)),
    "exit": (("Exit", "Closing"), (0.7, 0.3)),
}
TIMEPOINT_WB: Variants = {
    "baseline": (("Baseline", "Start"), (0.7, 0.3)),
    "review": (("Follow-up", "Follow up (6 months)"), (0.6, 0.4)),
}
RESPONDENT: Variants = {
    "parent_carer": (("Parent", "Parent/carer", "Carer"), (0.5, 0.35, 0.15)),
    "child": (("Young person", "Child"), (0.7, 0.3)),
}
WAVE: Variants = {
    "baseline": (("Wave 1", "Baseline"), (0.85, 0.15)),
    "review": (("Wave 2", "Follow-up"), (0.85, 0.15)),
}
DIRECTORATE: Variants = {
    "childrens_services": (("Children and Families", "Children's Services"), (0.6, 0.4)),
    "adult_services": (("Adult Social Care", "Adults, Health and Integration"), (0.6, 0.4)),
    "housing": (("Housing",), (1.0,)),
    "public_health": (("Public Health",), (1.0,)),
    "education": (("Education",), (1.0,)),
    "finance": (("Finance",), (1.0,)),
    "community_safety": (("Community Safety",), (1.0,)),
}
AGENCY: Variants = {
    "childrens_social_care": (("CSC", "Children's Social Care"), (0.6, 0.4)),
    "adult_social_care": (("ASC", "Adult Social Care"), (0.5, 0.5)),
    "housing": (("Housing", "Housing Needs"), (0.6, 0.4)),
    "health": (("Health", "NHS", "GP"), (0.5, 0.3, 0.2)),
    "education": (("School", "Education"), (0.5, 0.5)),
    "immigration_advice": (("Immigration advisor", "Immigration adviser"), (0.6, 0.4)),
    "legal": (("Law centre", "Legal"), (0.6, 0.4)),
    "police": (("Police",), (1.0,)),
    "voluntary_sector": (("Voluntary sector", "Charity"), (0.6, 0.4)),
    "public_health": (("Public Health",), (1.0,)),
    "welfare_benefits": (("Welfare rights",), (1.0,)),
}
MEETING_KIND: Variants = {
    "snac": (("SNAC", "Statutory Neglect Assessment Conference"), (0.8, 0.2)),
    "case_consultation": (("Case consultation", "Consultation"), (0.7, 0.3)),
}
PAYMENT_TYPE: Variants = {
    "accommodation": (("Accommodation", "B&B", "Rent"), (0.6, 0.2, 0.2)),
    "subsistence": (("Subsistence", "Weekly subsistence"), (0.7, 0.3)),
    "grant": (("Flexi grant", "Grant"), (0.6, 0.4)),
    "other": (("Other",), (1.0,)),
}
# Budget codes of the schemes: s17 codes changed when the finance system was rebuilt
# after the cyberattack.
S17_CODES_BEFORE_ATTACK = (("S17", "Section 17"), (0.7, 0.3))
S17_CODES_AFTER_ATTACK = (("CSC S17 NRPF", "s.17 support", "Section 17"), (0.75, 0.15, 0.1))
NOREAM_GRANT_CODES = (("NOREAM Flexi Grant", "NOREAM grant", "Flexible grant"), (0.7, 0.2, 0.1))
#: Every budget code of each scheme (LEVELS["scheme"]).
SCHEME_CODES: dict[str, tuple[str, ...]] = {
    "s17": tuple(dict.fromkeys(S17_CODES_BEFORE_ATTACK[0] + S17_CODES_AFTER_ATTACK[0])),
    "noream_grant": NOREAM_GRANT_CODES[0],
}
# Deliverable types and statuses: canonical level -> raw variants (equally likely).
DELIVERABLE_KIND: dict[str, tuple[str, ...]] = {
    "manual": ("Manual", "Practice manual"),
    "training_session": ("Training", "Training session"),
    "working_paper": ("Working paper", "Article"),
    "map_strategy": ("MAP strategy", "Migrant Aware Practice strategy"),
}
DELIVERABLE_STATUS: dict[str, tuple[str, ...]] = {
    "published": ("Published",),
    "complete": ("Delivered", "Complete"),
    "in_progress": ("In progress", "Drafting"),
    "planned": ("Planned",),
}
#: Job roles of the staff: (raw role, canonical role of LEVELS["staff_role"]), by role code.
STAFF_ROLES: tuple[tuple[str, str], ...] = (
    ("Social Worker", "social_worker"),
    ("Senior Practitioner", "social_worker"),
    ("Team Manager", "manager"),
    ("Service Manager", "manager"),
    ("Immigration Advisor", "immigration_advisor"),
    ("Immigration Adviser", "immigration_advisor"),
    ("Housing Support Worker", "housing_support"),
    ("Other", "other"),
)
# Raw codes the value maps know although the sample never writes them (a real export may).
SOURCE_NOT_WRITTEN = {"Other": UNKNOWN}
TIMEPOINT_WB_NOT_WRITTEN = {"Exit": "exit"}
