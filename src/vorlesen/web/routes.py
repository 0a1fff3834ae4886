"""The pages: the demo article (``/demo/{source_id}``) and the newsroom (``/admin``).

Server-rendered with Jinja2 (autoescaped: every article, feedback and lexicon text is
escaped), each page sent with a strict Content-Security-Policy — scripts and styles only
from this origin's ``/static``, no inline code, no third parties. The newsroom logs in with
an API token (from ``VORLESEN_API_TOKENS`` or ``vorlesen token create``); the HttpOnly,
SameSite=Strict cookie then holds a random session id whose hash the database keeps with
an expiry (logout and revoking the token end it). Failed logins are throttled per client;
state-changing forms (logout too) also check the ``Origin`` header.
The player itself talks only to the public JSON API.
"""

from __future__ import annotations

import hmac
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode, urlsplit

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from vorlesen.cleantext import clean_text
from vorlesen.errors import InputError, RateLimitError, VorlesenError
from vorlesen.http.deps import ServiceDep, client_key
from vorlesen.lexicon import (
    LexEntry,
    dump_pls,
    make_entry,
    parse_pls,
    validate_ipa,
)
from vorlesen.service.auth import guarded_token_state
from vorlesen.service.container import Service
from vorlesen.service.feedback import revision_timings
from vorlesen.service.lexicon import (
    check_for_voice,
    lexicon_from_records,
    rerender_touched,
    save_entries,
    voice_phonemes,
)
from vorlesen.service.preview import preview_entry
from vorlesen.store.db import FeedbackRecord, hash_token
from vorlesen.web.charts import line_chart, stacked_bar_chart
from vorlesen.web.messages import REASONS, german_message, german_reason, rerender_notice
from vorlesen.web.queries import (
    feedback_per_day,
    last_renders,
    recent_renders,
    renders_per_day,
)
from vorlesen.web.view import article_view

__all__ = ["BODY_LIMITS", "COOKIE", "CSP", "STATIC_DIR", "error_page", "router", "word_to_fix"]

router = APIRouter(include_in_schema=False)

STATIC_DIR = Path(__file__).resolve().parent / "static"
"""The player and the pages' assets, served at ``/static`` (:mod:`vorlesen.server`)."""

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self' blob:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
"""No inline script or style, nothing from other origins; ``blob:`` media for previews."""

COOKIE = "vorlesen_admin"
"""Holds the editor's session id (HttpOnly, SameSite=Strict, path /admin), never the token."""

COOKIE_MAX_AGE = 12 * 3600
"""An editor logs in once per working day; the server-side session expires with it."""

MAX_PLS_UPLOAD = 5 * 1024 * 1024
"""Largest PLS import accepted from the form (the lexicon parser caps it too)."""

PLS_FORM_OVERHEAD = 64 * 1024
"""Room for what the upload form adds around the file (multipart boundaries, part headers,
the file name): a file just under ``MAX_PLS_UPLOAD`` still reaches the route, which says
in German what is too large, instead of the request limit answering first."""

BODY_LIMITS = {"/admin/lexicon/import": MAX_PLS_UPLOAD + PLS_FORM_OVERHEAD}
"""Request body limits of forms that need more than ``VORLESEN_MAX_REQUEST_BYTES`` may
allow (the larger of the two applies)."""

KIND_NAMES = {"alias": "Umschreibung", "ipa": "IPA-Lautschrift", "lang": "Sprache"}
"""The lexicon's entry kinds as the newsroom names them (the form's words)."""

_STATUS_MESSAGES = {
    400: "Die Anfrage war fehlerhaft.",
    401: "Bitte melden Sie sich an.",
    403: "Das ist nicht erlaubt.",
    404: "Diese Seite gibt es nicht.",
    405: "Diese Seite kann so nicht aufgerufen werden.",
    413: (
        "Die gesendeten Daten sind zu groß. Eine Lexikon-Datei darf höchstens "
        f"{MAX_PLS_UPLOAD // (1024 * 1024)} MB groß sein."
    ),
    422: "Das Formular war unvollständig oder fehlerhaft. Bitte noch einmal versuchen.",
    429: "Zu viele Anfragen. Bitte etwas später noch einmal versuchen.",
    500: "Ein interner Fehler ist aufgetreten. Bitte später noch einmal versuchen.",
}
"""What an editor reads for an error the newsroom's own handlers do not catch."""

CATEGORY_NAMES = {
    "pronunciation": "Aussprache",
    "number": "Zahl/Datum",
    "wrong_text": "Falscher Text",
    "voice": "Stimme/Tempo",
    "other": "Sonstiges",
}

STATUS_NAMES = {
    "queued": "wartet",
    "rendering": "wird erstellt",
    "ready": "fertig",
    "failed": "fehlgeschlagen",
}

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _html(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a template with the security headers every page gets."""
    body = _templates.get_template(name).render(
        category_names=CATEGORY_NAMES,
        status_names=STATUS_NAMES,
        kind_names=KIND_NAMES,
        german_reason=german_reason,
        **context,
    )
    return HTMLResponse(body, status_code=status, headers=_security_headers())


def error_page(status: int, reason: str) -> HTMLResponse:
    """The newsroom's German page for an error met under ``/admin`` (the app's handlers
    call it there instead of answering JSON): the reason's sentence when the newsroom
    knows it, else the status's."""
    if reason in REASONS:
        message = REASONS[reason]
    else:
        fallback = _STATUS_MESSAGES[500 if status >= 500 else 400]
        message = _STATUS_MESSAGES.get(status, fallback)
    return _html("admin/error.html", status=status, message=message, lang="de", reason=reason)


def _security_headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }


def _lang(lang: str | None) -> str:
    return "en" if (lang or "").lower().startswith("en") else "de"


# -- demo page --------------------------------------------------------------------------


@router.get("/demo/{source_id}", response_class=HTMLResponse)
def demo_page(
    source_id: str, service: ServiceDep, lang: Annotated[str | None, Query()] = None
) -> HTMLResponse:
    """The article as a publisher would show it, with the player and follow-along on."""
    language = _lang(lang)
    try:
        article = service.store.get_article(source_id)
    except InputError:
        return _html("demo_missing.html", status=404, lang=language, source_id=source_id)
    timings = revision_timings(service.blobs, source_id, article.ready_revision)
    view = article_view(timings) if timings else None
    title = (view.title if view else None) or article.title or article.payload.get("title")
    return _html(
        "demo.html",
        lang=language,
        source_id=source_id,
        article=article,
        view=view,
        title=title or source_id,
    )


# -- newsroom: login --------------------------------------------------------------------


def _editor(request: Request, service: Service) -> bool:
    """Whether the cookie names a live session: not expired or logged out, and the token it
    was opened with is still valid (a stored one not revoked, an env one still configured)."""
    session = service.store.check_admin_session(request.cookies.get(COOKIE, ""))
    if session is None:
        return False
    if session.token_id is not None:
        return True
    configured = False
    for token in service.env_tokens:
        configured |= hmac.compare_digest(hash_token(token), session.token_hash)
    return configured


def _same_origin(request: Request) -> bool:
    """A form post must come from our own pages (CSRF defence besides SameSite)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", request.url.netloc)


def _to_login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/admin/login?{urlencode({'next': target})}", status_code=303)


def _safe_next(target: str | None) -> str:
    """Only redirect to newsroom pages after login (no open redirect)."""
    if target and target.startswith("/admin") and not target.startswith("//"):
        return target
    return "/admin"


@router.get("/admin/login", response_class=HTMLResponse)
def login_form(next: Annotated[str | None, Query()] = None) -> HTMLResponse:
    return _html("admin/login.html", next=_safe_next(next), error=None, lang="de")


@router.post("/admin/login", response_model=None)
def login(
    request: Request,
    service: ServiceDep,
    token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/admin",
) -> Response:
    if not _same_origin(request):
        return _html(
            "admin/login.html",
            status=403,
            next="/admin",
            lang="de",
            error="Die Anmeldung kam nicht von dieser Seite.",
        )
    secret = token.strip()
    try:
        state = guarded_token_state(service, client_key(request), secret)
    except RateLimitError as exc:
        page = _html(
            "admin/login.html",
            status=429,
            next=_safe_next(next),
            lang="de",
            error=(
                "Zu viele fehlgeschlagene Anmeldungen von diesem Rechner. Bitte in "
                f"{exc.retry_after_s} Sekunden noch einmal versuchen."
            ),
        )
        page.headers["Retry-After"] = str(exc.retry_after_s)
        return page
    if state != "valid":
        return _html(
            "admin/login.html",
            status=401,
            next=_safe_next(next),
            lang="de",
            error="Dieses Token ist nicht gültig.",
        )
    session_id = service.store.create_admin_session(
        secret, service.store.token_id(secret), COOKIE_MAX_AGE
    )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE,
        session_id,
        max_age=COOKIE_MAX_AGE,
        path="/admin",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/admin/logout", response_model=None)
def logout(request: Request, service: ServiceDep) -> Response:
    """End the session on the server (a copied cookie dies too), then in the browser."""
    if not _same_origin(request):
        return _html(
            "admin/error.html",
            status=403,
            lang="de",
            message="Die Abmeldung kam nicht von dieser Seite.",
        )
    service.store.revoke_admin_session(request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/admin/login", status_code=303)
    response.delete_cookie(COOKIE, path="/admin")
    return response


# -- newsroom: articles and charts --------------------------------------------------------


@router.get("/admin", response_class=HTMLResponse, response_model=None)
def admin_articles(request: Request, service: ServiceDep) -> Response:
    """Articles with status, render numbers, listens and feedback; charts below."""
    if not _editor(request, service):
        return _to_login(request)
    stats, total = service.store.list_articles_with_stats(limit=200)
    renders = last_renders(service.store, [s.article.source_id for s in stats])
    fb = feedback_per_day(service.store)
    rd = renders_per_day(service.store)
    points = recent_renders(service.store)
    charts = {
        "feedback": stacked_bar_chart(
            fb.days, fb.series, names=CATEGORY_NAMES, label="Feedback pro Tag nach Kategorie"
        ),
        "renders": stacked_bar_chart(
            rd.days,
            rd.series,
            names={"ready": "fertig", "failed": "fehlgeschlagen"},
            label="Vertonungen pro Tag",
        ),
        "rtf": line_chart(
            [(p.finished_at.strftime("%d.%m. %H:%M"), p.rtf) for p in points],
            label="Echtzeitfaktor (Rechenzeit / Audiodauer)",
        ),
    }
    return _html(
        "admin/articles.html",
        stats=stats,
        total=total,
        renders=renders,
        charts=charts,
        active="articles",
        lang="de",
    )


# -- newsroom: feedback inbox ---------------------------------------------------------------


@dataclass
class _SentenceGroup:
    """Feedback items about one sentence (or about no particular sentence)."""

    utterance: int | None
    written: str | None
    spoken: str | None
    start: float | None
    end: float | None
    items: list[FeedbackRecord]
    words: dict[int, _HeardWord] = field(default_factory=dict)
    """Feedback id → the word the listener pointed at (the player sends its start time)."""


@dataclass(frozen=True)
class _HeardWord:
    """A written word a listener's report points at, and where it is heard now."""

    written: str
    start: float | None
    end: float | None
    """Its span in the audio now served (``None`` when that no longer reads it)."""


def _word_at(timings: dict[str, Any] | None, utterance: int, time_s: float) -> int | None:
    """Position in utterance ``utterance``'s words of the one begun by ``time_s``."""
    for u in (timings or {}).get("utterances", []):
        if u.get("index") != utterance:
            continue
        found = None
        for k, w in enumerate(u.get("words") or []):
            # the player sends the word's start rounded to ms, as the timings hold it
            if float(w.get("start", 0.0)) <= time_s + 0.0005:
                found = k
        return found
    return None


@dataclass
class _ArticleGroup:
    source_id: str
    title: str
    audio: str | None
    sentences: list[_SentenceGroup]
    written: list[str]
    """Every sentence of the article now served (where a word a listener names is
    looked up when the sentence reported lacks it)."""

    def fix_query(
        self,
        sentence: str | None,
        message: str | None,
        feedback: int,
        heard: _HeardWord | None = None,
    ) -> str:
        """The query of the "Aussprache korrigieren" link: the word to fix, a sentence
        that contains it (the one reported, else the article's first with it), the item.

        The word is the one the listener's message names (in the sentence, else in the
        article), else the word the listener pointed at in the player (exactly as
        written), else the sentence's longest word."""
        article = "\n".join(self.written)
        named = _named_in(sentence, message) or _named_in(article, message) if message else None
        word = named or (heard.written if heard is not None else None)
        word = word or word_to_fix(sentence, message, article)
        context = sentence or ""
        if word and not _has_word(context, word):
            context = next((w for w in self.written if _has_word(w, word)), context)
        query: dict[str, str | int | float] = {
            "grapheme": word,
            "sentence": context,
            "feedback": feedback,
        }
        if heard is not None and heard.written == word and heard.start is not None:
            # where the word is heard now, so the fix form can play it as listeners hear it
            query.update(article=self.source_id, start=heard.start, end=heard.end or heard.start)
        return urlencode(query)


def _group_feedback(service: Service, items: list[FeedbackRecord]) -> list[_ArticleGroup]:
    """Feedback grouped by article, then by sentence, with each sentence's place in the
    audio now served (so its play button plays exactly that sentence)."""
    by_article: OrderedDict[str, list[FeedbackRecord]] = OrderedDict()
    for item in items:
        by_article.setdefault(item.source_id, []).append(item)
    groups: list[_ArticleGroup] = []
    for source_id, records in by_article.items():
        try:
            article = service.store.get_article(source_id)
            title = article.title or source_id
            revision = article.ready_revision
        except InputError:
            title, revision = f"{source_id} (gelöscht)", None
        timings = revision_timings(service.blobs, source_id, revision)
        utterances = {u.get("index"): u for u in (timings or {}).get("utterances", [])}
        heard_in: dict[int | None, dict[str, Any] | None] = {revision: timings}
        sentences: OrderedDict[int | None, _SentenceGroup] = OrderedDict()
        for record in records:
            group = sentences.get(record.utterance)
            if group is None:
                u = utterances.get(record.utterance) if record.utterance is not None else None
                # The sentence as the listener heard it; the current audio's timing only if
                # that sentence still reads the same.
                same = u is not None and record.written in (None, u.get("written"))
                group = _SentenceGroup(
                    utterance=record.utterance,
                    written=record.written or (u.get("written") if u else None),
                    spoken=record.spoken or (u.get("spoken") if u else None),
                    start=float(u["start"]) if same and u else None,
                    end=float(u["end"]) if same and u else None,
                    items=[],
                )
                sentences[record.utterance] = group
            group.items.append(record)
            heard = _heard_word(service, source_id, record, heard_in, utterances)
            if heard is not None:
                group.words[record.id] = heard
        audio = (
            f"/api/articles/{source_id}/audio.mp3?v={revision}" if revision is not None else None
        )
        written = [str(u.get("written") or "") for u in utterances.values()]
        groups.append(_ArticleGroup(source_id, title, audio, list(sentences.values()), written))
    return groups


def _heard_word(
    service: Service,
    source_id: str,
    record: FeedbackRecord,
    heard_in: dict[int | None, dict[str, Any] | None],
    served: dict[Any, dict[str, Any]],
) -> _HeardWord | None:
    """The written word at the report's time in the revision the listener heard, and its
    span in the audio now served when that still reads the same sentence."""
    if record.utterance is None or record.time_s is None:
        return None
    if record.revision not in heard_in:
        heard_in[record.revision] = revision_timings(service.blobs, source_id, record.revision)
    timings = heard_in[record.revision]
    k = _word_at(timings, record.utterance, record.time_s)
    if k is None or timings is None:
        return None
    then = next(u for u in timings["utterances"] if u.get("index") == record.utterance)
    if record.written not in (None, then.get("written")):
        return None
    word = then["words"][k]
    now = served.get(record.utterance)
    now_words = (now or {}).get("words") or []
    same = (
        now is not None
        and now.get("written") == then.get("written")
        and k < len(now_words)
        and now_words[k].get("written") == word.get("written")
    )
    return _HeardWord(
        written=str(word.get("written") or ""),
        start=float(now_words[k]["start"]) if same else None,
        end=float(now_words[k]["end"]) if same else None,
    )


_WORD = re.compile(r"\w+(?:['’-]\w+)*")
"""A word: letters and digits, with inner apostrophes or hyphens ("Rheinland-Pfalz")."""

_QUOTED = re.compile(r"[„“”\"'‚‘»«›‹]\s*(\w+(?:['’-]\w+)*)\s*[“”\"'‘’«»‹›]")
"""A word the listener put in quotes ("„Cranzahl“ klingt falsch")."""


def _named_in(text: str | None, message: str) -> str | None:
    """The word of ``text`` that ``message`` names: a quoted one first, else the longest
    (as ``text`` spells it); None when the message names none of its words."""
    by_fold: dict[str, str] = {}
    for word in _WORD.findall(text or ""):
        by_fold.setdefault(word.casefold(), word)
    for quoted in _QUOTED.findall(message):
        if quoted.casefold() in by_fold:
            return by_fold[quoted.casefold()]
    # Short words a message shares with any text ("der", "ist") say nothing.
    named = [by_fold[w.casefold()] for w in _WORD.findall(message) if w.casefold() in by_fold]
    named = [w for w in named if len(w) > 3]
    return max(named, key=len) if named else None


def _has_word(text: str, word: str) -> bool:
    folded = word.casefold()
    return any(w.casefold() == folded for w in _WORD.findall(text))


def word_to_fix(
    sentence: str | None, message: str | None = None, article_text: str | None = None
) -> str:
    """A guess at the word to fix: the word of ``sentence`` the listener's ``message``
    names; else one of the article it names (the listener often reports a sentence
    late); else the sentence's longest word (names are long)."""
    if message:
        for text in (sentence, article_text):
            named = _named_in(text, message)
            if named:
                return named
    words = _WORD.findall(sentence or "")
    return max(words, key=len) if words else ""


@router.get("/admin/feedback", response_class=HTMLResponse, response_model=None)
def admin_feedback(
    request: Request,
    service: ServiceDep,
    status: Annotated[str, Query()] = "open",
) -> Response:
    if not _editor(request, service):
        return _to_login(request)
    wanted = status if status in ("open", "done") else None
    items, total = service.store.list_feedback(status=wanted, limit=500)
    return _html(
        "admin/feedback.html",
        groups=_group_feedback(service, items),
        total=total,
        show=status,
        active="feedback",
        lang="de",
    )


@router.post("/admin/feedback/{feedback_id}/status", response_model=None)
def admin_feedback_status(
    feedback_id: int,
    request: Request,
    service: ServiceDep,
    status: Annotated[str, Form()] = "done",
) -> Response:
    if not _editor(request, service) or not _same_origin(request):
        return _to_login(request)
    try:
        service.store.set_feedback_status(feedback_id, status)
    except InputError as exc:
        return _html("admin/error.html", status=404, message=german_message(exc), lang="de")
    return RedirectResponse("/admin/feedback", status_code=303)


# -- newsroom: lexicon ------------------------------------------------------------------------


def _entry_error(service: Service, exc: VorlesenError, entry: LexEntry | None) -> str:
    """``exc`` in German for the editor; IPA the voice cannot speak names its symbols."""
    text = german_message(exc)
    if exc.reason == "ipa_unsupported" and entry is not None:
        bad = validate_ipa(entry.value, voice_phonemes(service.settings, entry.voice))
        if bad:
            listed = ", ".join(f"„{sym}“ (U+{ord(sym):04X})" for sym in sorted(bad))
            text = f"{text} Nicht sprechbar: {listed}."
    return text


_LEXEME = re.compile(r"\blexeme (\d+)\b")
"""Where ``parse_pls`` says a bad entry is ("upload.pls, lexeme 3: …")."""


def _import_error(exc: VorlesenError) -> str:
    """A PLS import error in German, with the number of the entry it is about."""
    where = _LEXEME.search(exc.message)
    text = german_message(exc)
    return f"Eintrag {where.group(1)} der Datei: {text}" if where else text


@dataclass(frozen=True, slots=True)
class _EntryForm:
    """The entry fields of the lexicon form, as the save and the preview both post them."""

    grapheme: str
    kind: str
    value: str
    voice: str
    case_sensitive: bool

    def entry(self) -> LexEntry:
        """The entry as filled in (``make_entry`` checks and normalizes it)."""
        return make_entry(
            self.grapheme,
            self.kind,
            self.value,
            case_sensitive=self.case_sensitive,
            voice=self.voice.strip() or None,
        )


def _entry_form(
    grapheme: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "alias",
    value: Annotated[str, Form()] = "",
    voice: Annotated[str, Form()] = "",
    case_sensitive: Annotated[bool, Form()] = False,
) -> _EntryForm:
    # Cleaned as the API's fields are: a bidi override in a word would spoof the table.
    return _EntryForm(
        clean_text(grapheme), kind, clean_text(value), clean_text(voice), case_sensitive
    )


EntryFormDep = Annotated[_EntryForm, Depends(_entry_form)]


def _lexicon_page(
    service: Service,
    *,
    q: str = "",
    form: dict[str, Any] | None = None,
    error: str | None = None,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    entries = service.store.lexicon_entries()
    if q:
        needle = q.casefold()
        entries = [
            e for e in entries if needle in e.grapheme.casefold() or needle in e.value.casefold()
        ]
    return _html(
        "admin/lexicon.html",
        status=status,
        entries=entries,
        q=q,
        form=form or {"kind": "alias"},
        error=error,
        notice=notice,
        active="lexicon",
        lang="de",
    )


@router.get("/admin/lexicon", response_class=HTMLResponse, response_model=None)
def admin_lexicon(
    request: Request,
    service: ServiceDep,
    q: Annotated[str, Query(max_length=200)] = "",
    grapheme: Annotated[str, Query(max_length=500)] = "",
    sentence: Annotated[str, Query(max_length=2000)] = "",
    feedback: Annotated[int | None, Query()] = None,
    saved: Annotated[str, Query(max_length=500)] = "",
    rerendered: Annotated[int | None, Query()] = None,
    article: Annotated[str, Query(max_length=200)] = "",
    start: Annotated[float | None, Query(ge=0, le=24 * 3600, allow_inf_nan=False)] = None,
    end: Annotated[float | None, Query(ge=0, le=24 * 3600, allow_inf_nan=False)] = None,
) -> Response:
    if not _editor(request, service):
        return _to_login(request)
    heard = None
    if article and start is not None and end is not None and end >= start:
        try:  # the word as listeners hear it now, in the article's served audio
            revision = service.store.get_article(article).ready_revision
        except InputError:
            revision = None
        if revision is not None:
            audio = f"/api/articles/{quote(article, safe='')}/audio.mp3?v={revision}"
            heard = {"audio": audio, "start": start, "end": end}
    notice = None
    if saved:
        notice = f"„{saved}“ gespeichert; {rerender_notice(rerendered or 0)}."
    form = {
        "grapheme": grapheme,
        "kind": "alias",
        "value": "",
        "sentence": sentence,
        "feedback": feedback,
        "heard": heard,
    }
    return _lexicon_page(service, q=q, form=form, notice=notice)


@router.post("/admin/lexicon", response_class=HTMLResponse, response_model=None)
def admin_lexicon_save(
    request: Request,
    service: ServiceDep,
    fields: EntryFormDep,
    feedback: Annotated[str, Form()] = "",
) -> Response:
    """Save an entry, re-render every article it touches, close the feedback it fixes."""
    if not _editor(request, service) or not _same_origin(request):
        return _to_login(request)
    form = {
        "grapheme": fields.grapheme,
        "kind": fields.kind,
        "value": fields.value,
        "voice": fields.voice,
        "case_sensitive": fields.case_sensitive,
        "feedback": feedback,
    }
    entry: LexEntry | None = None
    try:
        entry = fields.entry()
        check_for_voice(service.settings, entry)
        _, rerendered = save_entries(service.store, service.queue, [entry])
        if feedback.isdigit():
            service.store.set_feedback_status(int(feedback), "done")
    except VorlesenError as exc:
        error = _entry_error(service, exc, entry)
        return _lexicon_page(service, form=form, error=error, status=422)
    query = urlencode({"saved": entry.grapheme, "rerendered": len(rerendered)})
    return RedirectResponse(f"/admin/lexicon?{query}", status_code=303)


@router.post("/admin/lexicon/preview", response_model=None)
def admin_lexicon_preview(
    request: Request,
    service: ServiceDep,
    fields: EntryFormDep,
    sentence: Annotated[str, Form()] = "",
) -> Response:
    """WAV of the word spoken with the entry as filled in, then of the feedback's sentence
    when the entry applies to it. ``X-Vorlesen-Spoken`` lists what is said, one
    percent-encoded line per utterance, so the page can show it next to the audio."""
    if not _editor(request, service) or not _same_origin(request):
        return Response("Nicht angemeldet.", status_code=401, media_type="text/plain")
    entry: LexEntry | None = None
    try:
        entry = fields.entry()
        check_for_voice(service.settings, entry)
        stored = lexicon_from_records(service.store.lexicon_entries())
        preview = preview_entry(entry, stored, settings=service.settings, sentence=sentence)
    except VorlesenError as exc:
        return Response(
            _entry_error(service, exc, entry),
            status_code=422,
            media_type="text/plain; charset=utf-8",
        )
    return Response(
        preview.wav,
        media_type="audio/wav",
        headers={
            "Cache-Control": "no-store",
            "X-Vorlesen-Spoken": quote("\n".join(preview.spoken)),
            "X-Vorlesen-Preview": "word+sentence" if preview.with_sentence else "word",
        },
    )


@router.post("/admin/lexicon/{entry_id}/delete", response_model=None)
def admin_lexicon_delete(entry_id: int, request: Request, service: ServiceDep) -> Response:
    if not _editor(request, service) or not _same_origin(request):
        return _to_login(request)
    try:
        record = service.store.delete_lexicon_entry(entry_id)
        rerender_touched(service.store, service.queue, lexicon_from_records([record]))
    except VorlesenError as exc:
        return _lexicon_page(service, error=german_message(exc), status=404)
    return RedirectResponse("/admin/lexicon", status_code=303)


@router.get("/admin/lexicon.pls", response_model=None)
def admin_lexicon_export(request: Request, service: ServiceDep) -> Response:
    """The publisher lexicon as a W3C PLS file."""
    if not _editor(request, service):
        return _to_login(request)
    data = dump_pls(lexicon_from_records(service.store.lexicon_entries()))
    return Response(
        data,
        media_type="application/pls+xml",
        headers={
            "Content-Disposition": 'attachment; filename="lexikon.pls"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/admin/lexicon/import", response_class=HTMLResponse, response_model=None)
async def admin_lexicon_import(
    request: Request,
    service: ServiceDep,
    file: Annotated[UploadFile, File()],
) -> Response:
    """Add (or replace) entries from an uploaded PLS file, re-rendering what they touch."""
    if not _editor(request, service) or not _same_origin(request):
        return _to_login(request)
    data = await file.read(MAX_PLS_UPLOAD + 1)
    if len(data) > MAX_PLS_UPLOAD:
        error = (
            f"Die Datei ist größer als {MAX_PLS_UPLOAD // (1024 * 1024)} MB und wurde nicht "
            "importiert. Bitte das Lexikon in kleinere Dateien teilen."
        )
        return _lexicon_page(service, error=error, status=413)
    try:
        entries = parse_pls(data, source=file.filename or "upload.pls")
    except VorlesenError as exc:
        return _lexicon_page(service, error=_import_error(exc), status=422)
    for entry in entries:
        try:
            check_for_voice(service.settings, entry)
        except VorlesenError as exc:
            error = f"„{entry.grapheme}“: {_entry_error(service, exc, entry)}"
            return _lexicon_page(service, error=error, status=422)
    try:
        _, rerendered = save_entries(service.store, service.queue, entries)
    except VorlesenError as exc:
        return _lexicon_page(service, error=german_message(exc), status=422)
    count = "1 Eintrag" if len(entries) == 1 else f"{len(entries)} Einträge"
    return _lexicon_page(service, notice=f"{count} importiert; {rerender_notice(len(rerendered))}.")


# -- newsroom: sources (feeds, sitemaps) -----------------------------------------------------

SOURCE_KIND_NAMES = {
    "rss": "RSS",
    "atom": "Atom",
    "sitemap": "Sitemap",
    "sitemap_index": "Sitemap-Index",
}
"""How the newsroom names a source's kind."""


def _sources_page(
    service: Service,
    *,
    error: str | None = None,
    notice: str | None = None,
    status: int = 200,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    form = form or {}
    return _html(
        "admin/sources.html",
        status=status,
        sources=service.queue.sources.all(),
        kind_names_sources=SOURCE_KIND_NAMES,
        poll_minutes=f"{service.settings.sources_poll_s / 60:g}".replace(".", ","),
        error=error,
        notice=notice,
        form_url=form.get("url"),
        form_voice=form.get("voice"),
        form_language=form.get("language"),
        active="sources",
        lang="de",
    )


@router.get("/admin/sources", response_class=HTMLResponse, response_model=None)
def admin_sources(request: Request, service: ServiceDep) -> Response:
    """The sources: last check, articles found, errors; a form to add one."""
    if not _editor(request, service):
        return _to_login(request)
    return _sources_page(service)


@router.post("/admin/sources", response_class=HTMLResponse, response_model=None)
def admin_sources_add(
    request: Request,
    service: ServiceDep,
    url: Annotated[str, Form(max_length=2000)],
    voice: Annotated[str, Form(max_length=200)] = "",
    language: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    if not _editor(request, service) or not _same_origin(request):
        return _to_login(request)
    form = {"url": clean_text(url), "voice": clean_text(voice), "language": clean_text(language)}
    try:
        record = service.queue.sources.add(
            form["url"], voice=form["voice"] or None, language=form["language"] or None
        )
    except VorlesenError as exc:
        return _sources_page(service, error=german_message(exc), status=422, form=form)
    return _sources_page(service, notice=f"Quelle {record.url} hinzugefügt.")


@router.post("/admin/sources/{source_pk}/delete", response_model=None)
def admin_sources_delete(source_pk: int, request: Request, service: ServiceDep) -> Response:
    if not _editor(request, service) or not _same_origin(request):
        return _to_login(request)
    try:
        service.queue.sources.remove(source_pk)
    except VorlesenError as exc:
        return _sources_page(service, error=german_message(exc), status=404)
    return RedirectResponse("/admin/sources", status_code=303)
