"""Words in capitals: an acronym is spelled, a word printed in capitals is read as a word.

The decision for words no table knows (:func:`vorlesen.speak.de.acronyms.reads_as_word`)
uses the word's shape and the German frequency list of ``wordfreq``. The words here are
not from the dev pages of issue 11, so the rule is tested in general.
"""

from __future__ import annotations

import pytest

from vorlesen.speak.de import GermanNormalizer, normalize_text
from vorlesen.speak.de.acronyms import german_zipf, read_unknown, reads_as_word


@pytest.mark.parametrize(
    "word",
    [
        # common German words and places, by the frequency list
        "SCHWEIZ", "BAYERN", "POLIZEI", "WETTER", "ANALYSE", "MARKT", "HESSEN", "OBST", "ARZT",
        # names and English words in photo credits
        "JOHN", "PETER", "NORTH", "IMAGES", "REUTERS",
        # pronounceable by shape, whether listed or not
        "ELBFLORENZ", "KAMERA", "NORDERNEY",
        # long names in capitals: acronyms are short
        "SCHWARZENBRUCK", "WINTERBERG", "OBERAMMERGAU",
    ],
)  # fmt: skip
def test_words_in_capitals_are_read_as_words(word: str) -> None:
    assert reads_as_word(word), word
    assert read_unknown(word) == word.capitalize()


@pytest.mark.parametrize(
    "word",
    [
        # three letters or fewer are acronyms, even where the list knows them as words
        "ARD", "CDU", "EZB", "SUV", "KFZ",
        # no vowel
        "BMWK", "DLRG", "HTML", "NRW",
        # consonant clusters German has no word with
        "DSGVO", "ISBN", "BDEW", "ESPN", "IFRS", "DGUV", "ADFC", "HSBC",
        # short, rare in the list and not pronounceable
        "DIHK", "THW",
    ],
)  # fmt: skip
def test_acronyms_are_spelled(word: str) -> None:
    assert not reads_as_word(word), word
    assert read_unknown(word) == " ".join(word)


def test_frequency_list_is_german() -> None:
    assert german_zipf("Kommentar") > 3.5
    assert german_zipf("XQZV") == 0.0
    assert german_zipf("thüringen") == german_zipf("THÜRINGEN")


def test_a_name_beside_a_word_is_a_word() -> None:
    # "FONG" alone is rare and one syllable: spelled; after a first name it is a name
    assert not reads_as_word("FONG")
    assert reads_as_word("FONG", beside_word=True)
    assert normalize_text("Foto: PHILIP FONG") == "Foto: Philip Fong"
    # an acronym beside a word stays an acronym
    assert normalize_text("Der SWR BERICHTET") == "Der S W R Berichtet"


def test_plural_of_a_spelled_acronym() -> None:
    assert read_unknown("PKWs") == "P K Ws"
    assert read_unknown("NASAs") == "Nasas"


def test_the_acronym_table_wins() -> None:
    # ADAC and OECD look like words but are spelled; NATO is a word by the table
    assert normalize_text("ADAC und OECD") == "A D A C und O E C D"
    assert normalize_text("Die NATO tagt.") == "Die Nato tagt."
    spelled = GermanNormalizer(extra_acronyms={"KAMERA": "spell"})
    assert spelled.normalize_text("KAMERA läuft") == "K A M E R A läuft"


def test_headline_in_capitals() -> None:
    assert normalize_text("UNWETTER IN BAYERN") == "Unwetter in Bayern"
    assert normalize_text("STREIT UM DIE RENTE") == "Streit um die Rente"
    # a function word in capitals beside an acronym is still spelled: no headline
    assert normalize_text("ARD IN") == "A R D I N"
    assert normalize_text("SACHSEN: KOMMENTAR") == "Sachsen: Kommentar"
