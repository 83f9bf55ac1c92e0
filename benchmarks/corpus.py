"""A deterministic synthetic corpus of news-like English articles, for scale benchmarks.

``articles(n, seed=...)`` returns ``n`` :class:`ArticleInput` records of 300–800 words
each, the same for the same arguments. The prose is built from templates, but with the
things kgservice's extractor looks for, in varied sentence shapes: people with titles and
affiliations, organisations, countries and cities; dates of every precision ("on
Tuesday", "in March 2019", "next summer", "Sept. 10", "last year"); reported speech and
direct quotes ("X said on Monday", "“…,” Y told reporters"); events (meetings, talks,
visits, agreements, tests, protests, strikes, elections) that occurred, are planned ("are
expected to meet"), possible ("could hold talks"), hypothetical ("if … were to …") or
denied. Generating 10,000 articles takes a few seconds.

Run alone to print one article: ``.venv/bin/python benchmarks/corpus.py [N] [--seed S]``.
"""

from __future__ import annotations

import random
import re
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kgservice.extract.records import ArticleInput

MIN_WORDS, MAX_WORDS = 300, 800

FIRST = (
    "Maria", "John", "Wei", "Aisha", "Pierre", "Olga", "Kenji", "Fatima", "Carlos", "Ingrid", "Amit", "Lena",
    "David", "Sarah", "Ahmed", "Yuki", "Elena", "Thomas", "Grace", "Mohammed", "Anna", "Luis", "Hana", "Peter",
    "Nadia", "Samuel", "Chen", "Sofia", "Ibrahim", "Laura", "Daniel", "Mariam", "Jonas", "Priya", "Victor", "Emma",
)  # fmt: skip
LAST = (
    "Okafor", "Smith", "Zhang", "Haddad", "Dubois", "Ivanova", "Sato", "Rahman", "Garcia", "Berg", "Patel", "Novak",
    "Moreau", "Kowalski", "Nakamura", "Mensah", "Fischer", "Romero", "Lindqvist", "Kim", "Santos", "Osei", "Muller",
    "Hassan", "Petrov", "Reyes", "Tanaka", "Jensen", "Costa", "Abdullah", "Weber", "Nguyen", "Olsen", "Mwangi",
)  # fmt: skip
COUNTRIES = (
    ("France", "French", "Paris"), ("Germany", "German", "Berlin"), ("Japan", "Japanese", "Tokyo"),
    ("Kenya", "Kenyan", "Nairobi"), ("Brazil", "Brazilian", "Brasilia"), ("India", "Indian", "New Delhi"),
    ("Canada", "Canadian", "Ottawa"), ("Egypt", "Egyptian", "Cairo"), ("Mexico", "Mexican", "Mexico City"),
    ("South Korea", "South Korean", "Seoul"), ("Norway", "Norwegian", "Oslo"), ("Ghana", "Ghanaian", "Accra"),
    ("Peru", "Peruvian", "Lima"), ("Turkey", "Turkish", "Ankara"), ("Poland", "Polish", "Warsaw"),
    ("Vietnam", "Vietnamese", "Hanoi"), ("Australia", "Australian", "Canberra"), ("Chile", "Chilean", "Santiago"),
    ("Indonesia", "Indonesian", "Jakarta"), ("Nigeria", "Nigerian", "Abuja"), ("Spain", "Spanish", "Madrid"),
    ("Qatar", "Qatari", "Doha"), ("Austria", "Austrian", "Vienna"), ("Switzerland", "Swiss", "Geneva"),
)  # fmt: skip
CITIES = (
    "Geneva", "Singapore", "Vienna", "Helsinki", "Istanbul", "Marseille", "Osaka", "Mombasa", "Rio de Janeiro",
    "Mumbai", "Toronto", "Alexandria", "Busan", "Bergen", "Kumasi", "Cusco", "Krakow", "Da Nang", "Sydney",
)  # fmt: skip
TITLES = (
    "President", "Prime Minister", "Foreign Minister", "Defence Minister", "Finance Minister", "Senator",
    "Ambassador", "General", "Governor", "Mayor", "Secretary-General", "Chancellor",
)  # fmt: skip
ROLES = (
    "spokesperson", "chief negotiator", "economist", "analyst", "opposition leader", "union leader",
    "senior official", "adviser", "chief executive", "researcher",
)  # fmt: skip
ORGS = (
    "the United Nations", "the World Bank", "the International Monetary Fund", "the European Union",
    "the African Union", "NATO", "the World Health Organization", "Amnesty International", "Reuters",
    "the Red Cross", "the International Atomic Energy Agency", "Greenpeace", "the Central Bank",
    "the Ministry of Defence", "the Electoral Commission", "the National Assembly", "Shell", "Siemens",
    "the Supreme Court", "the Workers' Party", "the Chamber of Commerce", "Human Rights Watch",
)  # fmt: skip
TOPICS = (
    "trade", "nuclear disarmament", "climate policy", "border security", "fishing rights", "energy prices",
    "the ceasefire", "refugee flows", "debt relief", "vaccine supplies", "tariffs", "water rights",
    "the election timetable", "sanctions", "a new pipeline", "grain exports", "cyber security",
)  # fmt: skip
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
    "December",
)  # fmt: skip
ABBREVIATED = ("Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec.")
SEASONS = ("spring", "summer", "autumn", "winter")
SAY = ("said", "told reporters", "said in a statement", "wrote on social media", "told a news conference", "added")
CLAIM = ("said", "warned", "claimed", "insisted", "argued", "announced", "acknowledged", "denied")
ADJECTIVES = ("constructive", "difficult", "frank", "productive", "tense", "historic", "long-awaited", "brief")


class _Writer:
    """Builds one article sentence by sentence from a shared random source."""

    def __init__(self, rng: random.Random, published: date) -> None:
        self.rng = rng
        self.published = published
        home = rng.sample(COUNTRIES, 3)
        self.countries = home
        self.people = [self._person(country) for country in home for _ in range(2)]
        self.people += [self._expert() for _ in range(2)]
        self.orgs = rng.sample(ORGS, 4)
        self.cities = [c[2] for c in home] + rng.sample(CITIES, 2)
        self.topic = rng.choice(TOPICS)
        self.mentioned: set[str] = set()

    # -- actors -----------------------------------------------------------------------

    def _person(self, country: tuple[str, str, str]) -> tuple[str, str]:
        """A (full description, surname) pair for an official of ``country``."""
        name = f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"
        title = self.rng.choice(TITLES)
        return f"{country[1]} {title} {name}", name

    def _expert(self) -> tuple[str, str]:
        """A (full description, name) pair for a non-governmental source."""
        name = f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"
        org = self.rng.choice(ORGS)
        role = self.rng.choice(ROLES)
        article = self.rng.choice(("an" if role[0] in "aeiou" else "a", "the"))
        return f"{name}, {article} {role} at {org},", name

    def who(self) -> str:
        """A person: described in full on the first mention, by surname or name later."""
        full, name = self.rng.choice(self.people)
        if name in self.mentioned:
            return name.split()[-1] if self.rng.random() < 0.6 else name
        self.mentioned.add(name)
        return full  # an appositive keeps its closing comma; _tidy drops it before other punctuation

    def speaker(self, capital: bool = True) -> str:
        """A person or an organisation that can say something."""
        return self.who() if self.rng.random() < 0.75 else self.org(capital=capital)

    def org(self, capital: bool = False) -> str:
        """An organisation name (``The`` when it opens a sentence)."""
        name = self.rng.choice(self.orgs)
        return name[0].upper() + name[1:] if capital else name

    def country(self) -> str:
        """A country name."""
        return self.rng.choice(self.countries)[0]

    def city(self) -> str:
        """A city name."""
        return self.rng.choice(self.cities)

    def both(self) -> str:
        """Two parties: two people, or two countries."""
        if self.rng.random() < 0.5:
            a, b = self.rng.sample(self.countries, 2)
            return f"{a[0]} and {b[0]}"
        return f"{self.who()} and {self.who()}"

    # -- times ------------------------------------------------------------------------

    def past(self) -> str:
        """A past time of some precision."""
        rng, pub = self.rng, self.published
        day = pub - timedelta(days=rng.randint(1, 6))
        earlier = pub - timedelta(days=rng.randint(20, 900))
        return rng.choice(
            (
                f"on {WEEKDAYS[day.weekday()]}",
                "last week",
                "yesterday",
                f"in {MONTHS[earlier.month - 1]} {earlier.year}",
                f"on {ABBREVIATED[earlier.month - 1]} {earlier.day}",
                f"on {earlier.day} {MONTHS[earlier.month - 1]} {earlier.year}",
                "last year",
                f"in {earlier.year}",
                "earlier this month",
                f"last {rng.choice(SEASONS)}",
            )
        )

    def future(self) -> str:
        """A future time of some precision."""
        rng, pub = self.rng, self.published
        day = pub + timedelta(days=rng.randint(1, 6))
        later = pub + timedelta(days=rng.randint(20, 500))
        return rng.choice(
            (
                f"on {WEEKDAYS[day.weekday()]}",
                "next week",
                "tomorrow",
                f"next {rng.choice(SEASONS)}",
                f"in {MONTHS[later.month - 1]}",
                f"by the end of {later.year}",
                f"on {ABBREVIATED[later.month - 1]} {later.day}",
                "later this month",
                "next year",
            )
        )

    # -- sentences --------------------------------------------------------------------

    def event_past(self) -> str:
        """A sentence about something that happened."""
        r = self.rng
        return r.choice(
            (
                lambda: f"{self.both()} met in {self.city()} {self.past()} to discuss {self.topic}.",
                lambda: f"{self.who()} visited {self.city()} {self.past()}, the first such trip in a decade.",
                lambda: f"{self.country()} signed an agreement on {self.topic} with {self.country()} {self.past()}.",
                lambda: f"{self.past().capitalize()}, {self.country()} tested a new missile off its coast.",
                lambda: f"Thousands of people protested in {self.city()} {self.past()} against {self.topic}.",
                lambda: f"Talks between {self.both()} collapsed {self.past()} after {r.randint(2, 9)} hours.",
                lambda: f"{self.org(capital=True)} held an emergency meeting in {self.city()} {self.past()}.",
                lambda: f"Workers went on strike at the port of {self.city()} {self.past()}.",
                lambda: f"{self.who()} resigned {self.past()} amid a dispute over {self.topic}.",
                lambda: f"Voters in {self.country()} elected a new parliament {self.past()}.",
                lambda: f"Police arrested {r.randint(3, 60)} protesters outside the parliament in "
                f"{self.city()} {self.past()}.",
                lambda: f"The two delegations held {r.choice(ADJECTIVES)} talks in {self.city()} {self.past()}.",
            )
        )()

    def event_planned(self) -> str:
        """A sentence about something planned, possible, hypothetical or denied."""
        r = self.rng
        return r.choice(
            (
                lambda: f"{self.both()} are expected to meet in {self.city()} {self.future()}.",
                lambda: f"{self.who()} could hold talks with {self.who()} {self.future()}, officials said.",
                lambda: f"{self.who()} plans to visit {self.country()} {self.future()}.",
                lambda: f"A summit on {self.topic} will take place in {self.city()} {self.future()}.",
                lambda: f"If {self.country()} were to conduct another test, {self.org()} would impose new sanctions.",
                lambda: f"{self.country()} may sign a deal on {self.topic} {self.future()}.",
                lambda: f"{self.org(capital=True)} denied that any meeting had taken place in {self.city()}.",
                lambda: f"Union leaders threatened to strike {self.future()} unless wages rise.",
                lambda: f"Negotiators will resume talks on {self.topic} {self.future()}.",
                lambda: f"{self.who()} did not attend the meeting in {self.city()} {self.past()}.",
            )
        )()

    def quote(self) -> str:
        """Direct speech, in one of several shapes."""
        r = self.rng
        line = r.choice(
            (
                f"We will not accept any deal on {self.topic} that ignores our concerns",
                f"The talks were {r.choice(ADJECTIVES)}, and we expect progress {self.future()}",
                f"This is a matter for {self.both()} alone",
                "Nobody wants a return to the violence of the past",
                f"Our position on {self.topic} has not changed",
                f"We met {self.past()} and agreed to keep talking",
                "There is still a lot of work to do",
            )
        )
        who, say = self.speaker(capital=False), r.choice(SAY)
        shape = r.randrange(4)
        if shape == 0:
            return f"“{line},” {who} {say}."
        if shape == 2:
            return f"{who[0].upper()}{who[1:]} {say}: “{line}.”"
        if shape == 1:
            return f"“{line},” {say} {who}." if " " not in say else f"“{line},” {who} {say} {self.past()}."
        return (
            f"“{line},” {who} {say}. “{r.choice(('We are ready.', 'The ball is in their court.', 'Time is short.'))}”"
        )

    def reported(self) -> str:
        """Reported speech."""
        r = self.rng
        return r.choice(
            (
                lambda: f"{self.speaker()} {r.choice(CLAIM)} {self.past()} that {_clause(self.event_past())}",
                lambda: f"{self.speaker()} {r.choice(CLAIM)} that {self.country()} would "
                f"{r.choice(('not back down', 'reconsider its position', 'seek a compromise'))} on {self.topic}.",
                lambda: f"According to {self.org()}, {_clause(self.event_planned())}",
                lambda: f"{self.speaker()} told reporters in {self.city()} that the two sides "
                f"{r.choice(('were close to a deal', 'remained far apart', 'had agreed to meet again'))}.",
                lambda: f"{self.event_past()[:-1]}, {self.speaker()} said.",
                lambda: f"{self.event_planned()[:-1]}, {self.who()} said {self.past()}.",
            )
        )()

    def background(self) -> str:
        """Context without a new event or claim, to vary the texture."""
        r = self.rng
        return r.choice(
            (
                f"Relations between {self.both()} have been strained since {self.published.year - r.randint(1, 12)}.",
                f"The dispute over {self.topic} has dragged on for years.",
                f"{self.country()} has a population of about {r.randint(3, 200)} million people.",
                f"{self.org(capital=True)} has long called for a negotiated settlement.",
                f"Prices rose by {r.randint(2, 19)} percent over the same period, according to official figures.",
                f"Analysts say the outcome will depend largely on {self.topic}.",
            )
        )

    def paragraph(self) -> str:
        """Two to five sentences."""
        kinds = (self.event_past, self.event_planned, self.quote, self.reported, self.background)
        weights = (4, 3, 3, 4, 2)
        return " ".join(self.rng.choices(kinds, weights)[0]() for _ in range(self.rng.randint(2, 5)))

    def article(self) -> tuple[str, str]:
        """A title and a body of MIN_WORDS to MAX_WORDS words."""
        target = self.rng.randint(MIN_WORDS, MAX_WORDS)
        dateline = f"{self.cities[0].upper()} — "
        paragraphs, words = [], 0
        while words < target:
            paragraph = self.paragraph()
            paragraphs.append(paragraph)
            words += len(paragraph.split())
        body = dateline + "\n\n".join(_tidy(p) for p in paragraphs)
        kept = body.split()
        if len(kept) > MAX_WORDS:  # trim to the cap at a sentence end, keeping at least MIN_WORDS
            cut = " ".join(kept[:MAX_WORDS])
            end = max(cut.rfind(". "), cut.rfind(".”"))
            body = cut[: end + 1] if end > 0 and len(cut[: end + 1].split()) >= MIN_WORDS else cut + "."
        title = f"{self.countries[0][0]} and {self.countries[1][0]} at odds over {self.topic}"
        return title, body


def _tidy(text: str) -> str:
    """Drop an appositive's comma where other punctuation follows it."""
    return re.sub(r",(\s*)([.,:;])", r"\2", text)


def _clause(sentence: str) -> str:
    """A sentence to go after "that" or a comma: lower-case its first word unless it is a name."""
    first = sentence.split(" ", 1)[0]
    if first in ("The", "Thousands", "Talks", "Voters", "Police", "Workers", "Negotiators", "Union", "If", "A"):
        return first.lower() + sentence[len(first) :]
    return sentence


def articles(n: int, seed: int = 11) -> list[ArticleInput]:
    """``n`` synthetic news articles, the same for the same ``n`` and ``seed``.

    Article ``i`` depends only on ``seed`` and ``i``, so a smaller corpus is a prefix of a
    larger one.
    """
    out = []
    for i in range(n):
        rng = random.Random(f"{seed}:{i}")
        published = date(2015, 1, 1) + timedelta(days=rng.randrange(3650))
        title, text = _Writer(rng, published).article()
        out.append(ArticleInput(id=f"corpus-{seed}-{i:05d}", text=text, title=title, published=published))
    return out


def main(argv: list[str]) -> None:
    """Print article ``N`` (default 0) of the corpus for ``--seed``."""
    seed = int(argv[argv.index("--seed") + 1]) if "--seed" in argv else 11
    index = int(argv[0]) if argv and argv[0] != "--seed" else 0
    article = articles(index + 1, seed)[index]
    print(f"{article.title} ({article.published}, {len(article.text.split())} words)\n\n{article.text}")


if __name__ == "__main__":
    main(sys.argv[1:])
