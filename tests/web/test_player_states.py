"""The player's states and conveniences in a real Chromium (issue 6): the "Mehr Infos"
panel, audio that is not ready yet, an API that is down, resuming where the listener
stopped, the Media Session API, dark mode and reduced motion, AA contrast in both colour
schemes, the speed options and the ±15 s skip buttons. Screenshots go to pytest's tmp_path."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from support import free_port

from .conftest import ARTICLE, AUTH, LiveService

pytestmark = pytest.mark.slow

HOST = "document.querySelector('vorlesen-player')"
SHADOW = f"{HOST}.shadowRoot"
AUDIO = f"{SHADOW}.querySelector('audio')"
INFO_URL = "https://example.org/ki-audio"

# Records uncaught errors and the Media Session action handlers the page registers, while
# still registering them with the browser.
INSTRUMENT = """
window.__errors = [];
window.addEventListener('error', e => window.__errors.push(String(e.message)));
window.addEventListener('unhandledrejection', e => window.__errors.push(String(e.reason)));
window.__actions = {};
if (navigator.mediaSession) {
  const original = navigator.mediaSession.setActionHandler.bind(navigator.mediaSession);
  navigator.mediaSession.setActionHandler = (action, handler) => {
    window.__actions[action] = handler;
    return original(action, handler);
  };
}
"""


def _player(page: Any, selector: str) -> Any:
    return page.locator("vorlesen-player").locator(selector)


def _embed(live: LiveService, page: Any, attrs: str) -> str:
    """Serve a publisher-like page on the service's origin that embeds the player with
    ``attrs``; returns its URL."""
    url = f"{live.url}/embed-test/{abs(hash(attrs))}"
    html = (
        "<!doctype html><html lang='de'><head><meta charset='utf-8'><title>Embed</title>"
        "<script src='/static/player.js' defer></script></head><body>"
        f"<article><h1>Artikel</h1><vorlesen-player {attrs}></vorlesen-player>"
        "<p>Der Text des Artikels.</p></article></body></html>"
    )
    page.route(url, lambda route: route.fulfill(status=200, content_type="text/html", body=html))
    return url


def _new_page(browser: Any, **media: Any) -> Any:
    context = browser.new_context(viewport={"width": 900, "height": 700}, **media)
    context.add_init_script(INSTRUMENT)
    page = context.new_page()
    errors: list[str] = []
    _PAGE_ERRORS[id(page)] = errors
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page


_PAGE_ERRORS: dict[int, list[str]] = {}


def _uncaught(page: Any) -> list[str]:
    """Uncaught exceptions and unhandled rejections the page has had so far."""
    return list(_PAGE_ERRORS.get(id(page), [])) + list(page.evaluate("window.__errors"))


def _start(page: Any, live: LiveService, article: str) -> None:
    """Open the demo page, press "Artikel anhören" and pause once the audio is loaded."""
    page.goto(f"{live.url}/demo/{article}")
    _player(page, "button.listen").click()
    page.wait_for_function(
        f"() => {AUDIO}.readyState >= 1 && {AUDIO}.currentTime > 0.2", timeout=20000
    )
    page.evaluate(f"{AUDIO}.pause()")
    page.wait_for_function(f"() => {AUDIO}.paused")


# -- parsing colours and WCAG contrast -------------------------------------------------------


def _rgb(css: str) -> tuple[float, float, float]:
    """The sRGB channels (0–255) of a computed CSS colour (``rgb()``/``rgba()``/``#hex``)."""
    css = css.strip()
    if css.startswith("#"):
        hexa = css[1:]
        if len(hexa) == 3:
            hexa = "".join(c * 2 for c in hexa)
        return (int(hexa[0:2], 16), int(hexa[2:4], 16), int(hexa[4:6], 16))
    numbers = re.findall(r"[\d.]+", css)
    assert css.startswith("rgb") and len(numbers) >= 3, css
    if len(numbers) == 4:
        assert float(numbers[3]) == 1, f"translucent colour {css}: contrast undefined"
    return (float(numbers[0]), float(numbers[1]), float(numbers[2]))


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(v: float) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(_rgb(a)), _luminance(_rgb(b))), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_formula() -> None:
    assert _contrast("rgb(0, 0, 0)", "#fff") == pytest.approx(21.0)
    assert _contrast("#777", "#777") == pytest.approx(1.0)
    assert _contrast("rgb(118, 118, 118)", "rgb(255, 255, 255)") == pytest.approx(4.54, abs=0.01)


STYLES = f"""() => {{
  const root = {SHADOW};
  const css = (sel) => getComputedStyle(root.querySelector(sel));
  const host = getComputedStyle({HOST});
  const vars = {{}};
  for (const name of ['bg', 'fg', 'muted', 'accent', 'accent-fg', 'ok', 'bad']) {{
    vars[name] = host.getPropertyValue('--vp-' + name).trim();
  }}
  const sentence = document.querySelector('#artikel .vorlesen-sentence');
  const s = sentence ? getComputedStyle(sentence) : null;
  return {{
    vars,
    boxBg: css('.player').backgroundColor, boxFg: css('.player').color,
    disclosure: css('.disclosure').color, more: css('.more').color,
    listenBg: css('.listen').backgroundColor, listenFg: css('.listen').color,
    times: css('.times').color, info: css('.info').color,
    sentenceTransition: s ? s.transitionDuration : null,
    sentenceAnimation: s ? s.animationName : null,
  }};
}}"""


def _styles(
    shots: Path, browser: Any, live: LiveService, article: str, scheme: str, motion: str
) -> Any:
    page = _new_page(browser, color_scheme=scheme, reduced_motion=motion)
    page.goto(f"{live.url}/demo/{article}")
    _player(page, "button.listen").wait_for()
    page.wait_for_selector("#artikel .vorlesen-sentence")
    styles = page.evaluate(STYLES)
    if scheme == "dark":
        _player(page, "button.more").click()
        page.screenshot(path=str(shots / "player-dark.png"))
    page.context.close()
    return styles


def test_dark_mode_reduced_motion_and_contrast(
    shots: Path, browser: Any, live: LiveService, article: str
) -> None:
    light = _styles(shots, browser, live, article, "light", "no-preference")
    dark = _styles(shots, browser, live, article, "dark", "reduce")

    # Dark mode: a dark box with light text, not the light scheme.
    assert light["boxBg"] != dark["boxBg"] and light["boxFg"] != dark["boxFg"]
    assert _luminance(_rgb(dark["boxBg"])) < 0.05 < _luminance(_rgb(light["boxBg"]))
    assert _luminance(_rgb(dark["boxFg"])) > 0.5 > _luminance(_rgb(light["boxFg"]))

    # Reduced motion: the follow-along highlight fades normally, jumps with "reduce".
    assert light["sentenceTransition"] not in (None, "0s")
    assert dark["sentenceTransition"] == "0s"
    assert dark["sentenceAnimation"] == "none"

    for scheme, s in (("light", light), ("dark", dark)):
        pairs = {
            "text": (s["boxFg"], s["boxBg"]),
            "disclosure": (s["disclosure"], s["boxBg"]),
            "Mehr Infos link": (s["more"], s["boxBg"]),
            "times": (s["times"], s["boxBg"]),
            "info panel": (s["info"], s["boxBg"]),
            "listen button": (s["listenFg"], s["listenBg"]),
            "feedback ok": (s["vars"]["ok"], s["vars"]["bg"]),
            "feedback failed": (s["vars"]["bad"], s["vars"]["bg"]),
        }
        for name, (fg, bg) in pairs.items():
            ratio = _contrast(fg, bg)
            assert ratio >= 4.5, f"{scheme} {name}: {fg} on {bg} is {ratio:.2f}:1"


def test_info_panel_names_voice_and_links(
    shots: Path, browser: Any, live: LiveService, article: str
) -> None:
    state = httpx.get(f"{live.url}/api/articles/{article}").json()
    page = _new_page(browser)
    page.goto(_embed(live, page, f'article="{article}" info-url="{INFO_URL}"'))
    more = _player(page, "button.more")
    more.wait_for()
    _player(page, "button.listen").wait_for()
    panel = _player(page, ".info")
    assert not panel.is_visible()
    assert more.get_attribute("aria-expanded") == "false"
    more.click()
    assert panel.is_visible()
    assert more.get_attribute("aria-expanded") == "true"
    text = panel.inner_text()
    assert "Über diese Audioversion" in text
    assert state["engine"] == "espeak"
    # Named as a listener understands it, not by its code ("de").
    assert "Gelesen von der künstlichen Stimme eSpeak NG (synthetisch)." in text
    assert f"„{state['voice']}“" not in text
    assert "Vorgelesen wird der Text des Artikels" in text
    link = _player(page, "a.info-link")
    assert link.is_visible() and link.get_attribute("href") == INFO_URL
    page.screenshot(path=str(shots / "player-info.png"))
    page.keyboard.press("Escape")  # focus is on the button: Escape closes the panel
    assert not panel.is_visible()
    assert more.get_attribute("aria-expanded") == "false"

    # Without info-url there is no dangling link.
    page.goto(f"{live.url}/demo/{article}")
    _player(page, "button.more").click()
    assert _player(page, ".info").is_visible()
    assert not _player(page, "a.info-link").is_visible()
    assert _uncaught(page) == []
    page.context.close()


def test_not_ready_then_ready_without_reload(
    shots: Path, browser: Any, live: LiveService, monkeypatch: pytest.MonkeyPatch
) -> None:
    source_id = "noch-nicht-fertig"
    monkeypatch.setattr(live.service.queue, "run_pending", lambda limit=1000: 0)  # worker paused
    body = {**ARTICLE, "title": "Ein Artikel, der noch vertont wird", "text": "Kurz und gut."}
    response = httpx.put(f"{live.url}/api/articles/{source_id}", json=body, headers=AUTH)
    assert response.status_code == 202, response.text
    page = _new_page(browser)
    page.goto(f"{live.url}/demo/{source_id}")
    pending = _player(page, ".pending")
    pending.wait_for()
    assert "wird gerade erstellt" in pending.inner_text()
    assert not _player(page, "button.listen").is_visible()
    assert not _player(page, ".controls").is_visible()
    assert _player(page, ".disclosure").is_visible()
    page.screenshot(path=str(shots / "player-pending.png"))
    assert httpx.get(f"{live.url}/api/articles/{source_id}").json()["status"] == "queued"

    monkeypatch.undo()  # the worker renders it now
    live.wait_ready(source_id)
    listen = _player(page, "button.listen")
    listen.wait_for(timeout=20000)  # the player retried by itself: no reload
    assert not pending.is_visible()
    assert ":" in _player(page, ".listen-duration").inner_text()
    listen.click()
    page.wait_for_function(f"() => {AUDIO}.currentTime > 0.2", timeout=20000)
    assert _uncaught(page) == []
    page.context.close()


def test_api_down_shows_nothing_broken(browser: Any, live: LiveService) -> None:
    port = free_port()
    page = _new_page(browser)
    attempts: list[str] = []
    page.on("requestfailed", lambda r: attempts.append(r.url) if str(port) in r.url else None)
    page.goto(_embed(live, page, f'article="x" api="http://127.0.0.1:{port}" info-url="/i"'))
    page.wait_for_function(f"() => {SHADOW} && {SHADOW}.querySelector('.player')")
    page.wait_for_timeout(3600)  # the first look and the first retry (after 3 s)
    assert len(attempts) >= 2, attempts
    assert page.evaluate(f"{SHADOW}.querySelector('.player').hidden") is True
    box = page.locator("vorlesen-player").bounding_box()
    assert box is not None and box["height"] == 0  # takes no room, shows no broken controls
    assert page.locator("vorlesen-player").inner_text() == ""
    assert "Der Text des Artikels." in page.inner_text("article")
    assert _uncaught(page) == []
    page.context.close()


def test_resume_after_reload(browser: Any, live: LiveService, article: str) -> None:
    page = _new_page(browser)
    _start(page, live, article)
    page.evaluate(f"{AUDIO}.currentTime = 5.4")
    page.wait_for_function(f"() => !{AUDIO}.seeking")
    page.evaluate(f"{AUDIO}.play().then(() => {AUDIO}.pause())")
    page.wait_for_function(f"() => {AUDIO}.paused && {AUDIO}.currentTime >= 5")
    saved = page.evaluate(
        "Object.keys(localStorage).filter(k => k.startsWith('vorlesen:'))"
        ".map(k => [k, localStorage.getItem(k)])"
    )
    assert len(saved) == 1 and f":{article}:" in saved[0][0], saved
    assert int(saved[0][1]) == 5

    page.reload()
    _player(page, "button.listen").click()
    page.wait_for_function(f"() => !{AUDIO}.paused && {AUDIO}.currentTime > 0", timeout=20000)
    # Screen readers hear where playback resumes, together with the state change.
    live_region = _player(page, "div.sr-only[role=status]")
    page.wait_for_function(
        "el => el.textContent.includes('Fortsetzung bei 0:05')",
        arg=live_region.element_handle(),
    )
    page.evaluate(f"{AUDIO}.pause()")
    assert page.evaluate(f"{AUDIO}.currentTime") == pytest.approx(5, abs=1.5)  # not from 0
    page.evaluate(f"{AUDIO}.pause()")
    page.context.close()


def test_media_session_speeds_and_skip(browser: Any, live: LiveService, article: str) -> None:
    page = _new_page(browser)
    _start(page, live, article)
    title = page.locator("#artikel h1").inner_text()
    meta = page.evaluate(
        "({title: navigator.mediaSession.metadata.title,"
        " artist: navigator.mediaSession.metadata.artist,"
        " state: navigator.mediaSession.playbackState, actions: Object.keys(window.__actions)})"
    )
    assert meta["title"] == title == ARTICLE["title"]
    assert meta["artist"].strip()
    assert meta["state"] == "paused"
    assert {"play", "pause", "seekbackward", "seekforward", "seekto"} <= set(meta["actions"])

    options = _player(page, "select.speed option")
    assert [options.nth(i).get_attribute("value") for i in range(options.count())] == [
        "0.75",
        "1",
        "1.25",
        "1.5",
        "2",
    ]
    assert options.all_inner_texts() == ["0,75×", "1×", "1,25×", "1,5×", "2×"]
    assert _player(page, "select.speed").input_value() == "1"
    for value in ("0.75", "1.25", "2", "1"):
        _player(page, "select.speed").select_option(value)
        assert page.evaluate(f"{AUDIO}.playbackRate") == float(value)

    duration = page.evaluate(f"{AUDIO}.duration")
    assert duration > 18, duration
    page.evaluate(f"{AUDIO}.currentTime = 1")
    _player(page, "button.skip.forward").click()
    assert page.evaluate(f"{AUDIO}.currentTime") == pytest.approx(16, abs=0.05)
    _player(page, "button.skip.back").click()
    assert page.evaluate(f"{AUDIO}.currentTime") == pytest.approx(1, abs=0.05)
    _player(page, "button.skip.back").click()  # not before the start
    assert page.evaluate(f"{AUDIO}.currentTime") == 0

    # The lock screen's handlers drive the same audio.
    page.evaluate("window.__actions.seekforward({action: 'seekforward'})")
    assert page.evaluate(f"{AUDIO}.currentTime") == pytest.approx(15, abs=0.05)
    page.evaluate("window.__actions.seekto({action: 'seekto', seekTime: 3})")
    assert page.evaluate(f"{AUDIO}.currentTime") == pytest.approx(3, abs=0.05)
    page.evaluate("window.__actions.play({action: 'play'})")
    page.wait_for_function(f"() => !{AUDIO}.paused")
    page.evaluate("window.__actions.pause({action: 'pause'})")
    page.wait_for_function(f"() => {AUDIO}.paused")
    assert _uncaught(page) == []
    page.context.close()


def test_escape_closes_the_dialog_before_the_info_panel(
    browser: Any, live: LiveService, article: str
) -> None:
    """Esc closes what is on top: the feedback dialog first, the info panel behind it next."""
    page = _new_page(browser)
    _start(page, live, article)
    _player(page, "button.more").click()
    panel = _player(page, ".info")
    assert panel.is_visible()
    _player(page, "button.feedback").click()
    dialog = _player(page, "dialog.fb-dialog")
    assert dialog.is_visible()

    page.keyboard.press("Escape")
    assert not dialog.is_visible()  # one Escape for the dialog
    assert panel.is_visible()  # the panel behind it stays
    assert _player(page, "button.more").get_attribute("aria-expanded") == "true"

    page.keyboard.press("Escape")
    assert not panel.is_visible()
    assert _player(page, "button.more").get_attribute("aria-expanded") == "false"
    assert _uncaught(page) == []
    page.context.close()


def _listen_label(page: Any) -> tuple[str, str]:
    """The listen button's accessible name as Chromium computes it (what a screen reader
    says and a voice-control user calls it by) and the duration it shows."""
    listen = _player(page, "button.listen")
    listen.wait_for()
    page.wait_for_function(
        "() => document.querySelector('vorlesen-player').shadowRoot"
        ".querySelector('.listen-spoken').textContent !== ''"
    )
    match = re.fullmatch(r'- button "(.*)"', listen.aria_snapshot())
    assert match, listen.aria_snapshot()
    # Chromium puts a space between the button's flex items ("anhören , 5 Min."): the
    # same words either way.
    return re.sub(r"\s+,", ",", match.group(1)), _player(page, ".listen-duration").inner_text()


def _spoken_seconds(label: str) -> int:
    """Seconds named by an accessible name such as "…, 5 Min. 1 Sek." or "…, 5 min 1 s"."""
    match = re.search(r"(?:(\d+) (?:Min\.|min) )?(\d+) (?:Sek\.|s)$", label)
    assert match, label
    return int(match.group(1) or 0) * 60 + int(match.group(2))


def _clock_seconds(clock: str) -> int:
    minutes, seconds = clock.split(":")
    return int(minutes) * 60 + int(seconds)


def test_listen_label_names_the_time_shown(browser: Any, live: LiveService, article: str) -> None:
    """The button's accessible name starts with its visible text "Artikel anhören" (WCAG
    2.5.3) and says the visible duration, rounded the same way."""
    page = _new_page(browser)
    api = f"{live.url}/api/articles/{article}"

    def longer(route: Any) -> None:
        state = route.fetch().json()
        state["duration_s"] = 301.6  # shown as 5:01, so said as 5 minutes 1 second
        route.fulfill(json=state)

    page.route(api, longer)
    page.goto(f"{live.url}/demo/{article}")
    label, shown = _listen_label(page)
    assert shown == "5:01"
    assert label == "Artikel anhören, 5 Min. 1 Sek."
    page.goto(f"{live.url}/demo/{article}?lang=en")
    label, shown = _listen_label(page)
    assert (shown, label) == ("5:01", "Listen to article, 5 min 1 s")

    page.unroute(api)  # the real article agrees with itself too
    page.goto(f"{live.url}/demo/{article}")
    label, shown = _listen_label(page)
    assert _spoken_seconds(label) == _clock_seconds(shown)
    page.context.close()


ENGLISH = {
    "badge": "AI",
    "disclosure": "This audio version was generated artificially.",
    "more": "More info",
    "feedback": "Send feedback",
}


def _assert_english_disclosure(page: Any) -> None:
    assert _player(page, ".ai-badge").inner_text() == ENGLISH["badge"]
    assert _player(page, ".disclosure-text").inner_text() == ENGLISH["disclosure"]
    assert _player(page, "button.more").inner_text() == ENGLISH["more"]
    assert _player(page, "button.feedback").inner_text() == ENGLISH["feedback"]
    assert _player(page, ".player").get_attribute("aria-label") == "Audio version of the article"


def test_english_labels_pending_and_error(
    shots: Path, browser: Any, live: LiveService, article: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """lang="en": every label English (the AI badge too) while the audio is being made,
    when it is ready, and when the audio file cannot be loaded."""
    source_id = "noch-nicht-fertig-en"
    monkeypatch.setattr(live.service.queue, "run_pending", lambda limit=1000: 0)  # worker paused
    body = {**ARTICLE, "title": "Ein Artikel für englische Hörer", "text": "Kurz und gut."}
    response = httpx.put(f"{live.url}/api/articles/{source_id}", json=body, headers=AUTH)
    assert response.status_code == 202, response.text
    page = _new_page(browser)
    page.goto(f"{live.url}/demo/{source_id}?lang=en")
    pending = _player(page, ".pending")
    pending.wait_for()
    assert pending.inner_text() == "The audio version is being created. Please wait a moment …"
    _assert_english_disclosure(page)
    _player(page, "button.more").click()
    assert "About this audio version" in _player(page, ".info").inner_text()
    page.screenshot(path=str(shots / "player-pending-en.png"))
    monkeypatch.undo()
    live.wait_ready(source_id)

    # The audio file fails to load: the error is English too.
    page.route("**/audio.*", lambda route: route.fulfill(status=404, body="gone"))
    page.goto(f"{live.url}/demo/{article}?lang=en")
    listen = _player(page, "button.listen")
    listen.wait_for()
    assert listen.inner_text().startswith("Listen to article")
    _assert_english_disclosure(page)
    listen.click()
    error = _player(page, ".error")
    error.wait_for(timeout=20000)
    assert error.inner_text() == "The audio file could not be loaded."
    assert error.get_attribute("role") == "alert"
    assert _player(page, "button.play").get_attribute("aria-label") == "Play"
    assert _player(page, "button.skip.back").get_attribute("aria-label") == "Back 15 seconds"
    assert _player(page, "select.speed").get_attribute("aria-label") == "Speed"
    page.screenshot(path=str(shots / "player-error-en.png"))
    page.context.close()
