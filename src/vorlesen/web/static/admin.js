/*
 * Newsroom behaviour (kept out of the HTML for the Content-Security-Policy):
 *  - "Satz anhören" plays exactly one sentence of an article's audio (start..end);
 *  - "Vorhören" posts the lexicon form and plays the word spoken with the fix, then the
 *    sentence from the feedback when the fix applies to it, and shows what is said.
 */
(() => {
  "use strict";

  const player = document.getElementById("sentence-audio");
  let stopAt = Infinity;
  if (player) {
    player.addEventListener("timeupdate", () => {
      if (player.currentTime >= stopAt) {
        player.pause();
        stopAt = Infinity;
      }
    });
    for (const button of document.querySelectorAll(".play-sentence")) {
      button.addEventListener("click", async () => {
        const start = Number(button.dataset.start);
        stopAt = Number(button.dataset.end);
        const src = new URL(button.dataset.src, location.href).href;
        if (player.src !== src) {
          player.preload = "auto"; // "none" would never reach loadedmetadata
          player.src = src;
          await new Promise((resolve) => player.addEventListener("loadedmetadata", resolve, { once: true }));
        }
        player.currentTime = start;
        document.body.dataset.sentencePlaying = button.dataset.start;
        player.play();
      });
    }
  }

  const preview = document.getElementById("preview");
  const form = document.getElementById("entry-form");
  if (preview && form) {
    const status = document.getElementById("preview-status");
    const audio = document.getElementById("preview-audio");
    const spokenList = document.getElementById("preview-spoken");
    const word = document.getElementById("grapheme");
    preview.addEventListener("click", async () => {
      status.textContent = "Wird synthetisiert …";
      spokenList.replaceChildren();
      spokenList.hidden = true;
      preview.disabled = true;
      try {
        const body = new FormData(form);
        const response = await fetch("/admin/lexicon/preview", { method: "POST", body });
        if (!response.ok) {
          status.textContent = `Vorhören nicht möglich: ${await response.text()}`;
          return;
        }
        const blob = await response.blob();
        if (audio.src) URL.revokeObjectURL(audio.src);
        audio.src = URL.createObjectURL(blob);
        audio.hidden = false;
        const what = `„${word.value.trim()}“`;
        status.textContent = response.headers.get("X-Vorlesen-Preview") === "word+sentence"
          ? `So klingt ${what} mit der Korrektur: erst das Wort allein, dann im Satz aus dem Artikel.`
          : `So klingt ${what} mit der Korrektur (das Wort allein).`;
        const spoken = decodeURIComponent(response.headers.get("X-Vorlesen-Spoken") || "");
        for (const line of spoken.split("\n").filter(Boolean)) {
          spokenList.append(Object.assign(document.createElement("li"), { textContent: line }));
        }
        spokenList.hidden = !spokenList.childElementCount;
        await audio.play().catch(() => undefined);
      } catch (_err) {
        status.textContent = "Vorhören nicht möglich: keine Verbindung zum Server.";
      } finally {
        preview.disabled = false;
      }
    });
  }
})();
