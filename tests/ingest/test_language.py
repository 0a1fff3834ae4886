"""Language detection and the German-only check in load/from_bytes."""

from __future__ import annotations

import pytest

from vorlesen.errors import LanguageError
from vorlesen.ingest import detect_language, from_bytes

SAMPLES = {
    "de": "Die Bundesregierung hat am Mittwoch beschlossen, dass die Steuern im nächsten Jahr "
    "nicht steigen sollen. Der Finanzminister sagte, man habe sich auf einen Kompromiss geeinigt.",
    "en": "The government said on Wednesday that taxes would not rise next year. The finance "
    "minister told reporters that they had agreed on a compromise with the opposition.",
    "fr": "Le gouvernement a annoncé mercredi que les impôts ne vont pas augmenter l'année "
    "prochaine. Le ministre a dit que c'est un compromis avec les partis de l'opposition.",
    "es": "El gobierno anunció el miércoles que los impuestos no van a subir el año que viene. "
    "El ministro dijo que se ha alcanzado un acuerdo con la oposición para el presupuesto.",
    "it": "Il governo ha annunciato mercoledì che le tasse non aumenteranno il prossimo anno. "
    "Il ministro ha detto che è stato trovato un compromesso con l'opposizione per il bilancio.",
    "nl": "De regering heeft woensdag gezegd dat de belastingen volgend jaar niet omhoog gaan. "
    "De minister zei dat er een compromis is gevonden met de oppositie over de begroting.",
    "pl": "Rząd ogłosił w środę, że podatki nie wzrosną w przyszłym roku. Minister powiedział, "
    "że jest to kompromis z opozycją i że budżet jest już gotowy do głosowania w Sejmie.",
    "tr": "Hükümet çarşamba günü yaptığı açıklamada vergilerin gelecek yıl artmayacağını "
    "duyurdu. Bakan, bu konuda muhalefet ile bir uzlaşma sağlandığını ve bütçenin hazır "
    "olduğunu söyledi. Bu karar için çok daha fazla görüşme gerekti ama sonunda bir anlaşma var.",
}


@pytest.mark.parametrize(("lang", "text"), sorted(SAMPLES.items()))
def test_detects_language(lang: str, text: str) -> None:
    assert detect_language(text) == lang


def test_too_short_to_tell() -> None:
    assert detect_language("Bahn sperrt Strecke") is None
    assert detect_language("") is None


def test_english_article_is_refused_with_hint() -> None:
    data = f"Taxes will not rise\n\n{SAMPLES['en']}".encode()
    with pytest.raises(LanguageError) as info:
        from_bytes(data, filename="a.txt")
    assert info.value.reason == "wrong_language"
    assert "English" in str(info.value) and "--lang en" in str(info.value)


def test_explicit_language_skips_the_check() -> None:
    data = f"Taxes will not rise\n\n{SAMPLES['en']}".encode()
    doc = from_bytes(data, filename="a.txt", language="en")
    assert doc.language == "en"


def test_short_text_passes() -> None:
    assert from_bytes(b"Kurz und knapp.").language == "de"


def test_declared_language_does_not_override_detected_german() -> None:
    html = (
        f'<html lang="en"><body><article><h1>Steuern steigen nicht</h1><p>{SAMPLES["de"]}</p>'
        "</article></body></html>"
    )
    assert from_bytes(html.encode()).language == "de"


def test_german_page_with_english_text_is_refused() -> None:
    html = (
        f'<html lang="de"><body><article><h1>Taxes</h1><p>{SAMPLES["en"]}</p>'
        "</article></body></html>"
    )
    with pytest.raises(LanguageError):
        from_bytes(html.encode())


def test_short_page_declared_french_is_refused() -> None:
    html = (
        '<html lang="fr"><body><article><h1>Bonjour</h1>'
        "<p>Merci beaucoup pour votre visite à Paris.</p></article></body></html>"
    )
    with pytest.raises(LanguageError) as info:
        from_bytes(html.encode())
    assert "French" in str(info.value)
