"""One extraction rule per test, on small made-up sentences (the rules must hold on any news text)."""

from __future__ import annotations

from datetime import date

import pytest
import spacy
from spacy.tokens import Span as SpacySpan

from kgservice.extract.actors import actor_key, corrected_entities, slugify
from kgservice.extract.lexicon import countries
from kgservice.extract.records import ArticleInput

PUBLISHED = date(2020, 3, 11)  # a Wednesday


@pytest.fixture(scope="module")
def extract(extractor):
    def run(text: str, genre: str = "news", published: date | None = PUBLISHED):
        return extractor.extract(ArticleInput(id="t", text=text, published=published, genre=genre, title="A test"))

    return run


def only(items, **where):
    found = [i for i in items if all(getattr(i, k) == v for k, v in where.items())]
    assert len(found) == 1, (where, items)
    return found[0]


# --- actors -------------------------------------------------------------------------------


def test_country_names_abbreviations_and_demonyms_are_one_actor(extract):
    e = extract("The U.S. imposed tariffs. The United States said the Americans would not back down.")
    us = only(e.actors, id="united-states")
    assert us.label == "United States" and us.type == "Place"
    assert {"U.S.", "Americans"} <= set(us.aliases)
    assert len([a for a in e.actors if a.type == "Place"]) == 1


def test_capital_speaks_for_the_government_but_a_venue_stays_a_city(extract):
    e = extract("Moscow said on Tuesday that it would attend the talks in Moscow.")
    claim = only(e.assertions, cue=e.assertions[0].cue)
    assert claim.claimant == "russia"
    talks = only(e.events, cls="Meeting")
    assert talks.place == "moscow"


def test_gazetteer_forms_map_to_exactly_one_country():
    table = countries()
    assert table["Pyongyang"].name == table["DPRK"].name == table["North Koreans"].name == "North Korea"
    assert table["Washington"].kind == "capital"
    assert "Congo" not in table  # ambiguous between two countries: dropped


def test_name_cut_before_of_is_joined_to_the_next_name():
    nlp = spacy.blank("en")
    doc = nlp("He spoke to the Council of Europe yesterday.")
    doc.ents = [SpacySpan(doc, 4, 6, label="ORG"), SpacySpan(doc, 6, 7, label="GPE")]
    joined = corrected_entities(doc)
    assert [(e.text, e.label_) for e in joined] == [("Council of Europe", "ORG")]


def test_title_alone_refers_to_its_unique_holder(extract):
    e = extract("Governor Ann Smith visited the plant. The governor said that the factory would reopen.")
    smith = only(e.actors, id="ann-smith")
    assert "Governor" in smith.roles
    assert [m.text for m in smith.mentions] == ["Ann Smith", "The governor"]
    assert only(e.assertions, cue=e.assertions[0].cue).claimant == "ann-smith"


def test_company_suffix_does_not_split_an_organisation(extract):
    e = extract("Apple Inc. opened a store. Apple said on Monday that sales were strong.")
    apple = only(e.actors, id="apple")
    assert apple.label == "Apple Inc." and "Apple" in apple.aliases


def test_slugs_keep_dashes_between_names():
    assert slugify("Second Macron–Merkel summit") == "second-macron-merkel-summit"
    assert actor_key("Acme Corp.") == actor_key("Acme") == "acme"


# --- assertions ---------------------------------------------------------------------------


def test_coordinated_reporting_verbs_share_their_speaker(extract):
    e = extract("The Kremlin called the report “nonsense” and said that the claims were false.")
    called, said = e.assertions
    assert called.claimant == said.claimant == "kremlin"
    assert called.content.text == "nonsense" and called.direct
    assert said.content.text == "the claims were false" and not said.direct


def test_quote_before_its_speaker(extract):
    e = extract("“We will build the bridge next year,” Governor Ann Smith said on Tuesday.")
    claim = e.assertions[0]
    assert (claim.claimant, claim.content.text, claim.direct) == (
        "ann-smith",
        "We will build the bridge next year",
        True,
    )
    assert claim.stated_on == date(2020, 3, 10)


def test_participle_introducing_a_quote_takes_the_clause_speaker(extract):
    e = extract("Mayor Tom Baker praised the plan, saying, “This is a great day for the city.”")
    claim = e.assertions[0]
    assert (claim.claimant, claim.cue.text, claim.content.text) == (
        "tom-baker",
        "saying",
        "This is a great day for the city",
    )


def test_indirect_content_stops_before_a_quoted_report(extract):
    e = extract("Mayor Tom Baker indicated that a vote was likely, saying, “We are ready.”")
    indicated = only(e.assertions, direct=False)
    quoted = only(e.assertions, direct=True)
    assert indicated.content.text == "a vote was likely"
    assert quoted.content.text == "We are ready" and quoted.claimant == indicated.claimant == "tom-baker"


def test_mixed_quote_keeps_its_marks(extract):
    e = extract("Jane Doe said that the delay was “a serious mistake.”")
    claim = e.assertions[0]
    assert claim.content.text == "the delay was “a serious mistake.”"
    assert not claim.direct


def test_according_to(extract):
    e = extract("According to Reuters, the company will cut 500 jobs.")
    claim = e.assertions[0]
    assert (claim.claimant, claim.cue.text, claim.content.text) == (
        "reuters",
        "According to",
        "the company will cut 500 jobs",
    )


def test_pronoun_claimant_is_the_last_person_named(extract):
    e = extract("Maria Lopez arrived late. She said that the vote had been postponed.")
    assert e.assertions[0].claimant == "maria-lopez"


def test_report_after_its_content(extract):
    e = extract("Parliament should reject the budget, Jane Doe said.")
    claim = e.assertions[0]
    assert (claim.claimant, claim.content.text) == ("jane-doe", "Parliament should reject the budget")


def test_opinion_piece_states_its_authors_stance(extract):
    opinion = extract("Parliament should reject the budget. The minister said the budget was fair.", genre="editorial")
    stance = only(opinion.assertions, cue=opinion.assertions[0].cue)
    assert stance.claimant == opinion.author
    assert stance.content.text == "Parliament should reject the budget" and stance.stated_on == PUBLISHED
    author = only(opinion.actors, id=opinion.author)
    assert author.label.startswith("Editorial board") and author.mentions == ()
    news = extract("Parliament should reject the budget. The minister said the budget was fair.")
    assert news.author is None and all(a.claimant != "author-t" for a in news.assertions)


# --- events -------------------------------------------------------------------------------


def test_ordinal_presupposes_the_earlier_event_and_finds_it(extract):
    e = extract(
        "A second summit between Emmanuel Macron and Angela Merkel is planned. "
        "The Geneva summit last spring ended without a deal."
    )
    second = only(e.events, ordinal=2)
    first = only(e.events, ordinal=1)
    assert second.status == "Planned" and second.label == "Second Macron–Merkel summit"  # short names, sorted
    assert first.label == "Geneva summit" and first.place == "geneva" and first.status == "Occurred"
    assert {p.actor for p in first.participants} == {"emmanuel-macron", "angela-merkel"}


def test_earlier_event_is_recorded_even_when_the_text_does_not_name_it(extract):
    e = extract("A second meeting between Emmanuel Macron and Angela Merkel is in the works.")
    first = only(e.events, ordinal=1)
    assert first.implied and first.status == "Occurred" and first.trigger.text == "second"


def test_countries_take_part_and_cities_are_venues(extract):
    e = extract("Washington signed treaties with France. The Geneva summit was held in May.")
    agreement = only(e.events, cls="Agreement")
    assert {p.actor for p in agreement.participants} == {"united-states", "france"} and agreement.place is None
    summit = only(e.events, cls="Meeting")
    assert summit.place == "geneva" and summit.participants == () and summit.status == "Occurred"
    assert summit.time is not None and summit.time.value.timex == "2019-05"


def test_generic_plurals_are_not_events(extract):
    assert extract("Summits with presidents convey legitimacy.").events == ()


def test_letter_sent_to_someone(extract):
    e = extract("Angela Merkel sent a letter to Emmanuel Macron on Monday.")
    letter = only(e.events, cls="Communication")
    assert [(p.actor, p.role) for p in letter.participants] == [
        ("angela-merkel", "agent"),
        ("emmanuel-macron", "patient"),
    ]
    assert letter.label == "Letter from Angela Merkel to Emmanuel Macron"
    assert letter.time is not None and letter.time.value.timex == "2020-03-09"


@pytest.mark.parametrize(
    ("text", "cls", "status"),
    [
        ("If Angela Merkel does meet Emmanuel Macron again, the talks will be tense.", "Meeting", "Hypothetical"),
        ("A meeting between Angela Merkel and Emmanuel Macron is in the works.", "Meeting", "Planned"),
        ("Angela Merkel said that she will meet Emmanuel Macron.", "Meeting", "Planned"),
        ("Angela Merkel did not meet Emmanuel Macron.", "Meeting", "Denied"),
        ("Angela Merkel met Emmanuel Macron in Geneva.", "Meeting", "Occurred"),
        ("Reaching a deal with France has been an elusive goal for Angela Merkel.", "Agreement", "Possible"),
        ("Angela Merkel meets Emmanuel Macron on Friday.", "Meeting", "Planned"),  # after publication
        ("Angela Merkel met Emmanuel Macron on Friday.", "Meeting", "Occurred"),  # the Friday before
    ],
)
def test_status_from_modality_conditionals_and_negation(extract, text, cls, status):
    event = next(e for e in extract(text).events if e.cls == cls)
    assert event.status == status


def test_extraction_is_deterministic(extract):
    text = "Angela Merkel met Emmanuel Macron in Geneva on Monday. “It went well,” she said."
    assert extract(text) == extract(text)


def test_brand_shaped_names_are_products_with_their_model_number(extract):
    e = extract("Acme unveiled the iPhone 4 on Monday. Buyers queued for the iPhone 4 in Paris.")
    product = only(e.actors, type="Product")
    assert product.label == "iPhone 4" and len(product.mentions) == 2
    assert all(a.label != "pH" for a in extract("The pH of the lake fell, Maria Lopez said.").actors)


def test_a_surname_the_model_calls_an_organisation_is_the_person(extract):
    e = extract("Steve Jobs opened the event. Jobs said the new phone would ship in June.")
    jobs = only(e.actors, id="steve-jobs")
    assert jobs.type == "Person" and "Jobs" in jobs.aliases
    assert [a.claimant for a in e.assertions] == ["steve-jobs"]


@pytest.mark.parametrize(
    ("text", "cls", "cameo"),
    [
        ("Iran launched a missile on Monday.", "Test", "15"),
        ("The missile launch by Iran on Monday alarmed Israel.", "Test", "15"),
        ("Acme launched the iPhone 4 in Paris on Monday.", "Occurrence", None),
    ],
)
def test_a_launch_is_a_weapons_test_only_for_a_weapon(extract, text, cls, cameo):
    event = extract(text).events[0]
    assert (event.cls, event.cameo) == (cls, cameo)


def test_labels_name_roles_with_prepositions(extract):
    event = extract("Iran launched a missile on Monday.").events[0]
    assert event.label == "Test by Iran"
