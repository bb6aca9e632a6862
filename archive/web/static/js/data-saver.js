// "Save data": play the small rendition (Opus audio, 360p video) instead of the normal copy.
//
// The visitor's choice is remembered in localStorage and in a cookie, so that the server
// names the small <source> first on the next page (archive/web/data_saving.py). Without a
// choice, the browser decides: navigator.connection.saveData, or an effective type of
// slow-2g, 2g or 3g, or the Save-Data header (the server then names the small source first).
// Switching keeps the position and whether it was playing. A browser that cannot play the
// small rendition's type (Opus in WebM) keeps the normal copy.
//
// Every page of the site shell loads this script (base.html), before queue.js: the queue
// player asks `archiveDataSaver.saving()` which copy to play and hears the switch through the
// "archive:save-data" event. The switches of a listening page swapped in by the queue player
// (the "archive:page" event, see queue.js) are set up then, as those of the first page are.
(function () {
  "use strict";
  if (window.archiveDataSaver) return; // loaded once per document (the embed, the site shell)
  const KEY = "save-data";
  const SLOW = ["slow-2g", "2g", "3g"];

  function stored() {
    try {
      const value = window.localStorage.getItem(KEY);
      if (value === "on" || value === "off") return value;
    } catch (e) {
      // storage refused (private mode, blocked): the cookie still says it
    }
    const match = document.cookie.match(/(?:^|;\s*)save-data=(on|off)/);
    return match ? match[1] : "";
  }

  function remember(on) {
    const value = on ? "on" : "off";
    try {
      window.localStorage.setItem(KEY, value);
    } catch (e) {
      // the cookie below is enough
    }
    const secure = window.location.protocol === "https:" ? "; Secure" : "";
    document.cookie = KEY + "=" + value + "; path=/; max-age=31536000; SameSite=Lax" + secure;
  }

  function slowConnection() {
    const connection = navigator.connection;
    return Boolean(connection && (connection.saveData || SLOW.includes(connection.effectiveType)));
  }

  // The visitor's choice, else the browser's hints, else the server's reading of the
  // Save-Data header (`hint`).
  function saving(hint) {
    const choice = stored();
    if (choice) return choice === "on";
    return slowConnection() || Boolean(hint);
  }

  // The same for a listening page's player: the server named the small source first.
  function wanted(media) {
    const first = media && media.querySelector("source[data-role]");
    return saving(Boolean(first && first.dataset.role === "small"));
  }

  function withoutHash(url) {
    return url.split("#")[0];
  }

  function playable(media, source) {
    return !source.type || media.canPlayType(source.type) !== "";
  }

  // Put the source of `role` first and reload, keeping the time and the paused state.
  function use(media, role) {
    const sources = Array.from(media.querySelectorAll("source[data-role]"));
    const chosen = sources.find((s) => s.dataset.role === role);
    if (!chosen || !playable(media, chosen)) return;
    if (media.currentSrc && withoutHash(media.currentSrc) === withoutHash(chosen.src)) return;
    const time = media.currentTime;
    const paused = media.paused;
    media.insertBefore(chosen, sources[0]);
    media.dataset.sourceRole = role;
    media.load();
    media.addEventListener(
      "loadedmetadata",
      function restore() {
        if (time > 0) media.currentTime = time;
        if (!paused) media.play().catch(() => {});
      },
      { once: true }
    );
  }

  // Every switch on the page shows `on`; every listening player plays the copy it names; and
  // whoever else plays (the queue player) hears it.
  function choose(on) {
    remember(on);
    document.querySelectorAll(".save-data-toggle").forEach((toggle) => {
      toggle.checked = on;
    });
    document.querySelectorAll(".listen audio.media, .listen video.media").forEach((media) => {
      use(media, on ? "small" : "access");
    });
    document.dispatchEvent(new CustomEvent("archive:save-data", { detail: { on: on } }));
  }

  // A switch: beside a listening player (it shows and applies what that player should play),
  // or in the queue bar (queue.js sets it as the queue is loaded). Each one once.
  function setUp(toggle) {
    if (toggle.hasAttribute("data-save-data-ready")) return;
    toggle.setAttribute("data-save-data-ready", "");
    const section = toggle.closest(".listen");
    const media = section && section.querySelector("audio.media, video.media");
    if (media) {
      toggle.checked = wanted(media);
      use(media, toggle.checked ? "small" : "access");
    }
    toggle.addEventListener("change", () => choose(toggle.checked));
  }

  function start() {
    document.querySelectorAll(".save-data-toggle").forEach(setUp);
  }

  window.archiveDataSaver = { saving: saving, wanted: wanted, use: use };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  document.addEventListener("archive:page", start); // a listening page swapped in (queue.js)
})();
