"""German sentences for the newsroom, by an error's machine-readable ``reason``.

The API and the CLI speak English (``VorlesenError.message``); the newsroom is German.
Rather than show an editor "The IPA for 'X' uses symbols the voice cannot speak", it
looks up the error's ``reason`` here. A reason missing from the table still gets a German
sentence (by the kind of error), with the code for whoever debugs it.
"""

from __future__ import annotations

from vorlesen.errors import EngineError, InputError, VorlesenError

__all__ = ["REASONS", "german_message", "german_reason", "rerender_notice"]

REASONS: dict[str, str] = {
    # -- lexicon entries (form, PLS import) -----------------------------------------------
    "lexicon_bad_type": "Unbekannte Art der Korrektur (Umschreibung, IPA oder Sprache).",
    "lexicon_empty": "Wort und Aussprache dürfen nicht leer sein.",
    "lexicon_bad_text": (
        "Wort oder Aussprache enthalten Steuerzeichen oder die Klammern „[[“/„]]“."
    ),
    "lexicon_too_long": "Wort oder Aussprache sind zu lang.",
    "lexicon_bad_grapheme": "Das Wort enthält keinen Buchstaben und keine Ziffer.",
    "lexicon_bad_lang": "Das ist keine Sprachangabe wie „en“ oder „en-gb“.",
    "lexicon_bad_voice": (
        "Das ist kein Stimmenname (erlaubt: Buchstaben, Ziffern, „_“, „-“ und „.“)."
    ),
    "lexicon_lang_unsupported": "Für diese Sprache gibt es keine Aussprache-Regeln.",
    "ipa_unsupported": "Die IPA-Lautschrift enthält Zeichen, die die Stimme nicht sprechen kann.",
    "voice_config_invalid": "Die Konfiguration der Stimme ist nicht lesbar.",
    "espeak_voice_unavailable": "Für diese Sprache ist keine Aussprache-Stimme installiert.",
    "preview_empty": "Zum Vorhören bitte ein Wort eingeben.",
    "preview_too_long": "Zum Vorhören ist der Text zu lang.",
    # -- PLS import ------------------------------------------------------------------------
    "too_large": "Die Datei ist zu groß.",
    "xml_too_large": "Die Lexikon-Datei ist zu groß.",
    "xml_malformed": "Die Datei ist kein gültiges XML.",
    "xml_entities_forbidden": (
        "Die Datei deklariert XML-Entitäten; das ist in Lexika aus Sicherheitsgründen verboten."
    ),
    "xml_external_forbidden": (
        "Die Datei verweist auf eine externe DTD; Lexika dürfen keine fremden Dateien laden."
    ),
    "xml_dtd_forbidden": "Die Datei enthält eine DTD; Lexika dürfen keine verwenden.",
    "pls_invalid": (
        "Die Datei ist kein gültiges PLS-Lexikon (jeder Eintrag braucht ein Wort "
        "und eine Umschreibung oder Lautschrift)."
    ),
    "pls_alphabet_unsupported": "Die Datei nutzt eine andere Lautschrift als IPA.",
    "lexicon_syntax": "Eine Zeile der Lexikon-Datei ist nicht lesbar.",
    "lexicon_encoding": "Die Lexikon-Datei ist kein UTF-8-Text.",
    # -- feedback --------------------------------------------------------------------------
    "not_found": "Das gibt es nicht (mehr).",
    "bad_status": "Unbekannter Status.",
    # -- rendering an article ----------------------------------------------------------------
    "no_content": "Der Artikel hat weder URL noch Text.",
    "empty": "Der Artikel enthält keinen lesbaren Text.",
    "no_article": "Auf der Seite wurde kein Artikeltext gefunden.",
    "wrong_language": "Der Text ist nicht auf Deutsch.",
    "fetch_failed": "Die Artikelseite konnte nicht abgerufen werden.",
    "unreachable": "Der Server der Artikelseite ist nicht erreichbar.",
    "timeout": "Das Abrufen der Artikelseite hat zu lange gedauert.",
    "http_status": "Der Server der Artikelseite hat mit einem Fehler geantwortet.",
    "too_many_redirects": "Die Artikelseite leitet zu oft weiter.",
    "bad_url": "Die Adresse des Artikels ist ungültig.",
    "scheme_not_allowed": "Nur http- und https-Adressen können abgerufen werden.",
    "ssrf_blocked": "Die Adresse zeigt auf ein internes Netz und wird nicht abgerufen.",
    "binary_content": "Die Quelle ist kein Text (z. B. ein Bild oder PDF).",
    "unsupported_content": "Dieses Format kann nicht gelesen werden.",
    "unsupported_content_type": "Dieses Format kann nicht gelesen werden.",
    "bad_cms_json": "Das CMS-JSON des Artikels ist fehlerhaft.",
    "bad_json": "Das JSON des Artikels ist fehlerhaft.",
    "bad_markup": "Das Markup des Artikels ist fehlerhaft.",
    "ssml_malformed": "Das SSML des Artikels ist kein gültiges XML.",
    "ssml_entities": "Das SSML deklariert XML-Entitäten; das ist verboten.",
    "ssml_doctype": "Das SSML enthält eine DTD; das ist verboten.",
    "ssml_too_deep": "Das SSML ist zu tief verschachtelt.",
    "ssml_unsupported": "Das SSML nutzt etwas, das nicht unterstützt wird.",
    "unknown_voice": "Diese Stimme gibt es nicht.",
    "voice_unavailable": "Die Stimme ist nicht verfügbar.",
    "voice_not_installed": "Die Stimme ist nicht installiert.",
    "voice_download_failed": "Die Stimme konnte nicht heruntergeladen werden.",
    "voice_verification_failed": "Die heruntergeladene Stimme ist beschädigt.",
    "voice_file_missing": "Die Datei der Stimme fehlt.",
    "voice_config_missing": "Die Konfiguration der Stimme fehlt.",
    "corrupt_voice": "Die Stimme ist beschädigt.",
    "espeak_unavailable": "Die Ersatzstimme (espeak-ng) ist nicht verfügbar.",
    "engine_failed": "Die Sprachsynthese ist fehlgeschlagen.",
    "inference_failed": "Die Sprachsynthese ist fehlgeschlagen.",
    "phonemize_failed": "Die Aussprache eines Satzes konnte nicht bestimmt werden.",
    "worker_crashed": "Ein Synthese-Prozess ist abgestürzt.",
    "audio_failed": "Das Audio konnte nicht erzeugt werden.",
    "encode_failed": "Das Audio konnte nicht kodiert werden.",
    "silent_audio": "Die Vertonung ist vollkommen stumm.",
    "no_audio": "Es ist kein Audio entstanden.",
    "disk_full": "Der Speicher ist voll; das Audio konnte nicht gespeichert werden.",
    "storage_unwritable": "Das Audio konnte nicht gespeichert werden.",
    "internal_error": "Die Vertonung ist unerwartet abgebrochen (ein Programmfehler).",
    # -- limits per article (VORLESEN_MAX_ARTICLE_*) -------------------------------------------
    "too_many_characters": "Der Artikel ist länger, als für eine Vertonung erlaubt ist.",
    "too_many_utterances": "Der Artikel hat mehr Sätze, als für eine Vertonung erlaubt ist.",
    "too_much_audio": "Die Vertonung würde länger dauern, als für einen Artikel erlaubt ist.",
    # -- sources (feeds, sitemaps) and players' pages ------------------------------------------
    "unsupported_source": "Die Adresse liefert weder RSS, Atom noch eine Sitemap.",
    "bad_gzip": "Die gzip-Datei der Sitemap ist beschädigt.",
    "conflict": "Diese Quelle gibt es schon.",
    "bad_language": "Das ist keine Sprache, die vorgelesen werden kann.",
    "host_not_allowed": "Seiten dieses Hosts werden nicht vorgelesen.",
    "unpublished": "Das Audio dieser Seite wurde gelöscht; sie wird nicht wieder vertont.",
    # -- requests ----------------------------------------------------------------------------
    "rate_limited": "Zu viele Anfragen. Bitte etwas später noch einmal versuchen.",
    "invalid_text": "Der Text enthält ungültige Zeichen.",
}
"""German sentences by reason: what went wrong, said for an editor, no internals."""

_BY_KIND = (
    (InputError, "Die Eingabe konnte nicht verarbeitet werden."),
    (EngineError, "Die Sprachsynthese ist fehlgeschlagen."),
)


def german_reason(reason: str | None) -> str:
    """The German sentence for ``reason``; a general one naming the code when unknown."""
    if reason and reason in REASONS:
        return REASONS[reason]
    return f"Das hat nicht geklappt (Fehlercode {reason or 'unbekannt'})."


def german_message(exc: VorlesenError) -> str:
    """What the newsroom shows for ``exc``: its reason in German, else its kind."""
    if exc.reason in REASONS:
        return REASONS[exc.reason]
    for kind, text in _BY_KIND:
        if isinstance(exc, kind):
            return f"{text} (Fehlercode {exc.reason})"
    return german_reason(exc.reason)


def rerender_notice(count: int) -> str:
    """ "1 Artikel wird neu vertont" / "3 Artikel werden neu vertont"."""
    if count == 1:
        return "1 Artikel wird neu vertont"
    return f"{count} Artikel werden neu vertont"
