"""Generate a seeded synthetic NRPF local authority with known true effects.

:func:`generate_sample` writes the raw exports an NRPF team would hand to an
evaluator, in exactly the layout described by the shipped ``evaluation.toml``
(source profiles: file names, sheets, header rows, raw headers and raw codes),
plus ``truth.json`` (true parameters, realised values and every injected data
problem, counted per file) and a ``README.md`` built from the same numbers.

The story
---------
A London borough's NRPF team (Hackney, ONS code E09000012) exports its records on
30 June 2022. Families first referred in 2018-2020 under usual practice form the
comparison cohort; families referred from early 2021 to March 2022 form the NOREAM
cohort: they are assessed for eligibility and offered the programme, and a little
under half of them enrol. NOREAM makes re-referrals of enrolled families rarer and
later (true rate ratio 0.7) and escalation to section 17 support less likely (true
hazard ratio 0.6), and parent/carer wellbeing (SWEMWBS) rises by about 2 metric
points in six months. Enrolled families are seen by social workers, housing support
workers and the immigration advisor; about a third are flagged as complex cases,
most of which are then taken to a SNAC or case consultation. The council lost its
case system in a cyberattack on 13 October 2020, so part of the older referral
history is missing.

Everything is drawn from ``numpy.random.default_rng(seed)`` and the output is
byte-for-byte reproducible for a given seed, number of families and sites.

The work is split by job: :mod:`~noream_eval.sample.world` simulates the clean
world, :mod:`~noream_eval.sample.mess` injects the data problems,
:mod:`~noream_eval.sample.files` renders and writes the exports (with the text forms
of values in :mod:`~noream_eval.sample.formats`, the raw vocabularies in
:mod:`~noream_eval.sample.vocab` and the layout of each export in
:mod:`~noream_eval.sample.profiles`, which also renders ``evaluation.toml``),
:mod:`~noream_eval.sample.truth` builds ``truth.json`` (with the true values of the
headline indicators from :mod:`~noream_eval.sample.effects`) and
:mod:`~noream_eval.sample.readme` the README. This module orchestrates them.
"""

from __future__ import annotations

import pathlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from noream_eval.sample import files
from noream_eval.sample.mess import MESS_RATES, tally
from noream_eval.sample.profiles import CONFIG_FILE, EXPORTS, KEY_FILE, evaluation_toml
from noream_eval.sample.readme import README_FILE, readme_text
from noream_eval.sample.truth import TRUTH_FILE, build_truth, truth_json
from noream_eval.sample.world import (
    DEFAULT_FAMILIES,
    PARAMETERS,
    People,
    Sites,
    combine_payments,
    combine_referrals,
    discuss_complex_cases,
    family_part,
    funnel_sizes,
    simulate_complex,
    simulate_contacts,
    simulate_deliverables,
    simulate_domains,
    simulate_families,
    simulate_funnel,
    simulate_meetings,
    simulate_payments,
    simulate_referrals,
    simulate_staff,
    simulate_wellbeing,
)

__all__ = [
    "DEFAULT_FAMILIES",
    "DEFAULT_SEED",
    "DEMO_KEY",
    "MESS_RATES",
    "PARAMETERS",
    "generate_sample",
    "simulate_world",
]

#: Seed of the shipped sample (the NOREAM programme start, 1 February 2021).
DEFAULT_SEED = 20210201

#: Pseudonymisation key of the synthetic sample. Documented and not secret.
DEMO_KEY = "noream-eval-demo-key-not-secret"

# One independent random stream per job; a new stream goes last, so that no other changes.
_STREAMS = (
    "families",
    "payments",
    "referrals",
    "wellbeing",
    "domains",
    "staff",
    "meetings",
    "deliverables",
    "mess_families",
    "mess_referrals",
    "mess_payments",
    "mess_domains",
    "mess_wellbeing",
    "mess_staff",
    "mess_meetings",
    "mess_deliverables",
    "funnel",
    "funnel_payments",
    "funnel_referrals",
    "complex",
    "contacts",
    "mess_contacts",
)
_OUTPUT_OTHER = (CONFIG_FILE, KEY_FILE, TRUTH_FILE, README_FILE)


def _streams(seed: int, names: Sequence[str]) -> dict[str, np.random.Generator]:
    """Independent child generators of ``default_rng(seed)``, one per name, in order."""
    children = np.random.default_rng(seed).spawn(len(names))
    return dict(zip(names, children, strict=True))


def _prepare_dir(out_dir: pathlib.Path, force: bool) -> None:
    if out_dir.exists():
        if not out_dir.is_dir():
            raise FileExistsError(f"{out_dir} exists and is not a directory.")
        if any(out_dir.iterdir()):
            if not force:
                raise FileExistsError(
                    f"{out_dir} is not empty. Choose an empty or new directory, or pass "
                    "force=True (--force on the command line) to overwrite the sample files in it."
                )
            for path in out_dir.iterdir():
                if path.is_file() and (
                    path.name in _OUTPUT_OTHER or any(e.is_file(path.name) for e in EXPORTS)
                ):
                    path.unlink()
    out_dir.mkdir(parents=True, exist_ok=True)


def generate_sample(
    out_dir: str | pathlib.Path,
    *,
    seed: int = DEFAULT_SEED,
    n_families: int | None = None,
    n_sites: int = 1,
    force: bool = False,
) -> pathlib.Path:
    """Write a synthetic, messy NRPF local-authority export with known true effects.

    Parameters
    ----------
    out_dir
        Directory to write into; created if missing.
    seed
        Seed of ``numpy.random.default_rng``; the same seed, size and number of sites
        give byte-for-byte identical files.
    n_families
        Number of families (default 411: 150 comparison and 261 referred during the
        programme, of whom 120 enrolled). About 37% are in the comparison cohort, 29%
        enrolled in NOREAM and 34% referred during the programme but not enrolled.
    n_sites
        Number of local authorities. The first is Hackney (E09000012); with more than
        one site each gets its own ``referrals_<LA code>.xlsx`` workbook.
    force
        Overwrite the sample files in a non-empty ``out_dir`` (other files are kept).

    Returns
    -------
    pathlib.Path
        The output directory, holding the raw exports named in ``evaluation.toml``
        (``referrals*.xlsx``, ``families.csv``, ``payments.csv``,
        ``domain_assessments.csv``, ``wellbeing_survey.csv``, ``staff_survey.csv``,
        ``meetings.csv``, ``contacts.csv``, ``deliverables.csv``), a copy of
        ``evaluation.toml``,
        ``demo.key``, ``truth.json`` and ``README.md``.

    Raises
    ------
    FileExistsError
        If ``out_dir`` is not empty and ``force`` is false.
    ValueError
        If ``n_families`` or ``n_sites`` is not positive.

    Notes
    -----
    ``truth.json`` has the keys ``seed``, ``n_families``, ``n_sites``, ``parameters``
    (the true data-generating parameters, :data:`PARAMETERS`), ``realised`` (values
    computed on the clean data before mess), ``effects`` (the estimand and true value of
    each headline indicator, :mod:`noream_eval.sample.effects`), ``expected`` (canonical
    record counts an ingest should recover), ``mess`` (per file: ``rows_written`` = data
    rows below the header including blank and Total rows, ``clean_rows``, ``exact_duplicates``,
    ``near_duplicates``, ``blank_rows``, ``total_rows``, ``invalid_rows`` and counts of
    each injected problem) and ``key``. For every file
    ``rows_written = clean_rows + exact_duplicates + near_duplicates + blank_rows +
    total_rows + invalid_rows``.

    Examples
    --------
    >>> from noream_eval.sample.generate import generate_sample
    >>> path = generate_sample("out/sample", force=True)  # doctest: +SKIP
    """
    if n_families is not None and n_families < 1:
        raise ValueError(f"n_families must be positive, got {n_families}.")
    if n_sites < 1:
        raise ValueError(f"n_sites must be positive, got {n_sites}.")
    n = DEFAULT_FAMILIES if n_families is None else int(n_families)
    out = pathlib.Path(out_dir)
    _prepare_dir(out, force)

    world = simulate_world(seed, n, n_sites)
    rng, sites, people = world["rng"], world["sites"], world["people"]
    fam, pay, refs, wb, dom = (world[k] for k in ("fam", "pay", "refs", "wb", "dom"))
    staff, meet, deliverables, contacts = (
        world[k] for k in ("staff", "meet", "deliverables", "contacts")
    )
    width = max(5, len(str(int(fam["number"].max()) if n else 0)))

    # The raw exports, each with its mess.
    counts: dict[str, dict[str, int]] = {}
    counts |= files.write_families(
        out, rng["mess_families"], fam, pay, refs["history_lost"], sites, people, width
    )
    counts |= files.write_referrals(out, rng["mess_referrals"], fam, refs, sites, people, width)
    counts |= files.write_payments(out, rng["mess_payments"], fam, pay, people, width, n_sites)
    counts |= files.write_domain_assessments(out, rng["mess_domains"], fam, dom, people, width)
    counts |= files.write_wellbeing_survey(out, rng["mess_wellbeing"], fam, wb, people, width)
    counts |= files.write_staff_survey(out, rng["mess_staff"], staff, sites)
    counts |= files.write_meetings(out, rng["mess_meetings"], fam, meet, sites, staff, width)
    counts |= files.write_contacts(out, rng["mess_contacts"], fam, contacts, staff, width, n_sites)
    counts |= files.write_deliverables(out, rng["mess_deliverables"], deliverables)

    # What is known about them.
    truth = build_truth(
        seed=seed,
        key=DEMO_KEY,
        sites=sites,
        fam=fam,
        refs=refs,
        pay=pay,
        wb=wb,
        dom=dom,
        staff=staff,
        meet=meet,
        contacts=contacts,
        deliverables=deliverables,
        mess=tally(counts),
    )
    (out / TRUTH_FILE).write_bytes(truth_json(truth).encode("utf-8"))
    (out / CONFIG_FILE).write_bytes(evaluation_toml(n).encode("utf-8"))
    (out / KEY_FILE).write_bytes((DEMO_KEY + "\n").encode("ascii"))
    names = sorted([*counts, *_OUTPUT_OTHER])
    (out / README_FILE).write_bytes(readme_text(truth, names).encode("utf-8"))
    return out


def simulate_world(
    seed: int, n: int, n_sites: int = 1, *, only_referrals: bool = False
) -> dict[str, Any]:
    """The clean simulated world of a sample: every record before any mess or file.

    The same seed, size and number of sites give the same world as
    :func:`generate_sample`, which writes it out; the truth of the metrics is
    computed on it at large sizes. Every part draws from a stream of its own, so
    ``only_referrals=True`` (families and referrals only, for speed) gives the same
    families and referrals as the whole world.

    Returns
    -------
    dict
        ``rng`` (the named random streams, the mess streams not yet used),
        ``sites``, ``people``, ``n_core`` (comparison and enrolled families, first in
        ``fam``) and the records ``fam``, ``pay``, ``refs``, ``wb``, ``dom``,
        ``staff``, ``meet``, ``deliverables`` and ``contacts``.
    """
    # The comparison and enrolled families come first, then those referred during the
    # programme and not enrolled, each part with streams of its own.
    rng = _streams(seed, _STREAMS)
    sites = Sites(n_sites)
    people = People()
    n_core, n_not_enrolled = funnel_sizes(n)
    core = simulate_families(rng["families"], n_core, sites, people)
    fam = simulate_funnel(rng["funnel"], core, n_not_enrolled, sites, people)
    refs = combine_referrals(
        rng["funnel_referrals"],
        simulate_referrals(rng["referrals"], family_part(fam, 0, n_core)),
        simulate_referrals(rng["funnel_referrals"], family_part(fam, n_core, n)),
        n_core,
    )
    world: dict[str, Any] = {
        "rng": rng,
        "sites": sites,
        "people": people,
        "n_core": n_core,
        "fam": fam,
        "refs": refs,
    }
    if only_referrals:
        return world
    pay = combine_payments(
        simulate_payments(rng["payments"], family_part(fam, 0, n_core)),
        simulate_payments(rng["funnel_payments"], family_part(fam, n_core, n)),
        n_core,
        fam,
    )
    wb = simulate_wellbeing(rng["wellbeing"], fam, n_sites)
    dom = simulate_domains(rng["domains"], fam, pay["exit_date"])
    staff = simulate_staff(rng["staff"], sites, people)
    meet = simulate_meetings(rng["meetings"], fam, pay["exit_date"], sites, staff)
    deliverables = simulate_deliverables(rng["deliverables"], sites, staff)
    fam["complex_flag"] = simulate_complex(rng["complex"], fam, pay["exit_date"])
    meet["complex"] = discuss_complex_cases(
        rng["complex"], meet, fam, pay["exit_date"], fam["complex_flag"]
    )
    contacts = simulate_contacts(rng["contacts"], fam, pay["exit_date"], staff)
    return world | {
        "pay": pay,
        "wb": wb,
        "dom": dom,
        "staff": staff,
        "meet": meet,
        "deliverables": deliverables,
        "contacts": contacts,
    }
