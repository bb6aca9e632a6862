// The audio library's queue player: "Play all" starts a queue of recordings in the bar of the
// site shell (_queue_bar.html), which goes from one recording to the next, answers the
// system's media keys, and keeps playing while the visitor moves between pages: same-origin
// links are followed by fetch + history.pushState, swapping <main> and the title while the
// <audio> element stays. The queue (position, time, shuffle) lives in sessionStorage, so a
// full reload picks it up again. Without script, "Play all" is a link to the queue's page.
// When the visitor saves data (the switch, the Save-Data header, a slow connection: see
// data-saver.js), each recording's small rendition is played instead of the normal copy.
(function () {
  "use strict";

  const KEY = "archive-queue";
  const bar = document.getElementById("queue-bar");
  if (!bar || !window.fetch || !window.history.pushState) return;
  const audio = bar.querySelector("audio");
  // The title's link is made here: an empty link in the page's HTML would be one more thing
  // for a screen reader (and the accessibility checkers) to stumble on while the bar is hidden.
  const titleLink = document.createElement("a");
  titleLink.className = "queue-title";
  titleLink.dir = "auto";
  const peopleLine = bar.querySelector(".queue-people");
  const toggle = bar.querySelector(".queue-toggle");
  const timeShown = bar.querySelector(".queue-time");
  const list = bar.querySelector(".queue-entries");
  const listToggle = bar.querySelector(".queue-list-toggle");
  const shuffleButton = bar.querySelector(".queue-shuffle");
  const shareLink = bar.querySelector(".queue-share-link");
  const saveData = bar.querySelector(".queue-save-data");
  // Pages that a soft navigation must leave alone: staff pages, sign-in and account pages.
  const FULL_LOAD = /^\/(manage|login|logout|register|account|accounts|users|api|media|queue\.json|oai|iiif)(\/|$|\?)/;
  let state = null; // {entries, order, at, time, shuffle, share, saveData}
  let lastSaved = 0;
  let shown = location.pathname + location.search; // the page <main> now holds

  const msg = (name) => bar.getAttribute(`data-msg-${name}`) || "";

  function clock(seconds) {
    if (!Number.isFinite(seconds) || seconds < 0) return "0:00";
    const whole = Math.floor(seconds);
    const h = Math.floor(whole / 3600);
    const m = Math.floor((whole % 3600) / 60);
    const s = String(whole % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
  }

  function save() {
    if (!state) {
      sessionStorage.removeItem(KEY);
      return;
    }
    state.time = audio.currentTime || state.time || 0;
    try {
      sessionStorage.setItem(KEY, JSON.stringify(state));
    } catch (error) {
      /* storage full or refused: the queue still plays, it just won't survive a reload */
    }
  }

  function current() {
    return state ? state.entries[state.order[state.at]] : null;
  }

  /** Whether to play small renditions: the visitor's choice, else the browser's hints, else
   *  the server's reading of the Save-Data header when the queue was fetched. */
  function savingData() {
    const saver = window.archiveDataSaver;
    return Boolean(saver && saver.saving(state && state.saveData));
  }

  /** The file to play for `entry`: its small rendition when data is saved and the browser
   *  can play it, else the normal copy. */
  function fileOf(entry) {
    if (entry.small && savingData() && (!entry.small_type || audio.canPlayType(entry.small_type) !== "")) {
      return entry.small;
    }
    return entry.media;
  }

  function peopleText(entry) {
    const roles = [["poet", "lyrics"], ["performer", "performed"], ["composer", "music"], ["narrator", "narrator"]];
    const comma = document.documentElement.lang === "ar" ? "، " : ", ";
    return roles
      .filter(([role]) => entry.people[role] && entry.people[role].length)
      .map(([role, name]) => `${msg(name)}: ${entry.people[role].join(comma)}`)
      .join(" · ");
  }

  function renderList() {
    list.textContent = "";
    state.order.forEach((index, at) => {
      const entry = state.entries[index];
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = entry.url;
      link.textContent = entry.title;
      link.lang = entry.title_lang;
      link.dir = "auto";
      item.appendChild(link);
      if (at === state.at) {
        item.setAttribute("aria-current", "true");
        const mark = document.createElement("span");
        mark.className = "visually-hidden";
        mark.textContent = ` (${msg("current")})`;
        item.appendChild(mark);
      }
      list.appendChild(item);
    });
  }

  function render() {
    const entry = current();
    if (!entry) return;
    bar.hidden = false;
    document.body.classList.add("has-queue");
    titleLink.href = entry.url;
    titleLink.textContent = entry.title;
    titleLink.lang = entry.title_lang;
    if (!titleLink.isConnected) bar.querySelector(".queue-now").prepend(titleLink);
    peopleLine.textContent = peopleText(entry);
    shuffleButton.setAttribute("aria-pressed", state.shuffle ? "true" : "false");
    shareLink.href = state.share;
    const small = state.entries.some((candidate) => candidate.small);
    saveData.hidden = !small;
    if (small) saveData.querySelector("input").checked = savingData();
    renderList();
    showPlaying();
    setMediaSession(entry);
  }

  function showPlaying() {
    const playing = !audio.paused;
    toggle.classList.toggle("playing", playing);
    toggle.setAttribute("aria-label", msg(playing ? "pause" : "play"));
    if ("mediaSession" in navigator) navigator.mediaSession.playbackState = playing ? "playing" : "paused";
  }

  function setMediaSession(entry) {
    if (!("mediaSession" in navigator) || !window.MediaMetadata) return;
    const people = entry.people;
    const artwork = entry.poster ? [{ src: new URL(entry.poster, location.href).href }] : [];
    navigator.mediaSession.metadata = new MediaMetadata({
      title: entry.title,
      artist: (people.performer || people.narrator || []).join(", "),
      album: (people.poet || []).join(", "),
      artwork,
    });
  }

  function load(at, time, play) {
    state.at = Math.max(0, Math.min(at, state.order.length - 1));
    state.time = time || 0;
    const entry = current();
    audio.src = fileOf(entry);
    audio.preload = "auto";
    if (state.time) {
      audio.addEventListener("loadedmetadata", () => { audio.currentTime = state.time; }, { once: true });
    }
    render();
    save();
    if (play) audio.play().catch(() => showPlaying());
  }

  function step(by) {
    if (!state) return;
    const next = state.at + by;
    if (next < 0 || next >= state.order.length) {
      if (by < 0) audio.currentTime = 0;
      return;
    }
    load(next, 0, true);
  }

  function shuffled(length, first) {
    const rest = [...Array(length).keys()].filter((i) => i !== first);
    for (let i = rest.length - 1; i > 0; i -= 1) {
      const j = Math.floor(Math.random() * (i + 1));
      [rest[i], rest[j]] = [rest[j], rest[i]];
    }
    return [first, ...rest];
  }

  function setShuffle(on) {
    const playing = state.order[state.at];
    state.shuffle = on;
    state.order = on ? shuffled(state.entries.length, playing) : [...state.entries.keys()];
    state.at = state.order.indexOf(playing);
    render();
    save();
  }

  async function start(source, position, play = true) {
    let data;
    try {
      const response = await fetch(source, { headers: { Accept: "application/json" } });
      data = await response.json();
      if (!response.ok) throw new Error(data.error || response.statusText);
    } catch (error) {
      announce(msg("failed"));
      return;
    }
    if (!data.entries.length) {
      announce(msg("failed"));
      return;
    }
    state = {
      entries: data.entries, order: [...data.entries.keys()], at: 0, time: 0, shuffle: false,
      share: data.share, saveData: Boolean(data.save_data),
    };
    load(Number.isInteger(position) ? position : data.position, 0, play);
    if (play) toggle.focus();
  }

  function announce(text) {
    let status = document.getElementById("queue-status");
    if (!status) {
      status = document.createElement("p");
      status.id = "queue-status";
      status.className = "visually-hidden";
      status.setAttribute("role", "status");
      document.body.appendChild(status);
    }
    status.textContent = text;
  }

  // --- the bar's controls -------------------------------------------------------------

  toggle.addEventListener("click", () => {
    if (!state) return;
    if (audio.paused) audio.play().catch(() => showPlaying());
    else audio.pause();
  });
  bar.querySelector(".queue-prev").addEventListener("click", () => step(-1));
  bar.querySelector(".queue-next").addEventListener("click", () => step(1));
  shuffleButton.addEventListener("click", () => state && setShuffle(!state.shuffle));
  listToggle.addEventListener("click", () => {
    const open = list.hidden;
    list.hidden = !open;
    listToggle.setAttribute("aria-expanded", open ? "true" : "false");
  });
  bar.querySelector(".queue-close").addEventListener("click", () => {
    audio.pause();
    audio.removeAttribute("src");
    audio.load();
    state = null;
    save();
    bar.hidden = true;
    document.body.classList.remove("has-queue");
    if ("mediaSession" in navigator) navigator.mediaSession.metadata = null;
    const heading = document.querySelector("main h1");
    if (heading) focusHeading(heading);
  });

  audio.addEventListener("play", showPlaying);
  audio.addEventListener("pause", () => { showPlaying(); save(); });
  audio.addEventListener("ended", () => {
    if (state && state.at < state.order.length - 1) step(1);
    else showPlaying();
  });
  audio.addEventListener("timeupdate", () => {
    timeShown.textContent = `${clock(audio.currentTime)} / ${clock(audio.duration)}`;
    if (Date.now() - lastSaved > 1000) {
      lastSaved = Date.now();
      save();
    }
  });
  // A recording that cannot be played (withdrawn since it was queued, a lost connection):
  // say so, and go on with the next one.
  audio.addEventListener("error", () => {
    if (!state || !audio.getAttribute("src")) return;
    announce(msg("unplayable"));
    if (state.at < state.order.length - 1) step(1);
  });
  window.addEventListener("pagehide", save);

  // "Save data" switched (here or beside a listening player): the other copy of the same
  // recording, from the same moment, playing if it was.
  document.addEventListener("archive:save-data", () => {
    const entry = current();
    if (!entry) return;
    const wanted = new URL(fileOf(entry), location.href).href;
    if (!audio.getAttribute("src") || audio.src === wanted) return;
    const time = audio.currentTime;
    const paused = audio.paused;
    audio.src = wanted;
    audio.addEventListener("loadedmetadata", () => {
      if (time > 0) audio.currentTime = time;
      if (!paused) audio.play().catch(() => showPlaying());
    }, { once: true });
    save();
  });

  // One sound at a time: the listening page's own player and the queue pause each other.
  document.addEventListener("play", (event) => {
    if (event.target === audio) {
      document.querySelectorAll("main audio, main video").forEach((media) => media.pause());
    } else if (!audio.paused) {
      audio.pause();
    }
  }, true);

  if ("mediaSession" in navigator) {
    const handlers = {
      play: () => audio.play(),
      pause: () => audio.pause(),
      previoustrack: () => step(-1),
      nexttrack: () => step(1),
      seekto: (details) => {
        if (details.fastSeek && "fastSeek" in audio) audio.fastSeek(details.seekTime);
        else audio.currentTime = details.seekTime;
      },
    };
    Object.entries(handlers).forEach(([action, handler]) => {
      try {
        navigator.mediaSession.setActionHandler(action, handler);
      } catch (error) {
        /* an action this browser does not know */
      }
    });
  }

  // --- "Play all" ---------------------------------------------------------------------

  document.addEventListener("click", (event) => {
    const trigger = event.target.closest("[data-queue-src]");
    if (!trigger || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    const position = parseInt(trigger.getAttribute("data-queue-position") || "", 10);
    start(trigger.getAttribute("data-queue-src"), Number.isNaN(position) ? undefined : position);
  });

  function showStartButtons() {
    document.querySelectorAll("button.queue-start[hidden]").forEach((button) => { button.hidden = false; });
  }

  // --- moving between pages while the queue plays ----------------------------------------

  function softLink(link, event) {
    if (!state || event.defaultPrevented || event.button !== 0) return false;
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return false;
    if (link.target && link.target !== "_self") return false;
    if (link.hasAttribute("download") || link.closest("#queue-bar .queue-share-link")) return false;
    const url = new URL(link.href, location.href);
    if (url.origin !== location.origin) return false;
    if (url.searchParams.has("lang")) return false; // the language switch: a whole new shell
    if (FULL_LOAD.test(url.pathname)) return false;
    if (url.pathname === location.pathname && url.search === location.search && url.hash) return false;
    if (/\.(vtt|txt|xml|json|csv|zip|m4a|mp4|mp3|wav|pdf)$/i.test(url.pathname)) return false;
    return true;
  }

  function focusHeading(heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }

  async function visit(url, push) {
    let response;
    let text;
    try {
      response = await fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" });
      text = await response.text();
    } catch (error) {
      location.assign(url);
      return;
    }
    const type = response.headers.get("Content-Type") || "";
    const page = new DOMParser().parseFromString(text, "text/html");
    const main = page.querySelector("main#main");
    const sameShell = page.documentElement.lang === document.documentElement.lang;
    if (!type.startsWith("text/html") || !main || !sameShell) {
      location.assign(url);
      return;
    }
    save();
    if (push) history.pushState({ soft: true }, "", response.url || url);
    shown = location.pathname + location.search;
    document.title = page.title;
    // Stylesheets the new page needs (the listening page's own): added once, never removed.
    page.querySelectorAll("head link[rel=stylesheet]").forEach((sheet) => {
      const href = sheet.getAttribute("href");
      if (!document.querySelector(`head link[rel=stylesheet][href="${CSS.escape(href)}"]`)) {
        document.head.appendChild(document.importNode(sheet, true));
      }
    });
    const scripts = newScripts(page); // before the swap: the new <main>'s copies never run
    document.querySelector("main#main").replaceWith(document.importNode(main, true));
    await loadScripts(scripts);
    document.dispatchEvent(new CustomEvent("archive:page"));
    showStartButtons();
    const target = new URL(response.url || url, location.href);
    const anchor = target.hash && document.getElementById(decodeURIComponent(target.hash.slice(1)));
    const heading = document.querySelector("main h1");
    if (anchor) anchor.scrollIntoView();
    else window.scrollTo(0, 0);
    if (heading) focusHeading(heading);
  }

  /** The new page's scripts that this document has not run yet. */
  function newScripts(page) {
    const ran = new Set([...document.scripts].map((script) => script.getAttribute("src")));
    const wanted = [...page.querySelectorAll("body script[src]")].map((s) => s.getAttribute("src"));
    return [...new Set(wanted)].filter((src) => !ran.has(src));
  }

  /** Run them, in order (each page script starts what it finds in <main>, and listens for
   *  "archive:page" to start it again after a later swap). */
  function loadScripts(sources) {
    return Promise.all(sources.map((src) => {
      const copy = document.createElement("script");
      copy.src = src;
      copy.async = false;
      const loaded = new Promise((resolve) => {
        copy.onload = copy.onerror = resolve;
      });
      document.body.appendChild(copy);
      return loaded;
    }));
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[href]");
    if (!link || link.hasAttribute("data-queue-src") || !softLink(link, event)) return;
    event.preventDefault();
    visit(link.href, true);
  });

  window.addEventListener("popstate", () => {
    if (location.pathname + location.search === shown) return; // only the #fragment moved
    shown = location.pathname + location.search;
    if (state) visit(location.href, false);
    else location.reload();
  });
  // The first page of a visit is a history entry too: mark it, so back to it is soft as well.
  history.replaceState({ soft: true }, "", location.href);

  // --- a queue left by a reload, or asked for by a shared link -------------------------------

  showStartButtons();
  try {
    state = JSON.parse(sessionStorage.getItem(KEY) || "null");
  } catch (error) {
    state = null;
  }
  if (state && state.entries && state.entries.length) {
    load(state.at, state.time, false); // a browser plays again only when the visitor asks
  } else {
    state = null;
    // A shared queue's page: the queue waits in the bar, for the visitor to press play.
    const shared = document.querySelector("main button.queue-start[data-queue-src]");
    if (shared) {
      start(shared.getAttribute("data-queue-src"), parseInt(shared.getAttribute("data-queue-position"), 10), false);
    }
  }
})();
