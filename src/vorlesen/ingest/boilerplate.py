"""What is never read aloud, and what marks a dateline, as data tables.

Kept apart from the extraction code so that a new site's oddity is a new table row, not a
new branch. Everything here is generic German (and some English) news-site vocabulary; none
of it is tuned to one publisher.
"""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    """The whitespace-separated words of a table literal."""
    return frozenset(text.split())


BOILERPLATE_TOKENS: frozenset[str] = _words(
    """
    nav navi navbar navigation menu mainmenu submenu breadcrumb breadcrumbs skip skiplink
    infobox factbox poll umfrage voting
    teasergroup teaserlist teaserliste teaserbox teasergrid teaserblock teaserleiste teasers
    tweet twitter instagram tiktok mastodon bluesky threads embed embedded socialembed oembed
    cookie cookies consent cmp gdpr privacy banner
    ad ads adslot adunit adcontainer advert adverts advertisement advertising anzeige anzeigen
    werbung sponsored sponsor promo promotion commercial outbrain taboola
    related recommended recommendation recommendations empfehlung empfehlungen lesetipp
    lesetipps readmore weiterlesen morearticles
    share sharing shares social socials sharebar
    author authors autor autoren byline authorbox bio
    footer colophon
    newsletter subscribe subscription signup abo abonnieren
    comment comments kommentar kommentare discussion disqus
    caption captions figcaption credit credits copyright bildnachweis quelle
    audio player podcast vorlesen tts listen
    paywall plus premium login register registrierung
    tags tag keywords schlagworte stichworte
    sidebar rail widget toolbar popup modal overlay dialog lightbox tooltip tooltipp
    gallery slider carousel slideshow video videos
    image img photo foto fotos picture bild bilder
    print druck hidden visually sronly
    """
)
"""Class/id tokens (split on ``-``, ``_``, spaces and camelCase) that mark boilerplate."""

NAVIGATION_TOKENS: frozenset[str] = _words(
    "nav navi navbar navigation menu mainmenu submenu skip skiplink"
)
"""The tokens of navigation; on a paragraph or heading they name an anchor, not a menu."""

BOILERPLATE_PAIRS: frozenset[tuple[str, str]] = frozenset(
    {
        ("teaser", "box"),
        ("teaser", "list"),
        ("teaser", "grid"),
        ("teaser", "row"),
        ("teaser", "slider"),
        ("more", "articles"),
        ("more", "news"),
        ("read", "more"),
        ("read", "also"),
        ("also", "read"),
        ("mehr", "zum"),
        ("auch", "interessant"),
        ("top", "news"),
        ("most", "read"),
        ("meist", "gelesen"),
        ("site", "header"),
        ("media", "info"),
        ("page", "header"),
        ("site", "footer"),
        ("page", "footer"),
    }
)
"""Adjacent token pairs that mark boilerplate although each token alone does not."""

CONTENT_TOKENS: frozenset[str] = _words(
    "article artikel story content body text main post entry beitrag"
)
"""Tokens that suggest article content; they never protect against a boilerplate token."""

BOILERPLATE_ROLES: frozenset[str] = _words(
    "navigation banner contentinfo complementary search dialog alertdialog menu menubar "
    "toolbar tablist tab marquee"
)
"""ARIA roles of regions that are never the article text."""

CAPTION_TOKENS: frozenset[str] = _words(
    "caption captions figcaption credit credits copyright bildnachweis image img photo foto "
    "picture bild"
)
"""Class tokens of an image caption or credit: never part of a teaser or headline text."""

KICKER_TOKENS: frozenset[str] = _words(
    "kicker dachzeile topline overline roofline eyebrow spitzmarke supertitle pretitle "
    "overhead rubrikzeile"
)
"""Class tokens of the short line above a headline ("Generalsanierung")."""

TEASER_TOKENS: frozenset[str] = _words(
    "teaser lead lede intro introduction summary standfirst abstract excerpt vorspann subline "
    "deck dek einleitung anreisser description"
)
"""Class tokens of the lead paragraph under the headline."""

DATELINE_TOKENS: frozenset[str] = _words(
    "dateline date datum time published timestamp pubdate zeit stand"
)
"""Class tokens of the date line near the headline."""

_B = r"(?:^|\b)"

BOILERPLATE_PHRASES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.I)
    for p in (
        # the audio widget itself
        r"artikel\s+(an)?hören",
        r"audioversion|audio-?version",
        r"künstlich(e)?\s+(generiert|erzeugt|stimme)",
        r"computer-?stimme|ki-?stimme",
        r"vorlesen\s+lassen|beitrag\s+anhören",
        r"feedback\s+senden|mehr\s+infos\s*\|",
        # related boxes
        r"^(lesen\s+sie\s+(auch|mehr|dazu)|mehr\s+zum\s+thema|auch\s+interessant|"
        r"das\s+könnte\s+sie\s+(auch\s+)?interessieren|weitere\s+(artikel|nachrichten|beiträge)|"
        r"passend\s+zum\s+thema|zum\s+thema|mehr\s+dazu|lesetipps?|empfehlungen|"
        r"meistgelesen|meist\s+gelesen|top-?themen|ebenfalls\s+interessant|"
        r"read\s+more|related)\b",
        # ads
        r"^\s*(anzeige|werbung|advertisement|sponsored|gesponsert)\s*$",
        r"^(anzeige|werbung)\s*[:|–-]",
        # captions and credits
        r"^(foto|fotos|bild|bilder|grafik|illustration|quelle|video|credit|copyright)\s*:",
        r"\((foto|fotos|bild|grafik|archivbild|archivfoto)\s*:[^)]*\)\s*$",
        r"(foto|bild|grafik)\s*:\s*[\w\s/.,&-]{1,40}$",
        r"^©|©\s*\w+\s*$|alle\s+rechte\s+vorbehalten",
        # cookie banners
        r"\bcookies?\b.*\b(akzeptieren|zustimmen|einverstanden|verwenden|einstellungen)\b",
        r"datenschutz(erklärung|einstellungen|hinweis)|einwilligung\s+(widerrufen|erteilen)",
        # share rows
        r"^(artikel\s+)?(teilen|share|verschicken|drucken)\b|"
        r"^(artikel|beitrag)\s+(merken|speichern|vorlesen|kommentieren)\b",
        r"facebook.{0,20}(twitter|\bx\b|whatsapp|e-?mail)",
        r"whatsapp.{0,20}(e-?mail|telegram)",
        # newsletters, subscriptions, paywalls
        r"newsletter.{0,60}(abonnieren|anmelden|bestellen|registrieren)",
        r"jetzt\s+(abonnieren|anmelden|registrieren|testen|weiterlesen|abo)",
        r"weiterlesen\s+mit|lesen\s+sie\s+jetzt\s+weiter|nur\s+für\s+abonnenten|"
        r"exklusiv\s+für\s+(abonnenten|abonnentinnen)|bereits\s+abonnent|"
        r"mit\s+\w*\+?\s*weiterlesen|plus-?artikel|\bz\+|diesen\s+artikel\s+freischalten",
        r"\d+\s*(€|euro)\s*(im|/|pro)\s*monat|monat\s+für\s+\d",
        # comments
        # "Kommentar" alone is an opinion piece's kicker; plural or counted, a comment box
        r"^(\d+\s+)?kommentare\b|^\d+\s+kommentar\b|kommentare?\s*\(\d+\)|jetzt\s+kommentieren|"
        r"diskutieren\s+sie\s+mit|zu\s+den\s+kommentaren",
        # tags, author boxes, footers
        r"^(schlagworte|schlagwörter|stichworte|themen|tags|mehr\s+zu)\s*:",
        r"^(alle|mehr|weitere)\s+(artikel|beiträge|texte)\s+(von|des|der)\b",
        r"^[A-ZÄÖÜ][\w-]+\s+[A-ZÄÖÜ][\w-]+\s+(ist|arbeitet|schreibt)\b.{0,80}"
        r"(redakteur|reporter|korrespondent|autor|volontär)",
        r"^(impressum|kontakt|datenschutz|agb|barrierefreiheit)\b",
        # credits and captions: "© AFP / JEFF PACHOUD" at the end of a caption
        r"©[^.!?©]{0,60}$",
        # embedded social posts that lost their container
        r"pic\.twitter\.com/|https?://t\.co/|\(@\w{1,30}\)\s+\w+\s+\d{1,2},\s+\d{4}",
        # editorial inserts in brackets: "[Alle Updates finden Sie in unserem Newsblog.]"
        r"^\[[^\]]{10,}\]$",
        # notification, download and arrow links
        r"^benachrichtigung(en)?\s+(über|bei|zu)\b",
        r"➡|⇒|>>>|\s>>\s*$|\bzum\s+download\b",
        # network and programme notes under the article
        r"\bist\s+(ein\s+)?teil\s+(des|der)\s+.{0,60}(netzwerk|netzwerks|gruppe|verbund)",
        r"^über\s+dieses\s+thema\s+berichtete|^dieses\s+thema\s+im\s+programm",
        # comment sections and their legal text
        r"zum\s+seitenanfang|kommentare\s+der\s+(user|leser|nutzer)|"
        r"behält\s+sich\s+(das\s+recht\s+)?vor|netiquette|community-?richtlinien",
        # video player and app UI text
        r"zwischenablage|nutzungsbedingungen|video\s+verfügbar\s+bis",
        # magazine promos: "Dieser Beitrag stammt aus Ausgabe 7/2019 …"
        r"^(dieser|der)\s+(beitrag|artikel|text)\s+(stammt|erschien)\s+(aus|in)\s+"
        r"(der\s+)?(ausgabe|heft)|\bim\s+handel\s+(sowie|und|oder)\b|^highlights\s+aus\b",
        # appeals: donations, subscriptions, ratings, error reports, community prompts
        r"journalismus\s+braucht\s+(deine|ihre|eure)\s+unterstützung|"
        r"unterstützen\s+sie\s+(uns|unsere\s+(arbeit|aktion)|unabhängigen)|^sind\s+sie\s+dabei\?$|"
        r"wie\s+hat\s+(ihnen|dir)\s+(dieser|der|dieses)\s+\w+\s+gefallen|"
        r"^fehler\s+gefunden\?|\bteile\s+(deine|ihre)\s+\w+\s+mit\s+der\s+community|"
        r"\babonnieren\s+für\b|jetzt\s+(spenden|unterstützen)\b",
        r"newsletter.{0,200}(postfach|anmeldung|anmelden|inbox)",
        # consent placeholders of embeds, partner notes, citation lines, live-blog pointers
        r"\bist\s+eine\s+partnermarke\b|\(abgerufen\s+am\b|^zitiervorschlag\b",
        r"finden\s+sie\s+(jederzeit\s+)?(in|auf)\s+unserem\s+(live-?blog|news-?blog|live-?ticker)",
        # reading-time labels
        r"^\d+\s*(min\.?|minuten)\s*(lesezeit|lesedauer)$|^(lesezeit|lesedauer)\s*:?\s*\d+",
    )
)
"""A block matching any of these is never read (short blocks only, see ``is_boilerplate``)."""

BOX_TITLE = re.compile(
    r"^(lesen\s+sie\s+(auch|mehr)|mehr\s+zum\s+thema|auch\s+interessant|"
    r"das\s+könnte\s+sie\s+(auch\s+)?interessieren|weitere\s+(artikel|nachrichten|beiträge)|"
    r"meistgelesen|meist\s+gelesen|empfehlungen|lesetipps?|leserstimmen|leserkommentare|"
    r"leserbriefe|kommentare|diskussion|ihre\s+meinung)\b.{0,20}$",
    re.I,
)
"""The first line of a box that is related links or reader comments: the box goes whole.
Ad labels are not here: an "Anzeige" label may sit at the top of the real body."""

BOILERPLATE_MAX_CHARS = 300
"""Phrase rules only apply to blocks up to this length: a long paragraph that happens to
mention "Cookies" or "Newsletter" is article text, a short one is a widget."""

MONTHS = (
    "Januar|Jänner|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember|"
    "Jan\\.?|Feb\\.?|Mär\\.?|Apr\\.?|Jun\\.?|Jul\\.?|Aug\\.?|Sep\\.?|Sept\\.?|Okt\\.?|Nov\\.?|Dez\\.?"
)

DATE_PATTERN = re.compile(
    rf"\b\d{{1,2}}\.\s?\d{{1,2}}\.\s?(\d{{4}}|\d{{2}})\b|\b\d{{1,2}}\.\s+({MONTHS})\s+\d{{4}}\b|"
    r"\b\d{1,2}[:.]\d{2}\s*Uhr\b|\b\d{4}-\d{2}-\d{2}\b",
    re.I,
)
"""A date or a clock time as news sites print them ("14.06.2025, 08:45 Uhr")."""

AGENCY_DATELINE = re.compile(
    r"^[A-ZÄÖÜ][\wÄÖÜäöüß./ -]{1,40}\s*\((dpa|afp|ap|rtr|reuters|epd|kna|dts|sid|"
    r"[a-z]{2,5}(/[a-z]{2,5})*)\)\s*[-–—:]?\s*$",
    re.I,
)
"""A stand-alone place-and-agency line ("Berlin (dpa) –"). At a paragraph's start it stays."""


CREDIT = re.compile(r"^(von:?\s+[\w/., ]{2,30}|\(\s*[\w/., &]{1,30}\s*\))$", re.I)
"""A stand-alone credit line: "(dpa/gem)", "(SID)", "(FR mit dpa)", "Von: det/dpa"."""

TRAILING_CREDIT = re.compile(
    r"\s*\(\s*(?:[A-Za-zÄÖÜäöü]{1,6}\s*(?:/|,|&|\bmit\b|\bund\b)\s*)*"
    r"(?:dpa|afp|ap|apa|sda|kna|epd|sid|reuters|rtr|dts|ddp|kap|idea|ots|[a-zäöü]{2,5})"
    r"\s*\)\s*$",
    re.I,
)
"""Agency or author initials closing the last paragraph: "… leitete. (KNA)", "(bsc)"."""

READING_TIME = re.compile(
    r"\s*[•|·–-]?\s*(\d+\s*(min\.?|minuten)\s*(lesezeit|lesedauer)|"
    r"(lesezeit|lesedauer)\s*:?\s*\d+\s*(min\.?|minuten))",
    re.I,
)
"""A reading-time label inside a dateline ("06.11.2023, 15:20 Uhr • 2 Min. Lesezeit")."""


LEGAL_PHRASES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.I)
    for p in (
        r"kommentare\s+der\s+(user|leser|nutzer)\w*\s+geben\s+nicht",
        r"behält\s+sich\s+(das\s+recht\s+)?vor,?\s+.{0,80}kommentare",
        r"\bnutzungsbedingungen\b.{0,80}\b(kommentar|beitr)",
        # the consent placeholder of an embed
        r"einverstanden,?\s+dass\s+mir\s+(der\s+)?externe|externe[rn]?\s+inhalt\w*\s+angezeigt",
    )
)
"""Comment-section legal text: never read, however long the paragraph."""

LEGAL_MAX_CHARS = 1500


def is_boilerplate_text(text: str) -> bool:
    """True if a short block reads like a widget, caption, ad, box title or footer line."""
    text = " ".join(text.split())
    if not text:
        return False
    if len(text) <= LEGAL_MAX_CHARS and any(p.search(text) for p in LEGAL_PHRASES):
        return True
    if len(text) > BOILERPLATE_MAX_CHARS:
        return False
    return any(p.search(text) for p in BOILERPLATE_PHRASES)


def looks_like_dateline(text: str) -> bool:
    """True for a short line that is a date/time or an agency dateline."""
    text = " ".join(text.split())
    if not text or len(text) > 90:
        return False
    return bool(DATE_PATTERN.search(text) or AGENCY_DATELINE.match(text))
