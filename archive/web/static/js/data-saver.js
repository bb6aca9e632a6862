// "Save data": play the small rendition (Opus audio, 360p video) instead of the normal copy.
//
// The visitor's choice is remembered in localStorage and in a cookie, so that the server
// names the small <source> first on the next page (archive/web/data_saving.py). Without a
// choice, the browser decides: navigator.connection.saveData, or an effective type of
// slow-2g, 2g or 3g, or the Save-Data header (the server then names the small source first).
// Switching keeps the position and whether it was playing. A browser that cannot play the
// small rendition's type (Opus in WebM) keeps the normal copy.
(function () {
  "use strict";
  if (window.archiveDataSaver) return; // one player per group includes this script
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
  // Save-Data header (it named the small source first).
  function wanted(media) {
    const choice = stored();
    if (choice) return choice === "on";
    const first = media && media.querySelector("source[data-role]");
    return slowConnection() || Boolean(first && first.dataset.role === "small");
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

  function setUp(toggle) {
    const section = toggle.closest(".listen");
    const media = section && section.querySelector("audio.media, video.media");
    if (!media) return;
    const apply = (on) => use(media, on ? "small" : "access");
    toggle.checked = wanted(media);
    apply(toggle.checked);
    toggle.addEventListener("change", () => {
      remember(toggle.checked);
      document.querySelectorAll(".save-data-toggle").forEach((other) => {
        if (other !== toggle) other.checked = toggle.checked;
      });
      document.querySelectorAll(".listen audio.media, .listen video.media").forEach((m) => {
        use(m, toggle.checked ? "small" : "access");
      });
    });
  }

  function start() {
    document.querySelectorAll(".save-data-toggle").forEach(setUp);
  }

  window.archiveDataSaver = { wanted: wanted, use: use };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
