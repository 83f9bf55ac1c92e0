"""Extraction on the seeds and on MEANTIME Apple: what an analyst relies on, on any news text."""

from __future__ import annotations

import sys
from datetime import date

import pytest

from kgservice.articles import read_file
from kgservice.extract.records import ArticleInput

from .conftest import EVAL, ROOT

MEANTIME = EVAL / "meantime-apple"


@pytest.fixture(scope="module")
def seed_extractions(extractor, seeds):
    return [extractor.extract(read_file(p)[0]) for p in sorted(seeds.glob("*.txt"))]


def actor(extraction, label):
    return next(a for a in extraction.actors if a.label == label)


def test_one_actor_per_person_with_roles(seed_extractions):
    editorial = seed_extractions[0]
    sanders = actor(editorial, "Sarah Huckabee Sanders")
    assert sanders.type == "Person"
    assert "Sanders" in sanders.aliases
    assert "White House press secretary" in sanders.roles
    assert "national security adviser" in actor(editorial, "John Bolton").roles
    kim = actor(editorial, "Kim Jong Un")
    assert "Kim" in kim.aliases
    assert sum(a.label == "Trump" for a in editorial.actors) == 1


NAMED = {
    "Trump",
    "Kim Jong Un",
    "Sarah Huckabee Sanders",
    "John Bolton",
    "Mike Pompeo",
    "Reuters",
    "Rodong Sinmun",
    "North Korea",
    "United States",
    "White House",
}
# also real, and named in the texts: places and the organisation Rodong Sinmun speaks for
OTHER_REAL = {"Singapore", "Soviet Union", "Central Committee of the Worker’s Park of Korea"}


def test_exactly_one_actor_per_referent_and_no_junk(seed_extractions):
    labels = [a.label for e in seed_extractions for a in e.actors if a.id != e.author]
    for extraction in seed_extractions:
        own = [a.label for a in extraction.actors if a.id != extraction.author]
        assert len(own) == len(set(own))
    assert set(labels) >= NAMED
    assert set(labels) <= NAMED | OTHER_REAL
    us = actor(seed_extractions[1], "United States")
    assert "U.S." in us.aliases and us.type == "Place"
    assert "North Koreans" in actor(seed_extractions[0], "North Korea").aliases


def test_claims_have_the_right_claimant_and_exact_spans(seed_extractions):
    editorial, op_ed = seed_extractions
    by = {}
    for extraction in seed_extractions:
        for a in extraction.assertions:
            by.setdefault(a.claimant, []).append(a)
    assert len(by["sarah-huckabee-sanders"]) == 2
    assert by["sarah-huckabee-sanders"][1].content.text.endswith("should be considered “a sign of good faith.”")
    trump = [a for a in by["trump"] if a.direct]
    assert [a.content.text for a in trump] == ["I don’t want to comment on that, but it’s most likely we will"]
    assert trump[0].cue.text == "saying"
    rodong = by["rodong-sinmun"]
    assert [a.content.text for a in rodong] == ["fiction", "focusing on them was “derailing dialogue.”"]
    for claim in [*by["sarah-huckabee-sanders"], *trump, *rodong]:
        text = (editorial if claim in editorial.assertions else op_ed).article.text
        assert text[claim.content.start : claim.content.end] == claim.content.text


def test_editorial_voice_is_the_authors(seed_extractions):
    editorial = seed_extractions[0]
    assert editorial.author is not None
    stances = [a for a in editorial.assertions if a.claimant == editorial.author]
    assert any(a.content.text.startswith("there should be no second meeting until") for a in stances)
    assert all(a.stated_on == date(2018, 9, 11) for a in stances)


def test_this_summer_is_summer_of_the_publication_year(seed_extractions):
    summer = next(t for t in seed_extractions[1].times if t.span.text == "this summer")
    assert summer.value.timex == "2018-SU"


def test_organisation_by_apposition(seed_extractions):
    assert actor(seed_extractions[1], "Rodong Sinmun").type == "Organization"


def test_weekday_resolved_against_document_date(seed_extractions):
    statement = next(e for e in seed_extractions[0].events if "Sanders" in e.label)
    assert statement.time is not None
    assert statement.time.value.earliest == date(2018, 9, 10)
    said = next(a for a in seed_extractions[0].assertions if a.claimant == "sarah-huckabee-sanders")
    assert said.stated_on == date(2018, 9, 10)
    assert "in the works" in said.content.text


def test_second_meeting_is_not_reported_as_having_happened(seed_extractions):
    for extraction in seed_extractions:
        second = [e for e in extraction.events if e.cls == "Meeting" and e.ordinal == 2]
        assert len(second) == 1
        assert second[0].status in {"Planned", "Possible"}
        assert {"trump", "kim-jong-un"} <= {p.actor for p in second[0].participants}


def test_direct_quote_attributed(seed_extractions):
    bolton = next(a for a in seed_extractions[0].assertions if a.claimant == "john-bolton")
    assert bolton.direct and bolton.cue.text == "explained"
    assert bolton.content.text.startswith("President Trump can’t make")


def test_interview_hosts_the_claim(seed_extractions):
    op_ed = seed_extractions[1]
    interview = next(e for e in op_ed.events if e.cls == "Statement" and e.trigger.text == "interview")
    claim = next(a for a in op_ed.assertions if a.cue.text == "indicated")
    assert claim.claimant == "trump"
    assert claim.stated_in == interview.id
    assert interview.status == "Occurred"


def test_without_document_date_relative_times_stay_unresolved(extractor):
    article = ArticleInput(id="x", text="On Monday, the minister said that talks with Japan would resume.")
    extraction = extractor.extract(article)
    monday = next(t for t in extraction.times if "Monday" in t.span.text)
    assert monday.value.earliest is None and monday.value.latest is None


@pytest.mark.skipif(not MEANTIME.is_dir(), reason="MEANTIME evaluation data not present beside the project")
def test_meantime_scores_clear_the_floors():
    """The `make eval` harness on MEANTIME Apple; floors a little under what en_core_web_sm 3.8.0 reaches."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from eval import run

    sections, _ = run(MEANTIME, EVAL / "timeline-trial", ["entities", "events", "times", "identity"])
    rows = {(section.key, row.key): row for section in sections for row in section.rows}
    # time expressions: recall (any overlap) and value accuracy on the gold expressions found
    assert rows["times", "relaxed"].recall.value >= 0.90
    assert rows["times", "value_accuracy"].accuracy.value >= 0.85
    # named entities of the actor types (person, organisation, place): measured 0.96
    assert rows["entities", "named_recall_ours_relaxed"].recall.value >= 0.90
    # every named mention, products included: measured 0.95
    assert rows["entities", "named_recall_all_relaxed"].recall.value >= 0.90
    assert rows["entities", "relaxed"].precision.value >= 0.90
    assert rows["events", "relaxed"].precision.value >= 0.90


@pytest.mark.skipif(not MEANTIME.is_dir(), reason="MEANTIME evaluation data not present beside the project")
def test_meantime_offsets_slice_the_text(extractor):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from meantime import load_meantime

    for n, doc in enumerate(load_meantime(MEANTIME)):
        extraction = extractor.extract(ArticleInput(id=str(n), text=doc.text, published=doc.dct))
        spans = [m for a in extraction.actors for m in a.mentions] + [t.span for t in extraction.times]
        spans += [m for e in extraction.events for m in e.mentions]
        spans += [s for a in extraction.assertions for s in (a.cue, a.content)]
        assert all(doc.text[s.start : s.end] == s.text for s in spans), doc.name
