"""Raw vocabularies of the sample's exports: code variants, headers and item wording.

These are the words an NRPF team's systems write, which only the generator
knows: each canonical level's raw code variants (with the probability of each),
the raw column headers of every export and the wording of questionnaire items.
Each is defined once here; the simulation and the file writers read them from here.
Canonical levels come from :data:`noream_eval.schema.LEVELS` and instrument facts
(number of items, answer labels) from the instrument registry, not from here.
"""

from __future__ import annotations

from noream_eval.sample._common import Variants
from noream_eval.schema import LEVELS

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

# Raw headers of each export, in file order.
REFERRAL_HEADER = (
    "Referral No",
    "Family Ref",
    "LA Code",
    "Date of Referral",
    "Parent/Carer Name",
    "Parent DOB",
    "Contact Number",
    "NI Number",
    "Home Office Ref",
    "Postcode",
    "Referral Source",
    "Referral Outcome",
)
PAYMENT_HEADER = (
    "Transaction ID",
    "Date Paid",
    "Client Ref",
    "Payee Name",
    "Payee Postcode",
    "Budget Code",
    "Payment Type",
    "Amount",
)

FAMILY_HEADER = (
    "Family Ref",
    "LA Code",
    "Cohort",
    "First Contact",
    "Date Enrolled",
    "Date Closed",
    "Closure Reason",
    "Parent/Carer Name",
    "Parent DOB",
    "Phone",
    "NI Number",
    "HO Reference",
    "Postcode",
    "No. of Children",
    "Youngest Child DOB",
    "Immigration Status",
    "History Complete From",
)
DOMAIN_HEADER = (
    "Family Ref",
    "Family Name",
    "Assessment Date",
    "Review Point",
    *(DOMAIN_HEADERS[d] for d in LEVELS["domain"]),
)
WELLBEING_HEADER = (
    "Response ID",
    "Submitted At",
    "Survey",
    "Family Ref",
    "Respondent",
    "Your name (optional)",
    "Email",
    *SWEMWBS_ITEMS,
)
STAFF_HEADER = ("Name", "Email", "Job Role", "Directorate", "Wave", *STAFF_ITEMS)
MEETING_HEADER = (
    "Meeting Ref",
    "Date",
    "Meeting Type",
    "Chair",
    "Minute Taker",
    "Agencies Present",
    "Directorates Present",
    "Cases Discussed",
)
DELIVERABLE_HEADER = (
    "ID",
    "Type",
    "Title",
    "Date",
    "LA Code",
    "Attendees",
    "LAs Reached",
    "Status",
    "Lead Officer",
)
