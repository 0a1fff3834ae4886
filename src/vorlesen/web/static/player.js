/*
 * vorlesen player: a dependency-free Web Component that reads an article aloud.
 *
 *   <script src="https://SERVICE/static/player.js" defer></script>
 *   <vorlesen-player article="SOURCE_ID"></vorlesen-player>
 *
 * Attributes
 *   article   source id of the article; without it the player asks for the article of the
 *             page it sits on (its canonical URL: <link rel="canonical">, else og:url,
 *             else the address without query and fragment), which the service renders
 *             the first time when the page's host is one the publisher allowed
 *   api       base URL of the vorlesen service (default: where this script came from)
 *   lang      "de" (default) or "en": the language of the labels
 *   follow    CSS selector of the article text on the page; when set, the sentence being
 *             read is highlighted there and clicking a sentence plays from it (opt-in)
 *   info-url  link shown in the "Mehr Infos" panel (e.g. the publisher's AI policy)
 *   artwork   image URL for the lock screen (Media Session API)
 *
 * It talks only to the vorlesen API (article status, timings, feedback, listen pings) and
 * loads nothing from third parties. Everything a listener reads is set as textContent, so
 * no article or API text is ever parsed as HTML.
 */
(() => {
  "use strict";

  if (window.customElements === undefined || customElements.get("vorlesen-player")) {
    return;
  }

  const SCRIPT = document.currentScript;
  const SCRIPT_URL = SCRIPT && SCRIPT.src ? new URL(SCRIPT.src, location.href) : null;
  const STATIC_BASE = SCRIPT_URL ? new URL(".", SCRIPT_URL).href : new URL("/static/", location.href).href;
  const DEFAULT_API = SCRIPT_URL ? SCRIPT_URL.origin : location.origin;

  const SPEEDS = [0.75, 1, 1.25, 1.5, 2];
  const SKIP_S = 15;
  const ARROW_S = 5;
  const MILESTONES = [25, 50, 75];
  /* Polling while the audio is rendered: start fast, back off so an idle tab costs little. */
  const RETRY_FIRST_MS = 3000;
  const RETRY_MAX_MS = 60000;
  /* Resume only when the listener got somewhere, and not for the last few seconds. */
  const RESUME_MIN_S = 3;
  const RESUME_TAIL_S = 5;
  const CATEGORIES = ["pronunciation", "number", "wrong_text", "voice", "other"];
  const MESSAGE_MAX = 2000;

  const LABELS = {
    de: {
      region: "Audioversion des Artikels",
      listen: "Artikel anhören",
      play: "Abspielen",
      pause: "Pause",
      back: "15 Sekunden zurück",
      forward: "15 Sekunden vor",
      seek: "Position im Artikel",
      speed: "Geschwindigkeit",
      speedOption: (s) => `${String(s).replace(".", ",")}×`,
      of: "von",
      remaining: "verbleibend",
      badge: "KI",
      disclosure: "Diese Audioversion wurde künstlich generiert.",
      more: "Mehr Infos",
      feedback: "Feedback senden",
      pending: "Die Audioversion wird gerade erstellt. Bitte einen Moment Geduld …",
      infoTitle: "Über diese Audioversion",
      infoVoice: (voice) => `Gelesen von der künstlichen Stimme ${voice}.`,
      neural: "neuronal",
      synthetic: "synthetisch",
      infoText:
        "Vorgelesen wird der Text des Artikels; Zahlen, Daten und Abkürzungen werden " +
        "automatisch in gesprochene Sprache übertragen. Dabei können Fehler passieren – " +
        "sagen Sie uns gern Bescheid.",
      infoLink: "Mehr über unsere Audioversionen",
      close: "Schließen",
      dialogTitle: "Feedback zur Audioversion",
      category: "Worum geht es?",
      categories: {
        pronunciation: "Aussprache eines Wortes",
        number: "Zahl, Datum oder Einheit",
        wrong_text: "Falscher oder fehlender Text",
        voice: "Stimme oder Tempo",
        other: "Etwas anderes",
      },
      sentence: "Dieser Satz wurde gerade gelesen:",
      aboutSentence: "Mein Feedback betrifft diesen Satz",
      aboutWord: (w) => `Es geht um das Wort „${w}“`,
      message: "Was ist Ihnen aufgefallen? (optional)",
      send: "Senden",
      cancel: "Abbrechen",
      sending: "Wird gesendet …",
      thanks: "Danke! Ihr Feedback ist angekommen und wird von der Redaktion gelesen.",
      failed: (why) =>
        `Das Feedback konnte nicht gesendet werden (${why}). Bitte später erneut versuchen.`,
      offline: "keine Verbindung zum Server",
      /* Why the API refused, by the problem body's `reason` (its own text is English). */
      reasons: {
        rate_limited: "zu viele Meldungen in kurzer Zeit",
        not_found: "der Artikel ist nicht mehr da",
        invalid_request: "die Angaben waren unvollständig",
      },
      httpError: (status) => `Serverfehler ${status}`,
      tooLong: `Bitte höchstens ${MESSAGE_MAX} Zeichen.`,
      playing: "Wiedergabe läuft",
      paused: "Wiedergabe pausiert",
      ended: "Ende des Artikels",
      resumed: (t) => `Fortsetzung bei ${t}`,
      speedSet: (s) => `Geschwindigkeit ${String(s).replace(".", ",")}-fach`,
      loadError: "Die Audiodatei konnte nicht geladen werden.",
      playFrom: "Ab diesem Satz vorlesen",
      playFromWord: "Ab diesem Wort vorlesen",
      publisher: "Vorlesen",
    },
    en: {
      region: "Audio version of the article",
      listen: "Listen to article",
      play: "Play",
      pause: "Pause",
      back: "Back 15 seconds",
      forward: "Forward 15 seconds",
      seek: "Position in the article",
      speed: "Speed",
      speedOption: (s) => `${s}×`,
      of: "of",
      remaining: "remaining",
      badge: "AI",
      disclosure: "This audio version was generated artificially.",
      more: "More info",
      feedback: "Send feedback",
      pending: "The audio version is being created. Please wait a moment …",
      infoTitle: "About this audio version",
      infoVoice: (voice) => `Read by the synthetic voice ${voice}.`,
      neural: "neural",
      synthetic: "synthetic",
      infoText:
        "What you hear is the text of the article; numbers, dates and abbreviations are " +
        "turned into speech automatically. Mistakes can happen – please tell us.",
      infoLink: "More about our audio versions",
      close: "Close",
      dialogTitle: "Feedback on the audio version",
      category: "What is it about?",
      categories: {
        pronunciation: "How a word is pronounced",
        number: "A number, date or unit",
        wrong_text: "Wrong or missing text",
        voice: "Voice or pace",
        other: "Something else",
      },
      sentence: "This sentence was just read:",
      aboutSentence: "My feedback is about this sentence",
      aboutWord: (w) => `It is about the word “${w}”`,
      message: "What did you notice? (optional)",
      send: "Send",
      cancel: "Cancel",
      sending: "Sending …",
      thanks: "Thank you! Your feedback arrived and will be read by the newsroom.",
      failed: (why) => `The feedback could not be sent (${why}). Please try again later.`,
      offline: "no connection to the server",
      reasons: {
        rate_limited: "too many reports in a short time",
        not_found: "the article is gone",
        invalid_request: "the report was incomplete",
      },
      httpError: (status) => `server error ${status}`,
      tooLong: `At most ${MESSAGE_MAX} characters, please.`,
      playing: "Playing",
      paused: "Paused",
      ended: "End of the article",
      resumed: (t) => `Resuming at ${t}`,
      speedSet: (s) => `Speed ${s}×`,
      loadError: "The audio file could not be loaded.",
      playFrom: "Read from this sentence",
      playFromWord: "Read from this word",
      publisher: "Vorlesen",
    },
  };

  /** "m:ss" or "h:mm:ss" for a number of seconds. */
  /** The voice as a listener understands it: a Piper voice by its speaker's name
   * ("de_DE-thorsten-medium" → "Thorsten (Piper, neuronal)"), espeak-ng as
   * "eSpeak NG (synthetisch)"; never a bare code like "de". */
  function voiceName(voice, engine, t) {
    if (engine === "espeak") return `eSpeak NG (${t.synthetic})`;
    const file = String(voice || "").split(/[\\/]/).pop().replace(/\.onnx$/, "");
    const parts = file.split("-");
    const speaker = (parts.length >= 3 ? parts.slice(1, -1).join(" ") : file)
      .replace(/_/g, " ")
      .replace(/(^|\s)(\p{L})/gu, (_, space, c) => space + c.toUpperCase());
    if (engine === "piper") return `${speaker || "Piper"} (Piper, ${t.neural})`;
    return speaker ? `${speaker} (${t.synthetic})` : t.synthetic;
  }

  function clock(seconds) {
    const s = Math.max(0, Math.floor(Number.isFinite(seconds) ? seconds : 0));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const sec = String(s % 60).padStart(2, "0");
    return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
  }

  /** A duration in words for screen readers ("3 Min. 5 Sek."): whole seconds cut off
   * as `clock` does, so that it names the time shown next to it. */
  function spokenClock(seconds, lang) {
    const s = Math.max(0, Math.floor(Number.isFinite(seconds) ? seconds : 0));
    const m = Math.floor(s / 60);
    const r = s % 60;
    if (lang === "en") {
      return m ? `${m} min ${r} s` : `${r} s`;
    }
    return m ? `${m} Min. ${r} Sek.` : `${r} Sek.`;
  }

  /** Create an element with attributes and children (strings become text nodes). */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === false || value === null || value === undefined) continue;
      if (key === "text") el.textContent = value;
      else if (key === "class") el.className = value;
      else el.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child !== null && child !== undefined) {
        el.append(child);
      }
    }
    return el;
  }

  /* Letters and digits only, lower-cased: the key sentences are matched on, so that
   * typography (quotes, dashes, spacing) may differ between page and article text. */
  const KEY_CHAR = /[\p{L}\p{N}]/u;

  /** The match key of a text: its letters and digits, lower-cased, one per source char. */
  function keyOf(text) {
    let key = "";
    for (const ch of text || "") {
      if (KEY_CHAR.test(ch)) {
        const low = ch.toLowerCase();
        key += low.length === 1 ? low : ch;
      }
    }
    return key;
  }

  /**
   * Find each utterance's written text inside `root` and wrap it in
   * <span class="vorlesen-sentence" data-vorlesen-index="i"> elements (one per text node
   * it spans), and each of its timed words (`u.words`, written tokens such as
   * "1. August") inside those in <span class="vorlesen-word" data-vorlesen-word="k">.
   * Sentences are searched in order, so a repeated phrase maps to the right occurrence;
   * one that is not on the page is skipped, and so is a word not found in its sentence.
   * Returns the number of sentences found.
   */
  function markSentences(root, utterances) {
    const positions = []; // key char index -> [textNode, offset]
    let key = "";
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
      acceptNode(node) {
        const parent = node.parentElement;
        if (!parent || parent.closest("script,style,noscript,template,vorlesen-player,[data-vorlesen-skip]")) {
          return NodeFilter.FILTER_REJECT;
        }
        return NodeFilter.FILTER_ACCEPT;
      },
    });
    const nodes = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      nodes.push(node);
      const text = node.data;
      for (let i = 0; i < text.length; i++) {
        const ch = text[i];
        if (KEY_CHAR.test(ch)) {
          const low = ch.toLowerCase();
          /* toLowerCase may change the length ("İ"); keep one key char per source char. */
          key += low.length === 1 ? low : ch;
          positions.push([node, i]);
        }
      }
    }
    /* Label every key char with its sentence and word (-1: none). */
    const sentenceOf = new Int32Array(positions.length).fill(-1);
    const wordOf = new Int32Array(positions.length).fill(-1);
    let found = 0;
    let cursor = 0;
    for (const u of utterances) {
      const wanted = keyOf(u.written);
      if (!wanted) continue;
      const at = key.indexOf(wanted, cursor);
      if (at < 0) continue;
      found += 1;
      sentenceOf.fill(u.index, at, at + wanted.length);
      let inner = at;
      (u.words || []).forEach((w, k) => {
        const part = keyOf(w.written);
        const where = part ? key.indexOf(part, inner) : -1;
        if (where < 0 || where + part.length > at + wanted.length) return;
        wordOf.fill(k, where, where + part.length);
        inner = where + part.length;
      });
      cursor = at + wanted.length;
    }
    /* Other characters belong to a sentence (word) when the key chars on both sides do. */
    let k = 0;
    for (const node of nodes) {
      const text = node.data;
      const sentence = new Int32Array(text.length).fill(-1);
      const word = new Int32Array(text.length).fill(-1);
      let any = false;
      for (let i = 0; i < text.length; i++) {
        if (k < positions.length && positions[k][0] === node && positions[k][1] === i) {
          sentence[i] = sentenceOf[k];
          word[i] = wordOf[k];
          k += 1;
        } else if (k > 0 && k < positions.length && sentenceOf[k - 1] === sentenceOf[k]) {
          sentence[i] = sentenceOf[k];
          word[i] = wordOf[k - 1] === wordOf[k] ? wordOf[k] : -1;
        }
        if (sentence[i] >= 0) any = true;
      }
      if (any) wrapRuns(node, sentence, word);
    }
    return found;
  }

  /** Replace a text node by runs: sentence spans holding word spans and plain text. */
  function wrapRuns(node, sentence, word) {
    const text = node.data;
    const fragment = document.createDocumentFragment();
    let i = 0;
    while (i < text.length) {
      let j = i + 1;
      while (j < text.length && sentence[j] === sentence[i]) j++;
      const piece = text.slice(i, j);
      if (sentence[i] < 0 || !piece.trim()) {
        fragment.append(piece);
      } else {
        const span = document.createElement("span");
        span.className = "vorlesen-sentence";
        span.dataset.vorlesenIndex = String(sentence[i]);
        let a = i;
        while (a < j) {
          let b = a + 1;
          while (b < j && word[b] === word[a]) b++;
          if (word[a] < 0) {
            span.append(text.slice(a, b));
          } else {
            const w = document.createElement("span");
            w.className = "vorlesen-word";
            w.dataset.vorlesenWord = String(word[a]);
            w.textContent = text.slice(a, b);
            span.append(w);
          }
          a = b;
        }
        fragment.append(span);
      }
      i = j;
    }
    node.replaceWith(fragment);
  }

  class VorlesenPlayer extends HTMLElement {
    constructor() {
      super();
      this.attachShadow({ mode: "open" });
      this.info = null; // the article JSON from the API
      this.timings = null; // the timings JSON
      this.current = -1; // index of the utterance being read
      this.currentWordKey = "-1:-1"; // "utterance:word" highlighted in the page
      this.retryMs = RETRY_FIRST_MS;
      this.retryTimer = 0;
      this.frame = 0;
      this.sentMilestones = new Set();
      this.started = false;
      this.lastSaved = 0;
      this.followRoot = null;
      this.onDocumentClick = this.onDocumentClick.bind(this);
    }

    /* Not `lang`: that is HTMLElement's own property. */
    get uiLang() {
      return (this.getAttribute("lang") || "de").toLowerCase().startsWith("en") ? "en" : "de";
    }

    get t() {
      return LABELS[this.uiLang];
    }

    get api() {
      return (this.getAttribute("api") || DEFAULT_API).replace(/\/+$/, "");
    }

    get articleId() {
      return this.getAttribute("article") || this.pageArticle || "";
    }

    /** The page's canonical URL, as the service keys articles found on pages. */
    pageUrl() {
      const canonical = document.querySelector('link[rel~="canonical"][href]');
      const og = document.querySelector('meta[property="og:url"][content]');
      const given = canonical ? canonical.getAttribute("href") : og ? og.getAttribute("content") : "";
      let url;
      try {
        url = new URL(given || location.href, location.href);
      } catch (_err) {
        url = new URL(location.href);
      }
      url.search = "";
      url.hash = "";
      return url.href;
    }

    /** Where the article's state is asked for: by id, or by the page's URL. */
    stateUrl() {
      if (this.getAttribute("article")) return this.url();
      return `${this.api}/api/pages?url=${encodeURIComponent(this.pageUrl())}`;
    }

    /** The article's API URL, or a path below it. */
    url(path) {
      const base = `${this.api}/api/articles/${encodeURIComponent(this.articleId)}`;
      return path ? `${base}/${path}` : base;
    }

    connectedCallback() {
      if (this.shadowRoot.childElementCount === 0) {
        this.build();
      }
      this.load();
    }

    disconnectedCallback() {
      clearTimeout(this.retryTimer);
      cancelAnimationFrame(this.frame);
      document.removeEventListener("click", this.onDocumentClick);
      if (this.audio) this.audio.pause();
    }

    /* ---------------------------------------------------------------- building */

    build() {
      const t = this.t;
      this.setAttribute("lang", this.uiLang);
      const root = this.shadowRoot;
      root.append(h("link", { rel: "stylesheet", href: `${STATIC_BASE}player.css` }));

      this.audio = h("audio", { preload: "none" });
      this.audio.preservesPitch = true;
      this.audio.mozPreservesPitch = true;
      this.audio.webkitPreservesPitch = true;

      this.listenButton = h("button", { class: "listen", type: "button", part: "listen" },
        h("span", { class: "icon play-icon", "aria-hidden": "true" }),
        h("span", { class: "listen-label", text: t.listen }),
        // The duration shows as "3:05" and is spoken as "3 Min. 5 Sek."; the button's
        // name comes from its content, so it starts with the visible "Artikel anhören"
        // (WCAG 2.5.3 Label in Name: a voice-control user says what they see).
        h("span", { class: "listen-duration", "aria-hidden": "true" }),
        h("span", { class: "listen-spoken sr-only" }));

      this.playButton = h("button", { class: "play", type: "button", "aria-label": t.play },
        h("span", { class: "icon play-icon", "aria-hidden": "true" }));
      this.backButton = h("button", { class: "skip back", type: "button", "aria-label": t.back },
        h("span", { "aria-hidden": "true", text: "−15" }));
      this.forwardButton = h("button", { class: "skip forward", type: "button", "aria-label": t.forward },
        h("span", { "aria-hidden": "true", text: "+15" }));

      this.buffered = h("div", { class: "buffered" });
      this.progress = h("div", { class: "progress" });
      this.seek = h("input", {
        class: "seek", type: "range", min: "0", max: "0", step: "1", value: "0",
        "aria-label": t.seek,
      });
      const track = h("div", { class: "track" }, this.buffered, this.progress, this.seek);

      this.elapsed = h("span", { class: "elapsed", text: "0:00" });
      this.remaining = h("span", { class: "remaining", text: "-0:00" });
      const times = h("div", { class: "times", "aria-hidden": "true" }, this.elapsed, this.remaining);

      this.speed = h("select", { class: "speed", "aria-label": t.speed });
      for (const s of SPEEDS) {
        this.speed.append(h("option", { value: String(s), text: t.speedOption(s), selected: s === 1 }));
      }

      this.controls = h("div", { class: "controls", hidden: true },
        this.playButton, this.backButton, this.forwardButton,
        h("div", { class: "timeline" }, track, times), this.speed);

      this.pendingNote = h("p", { class: "pending", hidden: true, text: t.pending });
      this.errorNote = h("p", { class: "error", hidden: true, role: "alert" });

      this.moreButton = h("button", {
        class: "link more", type: "button", "aria-expanded": "false", "aria-controls": "info",
        text: t.more,
      });
      this.feedbackButton = h("button", { class: "link feedback", type: "button", text: t.feedback,
        "aria-haspopup": "dialog" });
      const disclosure = h("p", { class: "disclosure" },
        h("span", { class: "ai-badge", "aria-hidden": "true", text: t.badge }),
        h("span", { class: "disclosure-text", text: t.disclosure }), " ",
        this.moreButton, h("span", { class: "sep", "aria-hidden": "true", text: " · " }),
        this.feedbackButton);

      this.infoVoice = h("p", { class: "info-voice" });
      this.infoLink = h("a", { class: "info-link", hidden: true, text: t.infoLink });
      this.infoPanel = h("div", { class: "info", id: "info", role: "region", hidden: true,
        "aria-label": t.infoTitle },
        h("h2", { class: "info-title", text: t.infoTitle }),
        this.infoVoice, h("p", { text: t.infoText }), this.infoLink);

      this.live = h("div", { class: "sr-only", role: "status", "aria-live": "polite" });

      this.dialog = this.buildDialog();

      this.box = h("section", { class: "player", "aria-label": t.region, hidden: true },
        this.listenButton, this.controls, this.pendingNote, this.errorNote, disclosure,
        this.infoPanel, this.live, this.dialog, this.audio);
      root.append(this.box);
      this.wire();
    }

    buildDialog() {
      const t = this.t;
      this.categorySelect = h("select", { id: "fb-category", name: "category", required: true });
      for (const c of CATEGORIES) {
        this.categorySelect.append(h("option", { value: c, text: t.categories[c] }));
      }
      this.sentenceQuote = h("blockquote", { class: "fb-sentence-text" });
      this.sentenceCheck = h("input", { type: "checkbox", id: "fb-about", checked: true });
      this.wordCheck = h("input", { type: "checkbox", id: "fb-word", checked: true });
      this.wordText = h("span", { class: "fb-word-text" });
      this.wordLabel = h("label", { class: "fb-check", hidden: true }, this.wordCheck, " ", this.wordText);
      this.sentenceBox = h("div", { class: "fb-sentence", hidden: true },
        h("p", { class: "fb-label", text: t.sentence }), this.sentenceQuote,
        h("label", { class: "fb-check" }, this.sentenceCheck, " ", t.aboutSentence),
        this.wordLabel);
      /* The word only goes with its sentence. */
      this.sentenceCheck.addEventListener("change", () => {
        this.wordCheck.disabled = !this.sentenceCheck.checked;
      });
      this.messageInput = h("textarea", {
        id: "fb-message", name: "message", rows: "4", maxlength: String(MESSAGE_MAX),
      });
      this.dialogStatus = h("p", { class: "fb-status", role: "status", "aria-live": "polite" });
      this.sendButton = h("button", { type: "submit", class: "primary", text: t.send });
      this.cancelButton = h("button", { type: "button", class: "secondary", text: t.cancel });
      this.form = h("form", { method: "dialog", class: "fb-form" },
        h("h2", { id: "fb-title", text: t.dialogTitle }),
        h("label", { for: "fb-category", text: t.category }), this.categorySelect,
        this.sentenceBox,
        h("label", { for: "fb-message", text: t.message }), this.messageInput,
        this.dialogStatus,
        h("div", { class: "fb-actions" }, this.cancelButton, this.sendButton));
      return h("dialog", { class: "fb-dialog", "aria-labelledby": "fb-title" }, this.form);
    }

    wire() {
      const a = this.audio;
      this.listenButton.addEventListener("click", () => this.start());
      this.playButton.addEventListener("click", () => this.toggle());
      this.backButton.addEventListener("click", () => this.skip(-SKIP_S));
      this.forwardButton.addEventListener("click", () => this.skip(SKIP_S));
      this.seek.addEventListener("input", () => {
        this.seekTo(Number(this.seek.value));
      });
      this.speed.addEventListener("change", () => this.setSpeed(Number(this.speed.value)));
      this.moreButton.addEventListener("click", () => this.toggleInfo());
      this.feedbackButton.addEventListener("click", () => this.openFeedback());
      this.cancelButton.addEventListener("click", () => this.dialog.close());
      this.form.addEventListener("submit", (event) => {
        event.preventDefault();
        this.sendFeedback();
      });
      this.addEventListener("keydown", (event) => this.onKey(event));

      a.addEventListener("play", () => this.onPlayState());
      a.addEventListener("pause", () => this.onPlayState());
      a.addEventListener("ended", () => this.onEnded());
      a.addEventListener("timeupdate", () => this.onTime());
      a.addEventListener("durationchange", () => this.onTime());
      a.addEventListener("progress", () => this.onBuffered());
      a.addEventListener("seeked", () => this.onTime());
      a.addEventListener("error", () => {
        if (this.started) this.showError(this.t.loadError);
      });
    }

    /* ---------------------------------------------------------------- loading */

    async load() {
      clearTimeout(this.retryTimer);
      const byPage = !this.getAttribute("article");
      let data;
      try {
        const response = await fetch(this.stateUrl(), { headers: { Accept: "application/json" } });
        if (!response.ok) {
          /* Unknown article or a server problem: show nothing, look again later. */
          this.box.hidden = true;
          /* A page the service will not read (host not allowed, not an article): stay
           * hidden and ask no more on this view. */
          if (byPage && (response.status === 403 || response.status === 422)) return;
          this.retryLater(response.status === 404 ? 4 : response.status === 429 ? 2 : 1);
          return;
        }
        data = await response.json();
        if (byPage) this.pageArticle = data.source_id;
      } catch (_err) {
        this.box.hidden = true; // API down: nothing broken on the page
        this.retryLater(1);
        return;
      }
      this.info = data;
      /* While a new revision renders, the previous one (ready_revision) is still served. */
      if (data.status === "ready" || (data.ready_revision && data.audio_mp3)) {
        await this.ready(data);
      } else if (data.status === "queued" || data.status === "rendering") {
        this.box.hidden = false;
        this.listenButton.hidden = true;
        this.pendingNote.hidden = false;
        this.retryLater(1);
      } else {
        this.box.hidden = true; // failed: the article page stays as it is
      }
    }

    retryLater(factor) {
      const wait = Math.min(this.retryMs * factor, RETRY_MAX_MS);
      this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
      this.retryTimer = setTimeout(() => this.load(), wait);
    }

    /** The URL the API gives for `name` (e.g. "audio.mp3" as `audio_mp3`), else the
     * conventional path below the article. */
    assetUrl(name) {
      const field = name.replace(".", "_");
      const listed = this.info && this.info[field];
      if (typeof listed === "string" && listed) return new URL(listed, `${this.api}/`).href;
      return this.url(name);
    }

    async ready(data) {
      const t = this.t;
      this.pendingNote.hidden = true;
      const duration = Number(data.duration_s) || 0;
      this.duration = duration;
      this.listenButton.querySelector(".listen-duration").textContent = duration ? clock(duration) : "";
      this.listenButton.querySelector(".listen-spoken").textContent =
        duration ? `, ${spokenClock(duration, this.uiLang)}` : "";
      this.seek.max = String(Math.max(1, Math.ceil(duration)));
      this.remaining.textContent = `-${clock(duration)}`;
      this.infoVoice.textContent = t.infoVoice(voiceName(data.voice, data.engine, t));
      const infoUrl = this.getAttribute("info-url");
      if (infoUrl) {
        this.infoLink.href = infoUrl;
        this.infoLink.hidden = false;
      }
      if (!this.audio.hasChildNodes()) {
        const last = h("source", { src: this.assetUrl("audio.mp3"), type: "audio/mpeg" });
        /* With <source> children a failed load fires "error" at the source, not at the
         * audio, and play() never settles: the last source failing means none played. */
        last.addEventListener("error", () => {
          this.audio.dispatchEvent(new Event("sourcesfailed"));
          if (!this.audio.paused) this.audio.pause(); // the play button offers Play again
          if (this.started) this.showError(this.t.loadError);
        });
        this.audio.append(
          h("source", { src: this.assetUrl("audio.opus"), type: 'audio/ogg; codecs="opus"' }),
          last,
        );
      }
      this.box.hidden = false;
      if (!this.started) this.listenButton.hidden = false;
      try {
        const response = await fetch(this.assetUrl("timings.json"));
        if (response.ok) {
          this.timings = await response.json();
          this.setupFollow();
        }
      } catch (_err) {
        /* No timings: the player works, only highlighting and sentence feedback are off. */
      }
    }

    /* ---------------------------------------------------------------- playback */

    storageKey() {
      const rev = this.info && this.info.ready_revision ? this.info.ready_revision : "";
      return `vorlesen:${this.api}:${this.articleId}:${rev}`;
    }

    savePosition(force) {
      const now = Date.now();
      if (!force && now - this.lastSaved < 2000) return;
      this.lastSaved = now;
      try {
        localStorage.setItem(this.storageKey(), String(Math.floor(this.audio.currentTime)));
      } catch (_err) {
        /* Private mode or storage full: resuming is a convenience. */
      }
    }

    savedPosition() {
      try {
        const value = Number(localStorage.getItem(this.storageKey()));
        return Number.isFinite(value) ? value : 0;
      } catch (_err) {
        return 0;
      }
    }

    async start() {
      this.started = true;
      this.listenButton.hidden = true;
      this.controls.hidden = false;
      this.playButton.focus();
      const resume = this.savedPosition();
      if (resume >= RESUME_MIN_S && (!this.duration || resume < this.duration - RESUME_TAIL_S)) {
        this.pendingSeek = resume;
        /* Said together with "playing" below, or the second message would replace it. */
        this.resumeNote = this.t.resumed(clock(resume));
      }
      this.audio.preload = "auto";
      await this.play();
    }

    async play() {
      if (this.pendingSeek !== undefined) {
        const target = this.pendingSeek;
        this.pendingSeek = undefined;
        if (this.audio.readyState < 1) {
          this.audio.load();
          await new Promise((resolve) => {
            this.audio.addEventListener("loadedmetadata", resolve, { once: true });
            this.audio.addEventListener("error", resolve, { once: true });
            this.audio.addEventListener("sourcesfailed", resolve, { once: true });
          });
        }
        this.audio.currentTime = target;
      }
      try {
        await this.audio.play();
      } catch (err) {
        if (err && err.name !== "AbortError") this.showError(this.t.loadError);
      }
    }

    toggle() {
      if (this.audio.paused) this.play();
      else this.audio.pause();
    }

    skip(delta) {
      this.seekTo(this.audio.currentTime + delta);
    }

    seekTo(seconds) {
      const end = Number.isFinite(this.audio.duration) ? this.audio.duration : this.duration || 0;
      this.audio.currentTime = Math.max(0, Math.min(end, seconds));
      this.onTime();
    }

    setSpeed(speed) {
      if (!SPEEDS.includes(speed)) return;
      this.audio.playbackRate = speed;
      this.audio.defaultPlaybackRate = speed;
      this.speed.value = String(speed);
      this.announce(this.t.speedSet(speed));
    }

    onPlayState() {
      const t = this.t;
      const playing = !this.audio.paused;
      this.playButton.setAttribute("aria-label", playing ? t.pause : t.play);
      this.playButton.classList.toggle("is-playing", playing);
      this.playButton.querySelector(".icon").className = `icon ${playing ? "pause-icon" : "play-icon"}`;
      this.toggleAttribute("playing", playing);
      if (playing) {
        this.errorNote.hidden = true;
        if (!this.sentMilestones.has(0)) {
          this.sentMilestones.add(0);
          this.ping(0);
        }
        this.setupMediaSession();
        this.tick();
      } else {
        cancelAnimationFrame(this.frame);
        this.savePosition(true);
      }
      if (!this.audio.ended) {
        const state = playing ? t.playing : t.paused;
        this.announce(this.resumeNote ? `${state}. ${this.resumeNote}` : state);
        this.resumeNote = undefined;
      }
      if ("mediaSession" in navigator) {
        navigator.mediaSession.playbackState = playing ? "playing" : "paused";
      }
    }

    onEnded() {
      if (!this.sentMilestones.has(100)) {
        this.sentMilestones.add(100);
        this.ping(100);
      }
      try {
        localStorage.removeItem(this.storageKey());
      } catch (_err) {
        /* nothing to forget */
      }
      this.announce(this.t.ended);
      this.highlight(-1);
      this.highlightWord(-1, -1);
    }

    /* Follow the audio closely while playing (timeupdate fires only about 4 times a second). */
    tick() {
      cancelAnimationFrame(this.frame);
      const step = () => {
        this.onTime();
        if (!this.audio.paused) this.frame = requestAnimationFrame(step);
      };
      this.frame = requestAnimationFrame(step);
    }

    onTime() {
      const a = this.audio;
      const duration = Number.isFinite(a.duration) && a.duration > 0 ? a.duration : this.duration || 0;
      const now = a.currentTime || 0;
      if (duration) {
        this.seek.max = String(Math.ceil(duration));
        if (this.shadowRoot.activeElement !== this.seek || a.paused) {
          this.seek.value = String(Math.floor(now));
        }
        this.progress.style.width = `${(100 * now / duration).toFixed(2)}%`;
        this.seek.setAttribute("aria-valuetext",
          `${spokenClock(now, this.uiLang)} ${this.t.of} ${spokenClock(duration, this.uiLang)}`);
        for (const m of MILESTONES) {
          if (now / duration * 100 >= m && !this.sentMilestones.has(m) && this.sentMilestones.has(0)) {
            this.sentMilestones.add(m);
            this.ping(m);
          }
        }
      }
      this.elapsed.textContent = clock(now);
      this.remaining.textContent = `-${clock(duration - now)}`;
      const index = this.utteranceAt(now);
      this.highlight(index);
      this.highlightWord(index, this.wordAt(index, now));
      if (!a.paused) this.savePosition(false);
    }

    onBuffered() {
      const a = this.audio;
      const duration = Number.isFinite(a.duration) && a.duration > 0 ? a.duration : this.duration || 0;
      if (!duration) return;
      let end = 0;
      for (let i = 0; i < a.buffered.length; i++) {
        if (a.buffered.start(i) <= a.currentTime + 0.5) end = Math.max(end, a.buffered.end(i));
      }
      this.buffered.style.width = `${Math.min(100, 100 * end / duration).toFixed(2)}%`;
    }

    utteranceAt(seconds) {
      const list = this.timings && this.timings.utterances;
      if (!list || !list.length) return -1;
      let found = -1;
      for (const u of list) {
        if (u.start <= seconds + 0.05) found = u.index;
        else break;
      }
      return found;
    }

    /** Position in `words` of the word of utterance `index` heard at `seconds`: the last
     * one begun (held through the short pauses between words); -1 before the first. */
    wordAt(index, seconds) {
      const list = (this.timings && this.timings.utterances) || [];
      const u = index >= 0 ? list.find((x) => x.index === index) : null;
      const words = (u && u.words) || [];
      let found = -1;
      for (let k = 0; k < words.length; k++) {
        /* 20 ms early: a frame's lag in the page, so the word lights as it is heard. */
        if (words[k].start <= seconds + 0.02) found = k;
        else break;
      }
      if (found >= 0 && seconds > u.end + 0.1) return -1; // in the pause after the sentence
      return found;
    }

    /** The written word being read now (for the feedback dialog), or null. */
    currentWord(u) {
      if (!u || !u.words || !this.started) return null;
      const k = this.wordAt(u.index, this.audio.currentTime || 0);
      return k >= 0 ? u.words[k] : null;
    }

    /** The utterance being read now (for the feedback dialog), or null. */
    currentUtterance() {
      const list = (this.timings && this.timings.utterances) || [];
      if (!this.started || this.audio.currentTime <= 0) return null;
      const index = this.utteranceAt(this.audio.currentTime);
      return list.find((u) => u.index === index) || null;
    }

    /** Tell the API how far the listener got: 0 (started), 25, 50, 75 or 100 percent. */
    ping(milestone) {
      const revision = this.info && this.info.ready_revision ? this.info.ready_revision : undefined;
      const body = JSON.stringify({ milestone, revision });
      try {
        fetch(this.url("listens"), {
          method: "POST", body, keepalive: true, headers: { "Content-Type": "application/json" },
        }).catch(() => undefined);
      } catch (_err) {
        /* Statistics never get in the listener's way. */
      }
    }

    /* ---------------------------------------------------------------- follow-along */

    setupFollow() {
      const selector = this.getAttribute("follow");
      if (selector === null || !this.timings || this.followRoot) return;
      let root = null;
      try {
        root = selector ? document.querySelector(selector) : this.closest("article");
      } catch (_err) {
        root = null;
      }
      if (!root) return;
      if (!root.querySelector(".vorlesen-sentence")) {
        markSentences(root, this.timings.utterances || []);
      }
      this.followRoot = root;
      root.classList.add("vorlesen-follow");
      /* The highlight lives in the page, outside the shadow root: bring its styles along. */
      const href = `${STATIC_BASE}player.css`;
      if (![...document.querySelectorAll('link[rel="stylesheet"]')].some((l) => l.href === href)) {
        document.head.append(h("link", { rel: "stylesheet", href }));
      }
      for (const span of root.querySelectorAll(".vorlesen-sentence")) {
        span.title = this.t.playFrom;
      }
      for (const span of root.querySelectorAll(".vorlesen-word")) {
        span.title = this.t.playFromWord;
      }
      document.addEventListener("click", this.onDocumentClick);
    }

    onDocumentClick(event) {
      const root = this.followRoot;
      if (!root || !(event.target instanceof Element)) return;
      const span = event.target.closest(".vorlesen-sentence");
      if (!span || !root.contains(span) || event.target.closest("a,button,input,select,textarea")) return;
      const selection = window.getSelection();
      if (selection && selection.toString().trim()) return; // the reader is selecting text
      const index = Number(span.dataset.vorlesenIndex);
      const u = (this.timings.utterances || []).find((x) => x.index === index);
      if (!u) return;
      /* A click on a word plays from that word; elsewhere in the sentence, from its start. */
      const wordEl = event.target.closest(".vorlesen-word");
      const word = wordEl && span.contains(wordEl) && u.words ? u.words[Number(wordEl.dataset.vorlesenWord)] : null;
      if (!this.started) {
        this.started = true;
        this.listenButton.hidden = true;
        this.controls.hidden = false;
      }
      this.audio.preload = "auto";
      this.pendingSeek = word ? word.start : u.start;
      this.play();
    }

    /** Mark word `k` of utterance `index` in the page (-1: none). No live region: a
     * screen reader hears the audio itself, not an announcement per word. */
    highlightWord(index, k) {
      const key = `${index}:${k}`;
      if (key === this.currentWordKey) return;
      this.currentWordKey = key;
      if (!this.followRoot) return;
      for (const el of this.followRoot.querySelectorAll(".vorlesen-word-current")) {
        el.classList.remove("vorlesen-word-current");
      }
      if (index < 0 || k < 0) return;
      const selector = `.vorlesen-sentence[data-vorlesen-index="${index}"] .vorlesen-word[data-vorlesen-word="${k}"]`;
      for (const el of this.followRoot.querySelectorAll(selector)) {
        el.classList.add("vorlesen-word-current");
      }
    }

    highlight(index) {
      if (index === this.current) return;
      this.current = index;
      this.dataset.current = String(index);
      if (!this.followRoot) return;
      for (const el of this.followRoot.querySelectorAll(".vorlesen-current")) {
        el.classList.remove("vorlesen-current");
      }
      if (index < 0) return;
      for (const el of this.followRoot.querySelectorAll(`.vorlesen-sentence[data-vorlesen-index="${index}"]`)) {
        el.classList.add("vorlesen-current");
      }
    }

    /* ---------------------------------------------------------------- panels and dialog */

    toggleInfo(force) {
      const open = force === undefined ? this.infoPanel.hidden : force;
      this.infoPanel.hidden = !open;
      this.moreButton.setAttribute("aria-expanded", String(open));
    }

    openFeedback() {
      const u = this.currentUtterance();
      this.sentenceBox.hidden = !u;
      this.sentenceQuote.textContent = u ? u.written : "";
      this.sentenceCheck.checked = Boolean(u);
      /* The word under the playhead, marked in the quote and offered pre-ticked. */
      const word = this.currentWord(u);
      this.feedbackWord = word;
      this.wordLabel.hidden = !word;
      this.wordCheck.checked = Boolean(word);
      this.wordCheck.disabled = false;
      this.wordText.textContent = word ? this.t.aboutWord(word.written) : "";
      if (word && u) {
        const at = word.char_start - u.char_start;
        if (at >= 0 && u.written.slice(at, at + word.written.length) === word.written) {
          this.sentenceQuote.textContent = "";
          this.sentenceQuote.append(u.written.slice(0, at),
            h("mark", { text: word.written }), u.written.slice(at + word.written.length));
        }
      }
      this.feedbackUtterance = u;
      this.feedbackTime = this.audio.currentTime || 0;
      this.dialogStatus.textContent = "";
      this.dialogStatus.className = "fb-status";
      this.sendButton.disabled = false;
      this.sendButton.hidden = false;
      this.cancelButton.textContent = this.t.cancel;
      this.form.hidden = false;
      if (typeof this.dialog.showModal === "function") this.dialog.showModal();
      else this.dialog.setAttribute("open", "");
      this.categorySelect.focus();
    }

    async sendFeedback() {
      const t = this.t;
      const message = this.messageInput.value.trim();
      if (message.length > MESSAGE_MAX) {
        this.dialogStatus.textContent = t.tooLong;
        return;
      }
      const body = { category: this.categorySelect.value, message };
      if (this.feedbackUtterance && this.sentenceCheck.checked) {
        body.utterance = this.feedbackUtterance.index;
        /* With the word ticked, the time is that word's start: the newsroom finds exactly
         * this word in the timings again. */
        const word = this.feedbackWord && this.wordCheck.checked ? this.feedbackWord : null;
        body.time_s = Math.round((word ? word.start : this.feedbackTime) * 1000) / 1000;
      }
      this.sendButton.disabled = true;
      this.dialogStatus.className = "fb-status";
      this.dialogStatus.textContent = t.sending;
      let why = "";
      try {
        const response = await fetch(this.url("feedback"), {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify(body),
        });
        if (response.ok) {
          this.dialogStatus.className = "fb-status ok";
          this.dialogStatus.textContent = t.thanks;
          this.messageInput.value = "";
          this.sendButton.hidden = true;
          this.cancelButton.textContent = t.close;
          this.cancelButton.focus();
          this.announce(t.thanks);
          return;
        }
        why = await this.problemText(response);
      } catch (_err) {
        why = t.offline;
      }
      this.dialogStatus.className = "fb-status failed";
      this.dialogStatus.textContent = t.failed(why);
      this.sendButton.disabled = false;
    }

    /** Why the API refused, in the player's language: a label for the problem body's
     * `reason`, else the HTTP status (the API's own sentences are English). */
    async problemText(response) {
      let reason = "";
      try {
        const problem = await response.json();
        reason = problem && typeof problem.reason === "string" ? problem.reason : "";
      } catch (_err) {
        /* not JSON */
      }
      return Object.hasOwn(this.t.reasons, reason) ? this.t.reasons[reason] : this.t.httpError(response.status);
    }

    /* ---------------------------------------------------------------- keyboard, a11y */

    onKey(event) {
      if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
      const target = event.composedPath()[0];
      const tag = target && target.tagName ? target.tagName.toLowerCase() : "";
      const typing = tag === "textarea" || tag === "select" || (tag === "input" && target.type !== "range");
      if (event.key === "Escape") {
        /* The open dialog is on top: leave Escape to it (it closes itself), and leave the
         * info panel behind it alone, or the dialog would need a second Escape. */
        if (this.dialog.open) return;
        if (!this.infoPanel.hidden) {
          this.toggleInfo(false);
          this.moreButton.focus();
          event.preventDefault();
        }
        return; // the <dialog> closes itself on Escape
      }
      if (typing || this.dialog.open || !this.started) return;
      const key = event.key.toLowerCase();
      if (key === "k" || (key === " " && tag !== "button")) {
        event.preventDefault();
        this.toggle();
      } else if ((key === "arrowleft" || key === "arrowright") && tag !== "input") {
        event.preventDefault();
        this.skip(key === "arrowleft" ? -ARROW_S : ARROW_S);
      } else if (key === "j" || key === "l") {
        event.preventDefault();
        this.skip(key === "j" ? -SKIP_S : SKIP_S);
      }
    }

    announce(text) {
      /* Clear first so the same sentence twice is announced twice. */
      this.live.textContent = "";
      setTimeout(() => {
        this.live.textContent = text;
      }, 50);
    }

    showError(text) {
      this.errorNote.textContent = text;
      this.errorNote.hidden = false;
    }

    setupMediaSession() {
      if (!("mediaSession" in navigator) || typeof MediaMetadata === "undefined") return;
      const title = (this.timings && this.timings.title) || (this.info && this.info.title) || document.title;
      const artwork = this.getAttribute("artwork");
      navigator.mediaSession.metadata = new MediaMetadata({
        title,
        artist: (this.timings && this.timings.site) || (this.info && this.info.site) || this.t.publisher,
        album: this.t.region,
        artwork: artwork ? [{ src: new URL(artwork, location.href).href, sizes: "512x512" }] : [],
      });
      const actions = {
        play: () => this.play(),
        pause: () => this.audio.pause(),
        seekbackward: (d) => this.skip(-((d && d.seekOffset) || SKIP_S)),
        seekforward: (d) => this.skip((d && d.seekOffset) || SKIP_S),
        seekto: (d) => this.seekTo(d.seekTime),
      };
      for (const [action, handler] of Object.entries(actions)) {
        try {
          navigator.mediaSession.setActionHandler(action, handler);
        } catch (_err) {
          /* action not supported by this browser */
        }
      }
    }
  }

  customElements.define("vorlesen-player", VorlesenPlayer);
})();
