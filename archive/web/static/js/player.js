// The listening page and the embed: the player's own controls (names in the page's language)
// with the waveform as its seek slider, transcript that follows the recording, search in the
// transcript, translations beside it, ?t= / #t= moments, "share this moment", copy buttons and
// keyboard shortcuts. No framework; every string shown comes from the page (data-msg-*, data-*).
(function () {
  "use strict";

  const SEEK_STEP = 5; // seconds moved by the arrow keys
  const PAGE_STEP = 30; // seconds moved by Page Up / Page Down on the waveform
  const FOLLOW_PAUSE = 4000; // ms the transcript stops following after the visitor scrolls it
  const GAP = 1.5; // seconds a passage stays current after its end, across a short pause
  const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  const players = [];
  let active = null;

  function message(element, name) {
    const holder = element.closest(`[data-msg-${name}]`);
    return holder ? holder.getAttribute(`data-msg-${name}`) : "";
  }

  /** Seconds from "65", "65.5", "1:05", "00:01:05" or a media fragment "npt:65,70"; else null. */
  function parseTime(value) {
    if (!value) return null;
    const text = String(value).replace(/^npt:/, "").split(",")[0].trim();
    if (!/^\d+(?:\.\d+)?$|^(?:\d+:){1,2}\d+(?:\.\d+)?$/.test(text)) return null;
    const seconds = text.split(":").reduce((total, part) => total * 60 + parseFloat(part), 0);
    return Number.isFinite(seconds) ? seconds : null;
  }

  /** "1:05", "1:02:05": the same clock as the transcript's times (listening.clock). */
  function clock(seconds) {
    if (!Number.isFinite(seconds) || seconds < 0) return "0:00";
    const whole = Math.floor(seconds);
    const h = Math.floor(whole / 3600);
    const m = Math.floor((whole % 3600) / 60);
    const s = String(whole % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
  }

  function timeFromHash() {
    const match = /(?:^#|&)t=([^&]+)/.exec(window.location.hash);
    return match ? parseTime(decodeURIComponent(match[1])) : null;
  }

  function scrollWithin(container, element, smooth) {
    if (!container || container.scrollHeight <= container.clientHeight + 1) return;
    const box = container.getBoundingClientRect();
    const rect = element.getBoundingClientRect();
    if (rect.top >= box.top && rect.bottom <= box.bottom) return;
    const top = container.scrollTop + (rect.top - box.top) - (box.height - rect.height) / 3;
    container.scrollTo({ top, behavior: smooth && !reducedMotion ? "smooth" : "auto" });
  }

  function isTyping(target) {
    return Boolean(
      target.closest && target.closest("input, textarea, select, [contenteditable]:not([contenteditable=false])")
    );
  }

  async function copyText(text) {
    if (!navigator.clipboard || !window.isSecureContext) return false;
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch (error) {
      return false;
    }
  }

  class Player {
    constructor(section) {
      this.section = section;
      this.media = section.querySelector(".media");
      this.list = section.querySelector("ol.transcript");
      this.live = section.querySelector(".now-playing");
      this.segments = Array.from(section.querySelectorAll("li.segment[data-start]"));
      this.starts = this.segments.map((li) => parseFloat(li.dataset.start));
      this.ends = this.segments.map((li, i) => {
        const end = parseFloat(li.dataset.end);
        if (Number.isFinite(end)) return end;
        return i + 1 < this.starts.length ? this.starts[i + 1] : Infinity;
      });
      this.current = null;
      this.userScrolledAt = 0;
      this.hits = [];
      this.hitIndex = -1;
      this.originals = new Map(); // .words element -> its original text
      this.waveform = null;
      this.setUpTranscript();
      this.setUpSearch();
      this.setUpTranslations();
      if (this.media) this.setUpMedia();
    }

    // Playback

    setUpMedia() {
      const media = this.media;
      const sync = () => this.sync();
      media.addEventListener("timeupdate", sync);
      media.addEventListener("seeked", sync);
      media.addEventListener("play", () => {
        active = this;
        players.forEach((other) => {
          if (other !== this && other.media && !other.media.paused) other.media.pause();
        });
        this.tick();
      });
      media.addEventListener("focus", () => { active = this; });
      const canvas = this.section.querySelector("canvas.waveform");
      if (canvas) this.waveform = new Waveform(canvas, this);
      const controls = this.section.querySelector(".controls");
      if (controls && canvas) this.controls = new Controls(controls, canvas, this);
      const share = this.section.querySelector(".share-moment");
      if (share) share.addEventListener("click", () => this.share());
    }

    startAt(seconds) {
      const media = this.media;
      const apply = () => {
        if (Math.abs(media.currentTime - seconds) > 0.25) media.currentTime = seconds;
        this.sync(seconds, { announce: false, smooth: false });
      };
      if (media.readyState >= 1) apply();
      else media.addEventListener("loadedmetadata", apply, { once: true });
      this.sync(seconds, { announce: false, smooth: false });
    }

    seek(seconds, play) {
      if (!this.media) return;
      active = this;
      const duration = this.media.duration;
      const target = Math.max(0, Number.isFinite(duration) ? Math.min(seconds, duration) : seconds);
      this.media.currentTime = target;
      this.sync(target, { announce: false });
      if (play && this.media.paused) {
        const playing = this.media.play();
        if (playing && playing.catch) playing.catch(() => {});
      }
    }

    toggle() {
      if (!this.media) return;
      if (this.media.paused) {
        const playing = this.media.play();
        if (playing && playing.catch) playing.catch(() => {});
      } else {
        this.media.pause();
      }
    }

    tick() {
      // Timeupdate comes four times a second; follow the frames while playing.
      if (this.media.paused || this.media.ended) return;
      this.sync();
      window.requestAnimationFrame(() => this.tick());
    }

    /** The passage playing at ``time`` (or now): highlighted, followed, announced. */
    sync(time, options = {}) {
      const now = time !== undefined ? time : this.media.currentTime;
      if (this.waveform) this.waveform.draw(now);
      if (this.controls) this.controls.show(now);
      let low = 0;
      let high = this.starts.length - 1;
      let found = -1;
      while (low <= high) {
        const middle = (low + high) >> 1;
        if (this.starts[middle] <= now) {
          found = middle;
          low = middle + 1;
        } else {
          high = middle - 1;
        }
      }
      const nextStart = found + 1 < this.starts.length ? this.starts[found + 1] : Infinity;
      const current = found >= 0 && now < Math.min(this.ends[found] + GAP, nextStart)
        ? this.segments[found] : null;
      if (current === this.current) return;
      if (this.current) {
        this.current.classList.remove("current");
        this.current.removeAttribute("aria-current");
      }
      this.current = current;
      if (!current) return;
      current.classList.add("current");
      current.setAttribute("aria-current", "true");
      if (Date.now() - this.userScrolledAt > FOLLOW_PAUSE) {
        scrollWithin(this.list, current, options.smooth !== false);
      }
      const announce = options.announce !== false && this.media && !this.media.paused;
      if (announce && this.live) {
        const words = current.querySelector(".seg-body > .words, .seg-body > .placeholder");
        this.live.textContent = words ? words.textContent : "";
      }
    }

    async share() {
      const seconds = Math.floor(this.media.currentTime || 0);
      const url = new URL(this.section.dataset.shareUrl, window.location.href);
      url.search = `?t=${seconds}`;
      const box = this.section.querySelector(".share-box");
      const field = this.section.querySelector(".share-field");
      const status = this.section.querySelector(".share-status");
      field.value = url.href;
      box.hidden = false;
      field.focus();
      field.select();
      const copied = await copyText(url.href);
      status.textContent = message(this.section, copied ? "copied" : "copy-by-hand");
    }

    // The transcript

    setUpTranscript() {
      if (!this.list) return;
      this.list.addEventListener("click", (event) => {
        const li = event.target.closest("li.segment[data-start]");
        if (!li || !this.media) return;
        const onTime = event.target.closest("a.seg-time");
        if (!onTime && String(window.getSelection()).trim()) return; // selecting words to copy
        if (onTime) event.preventDefault();
        this.seek(parseFloat(li.dataset.start), true);
      });
      const scrolled = () => { this.userScrolledAt = Date.now(); };
      this.list.addEventListener("wheel", scrolled, { passive: true });
      this.list.addEventListener("touchmove", scrolled, { passive: true });
    }

    // Finding words in the transcript

    setUpSearch() {
      this.find = this.section.querySelector(".find-input");
      if (!this.find) return;
      this.count = this.section.querySelector(".find-count");
      let timer = 0;
      this.find.addEventListener("input", () => {
        window.clearTimeout(timer);
        timer = window.setTimeout(() => this.search(), 120);
      });
      this.find.addEventListener("keydown", (event) => {
        if (event.key !== "Enter") return;
        event.preventDefault();
        window.clearTimeout(timer);
        if (this.query !== this.find.value) this.search();
        else this.step(event.shiftKey ? -1 : 1);
      });
      this.section.querySelector(".find-next").addEventListener("click", () => this.step(1));
      this.section.querySelector(".find-prev").addEventListener("click", () => this.step(-1));
    }

    searchable() {
      return Array.from(this.list.querySelectorAll(".words")).filter(
        (words) => !words.closest(".translation[hidden]")
      );
    }

    clearMarks() {
      this.originals.forEach((text, words) => {
        if (words.querySelector("mark")) words.textContent = text;
      });
      this.hits = [];
      this.hitIndex = -1;
    }

    search() {
      this.query = this.find.value;
      this.clearMarks();
      if (!window.ArabicFold.foldQuery(this.query)) {
        this.count.textContent = "";
        return;
      }
      for (const words of this.searchable()) {
        if (!this.originals.has(words)) this.originals.set(words, words.textContent);
        const text = this.originals.get(words);
        const ranges = window.ArabicFold.findAll(text, this.query);
        if (!ranges.length) continue;
        const pieces = document.createDocumentFragment();
        let at = 0;
        for (const [start, end] of ranges) {
          pieces.append(text.slice(at, start));
          const mark = document.createElement("mark");
          mark.className = "hit";
          mark.textContent = text.slice(start, end);
          pieces.append(mark);
          this.hits.push(mark);
          at = end;
        }
        pieces.append(text.slice(at));
        words.replaceChildren(pieces);
      }
      if (this.hits.length) this.step(1);
      else this.count.textContent = message(this.section, "no-match");
    }

    step(direction) {
      if (this.query !== undefined && this.find.value !== this.query) {
        this.search();
        return;
      }
      if (!this.hits.length) return;
      if (this.hitIndex >= 0) this.hits[this.hitIndex].classList.remove("current-hit");
      this.hitIndex = (this.hitIndex + direction + this.hits.length) % this.hits.length;
      const hit = this.hits[this.hitIndex];
      hit.classList.add("current-hit");
      this.count.textContent = `${this.hitIndex + 1} / ${this.hits.length}`;
      this.userScrolledAt = Date.now(); // let the visitor read the match
      scrollWithin(this.list, hit.closest("li") || hit, true);
      if (this.list.scrollHeight <= this.list.clientHeight + 1) {
        hit.scrollIntoView({ block: "nearest", behavior: reducedMotion ? "auto" : "smooth" });
      }
    }

    // Translations beside the transcript

    setUpTranslations() {
      const choice = this.section.querySelector(".translation-choice");
      if (!choice || !this.list) return;
      const show = () => {
        this.list.querySelectorAll(".translation").forEach((block) => {
          block.hidden = block.dataset.translation !== choice.value;
        });
        this.list.classList.toggle("with-translation", Boolean(choice.value));
        if (this.find && this.find.value) this.search();
      };
      choice.addEventListener("change", show);
      show();
    }
  }

  /**
   * Play/pause, time, mute and speed in the page's language, in place of the browser's own
   * controls (named in the browser's language); the waveform becomes a slider for the position.
   * Without the script the browser's controls stay.
   */
  class Controls {
    constructor(bar, canvas, player) {
      const media = player.media;
      this.bar = bar;
      this.canvas = canvas;
      this.player = player;
      this.toggle = bar.querySelector(".play-toggle");
      this.mute = bar.querySelector(".mute-toggle");
      this.speed = bar.querySelector(".speed-choice");
      this.elapsed = bar.querySelector(".elapsed");
      this.total = bar.querySelector(".total");
      this.shown = -1; // the whole second last shown
      media.controls = false;
      bar.hidden = false;
      canvas.removeAttribute("aria-hidden");
      canvas.setAttribute("role", "slider");
      canvas.setAttribute("tabindex", "0");
      canvas.setAttribute("aria-orientation", "horizontal");
      canvas.setAttribute("aria-valuemin", "0");
      this.toggle.addEventListener("click", () => player.toggle());
      this.mute.addEventListener("click", () => { media.muted = !media.muted; });
      this.speed.addEventListener("change", () => { media.playbackRate = parseFloat(this.speed.value); });
      const state = () => this.state();
      ["play", "pause", "ended", "volumechange", "durationchange", "loadedmetadata"].forEach(
        (name) => media.addEventListener(name, state)
      );
      canvas.addEventListener("keydown", (event) => this.key(event));
      this.state();
    }

    duration() {
      const duration = this.player.media.duration;
      return Number.isFinite(duration) ? duration : 0;
    }

    state() {
      const media = this.player.media;
      const playing = !media.paused && !media.ended;
      this.bar.classList.toggle("playing", playing);
      this.toggle.setAttribute("aria-label", this.toggle.dataset[playing ? "labelPause" : "labelPlay"]);
      this.mute.setAttribute("aria-pressed", String(media.muted));
      if (this.duration()) this.total.textContent = clock(this.duration());
      this.canvas.setAttribute("aria-valuemax", String(Math.round(this.duration())));
      this.shown = -1;
      this.show(media.currentTime);
    }

    /** The time beside the buttons and on the slider, once a second (a reader is not flooded). */
    show(time) {
      const whole = Math.floor(time || 0);
      if (whole === this.shown) return;
      this.shown = whole;
      this.elapsed.textContent = clock(whole);
      this.canvas.setAttribute("aria-valuenow", String(whole));
      const text = this.canvas.dataset.valuetext || "{elapsed} / {total}";
      this.canvas.setAttribute(
        "aria-valuetext",
        text.replace("{elapsed}", clock(whole)).replace("{total}", clock(this.duration()))
      );
    }

    key(event) {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      const now = this.player.media.currentTime;
      const moves = {
        ArrowRight: now + SEEK_STEP, ArrowUp: now + SEEK_STEP,
        ArrowLeft: now - SEEK_STEP, ArrowDown: now - SEEK_STEP,
        PageUp: now + PAGE_STEP, PageDown: now - PAGE_STEP,
        Home: 0, End: this.duration(),
      };
      if (!(event.key in moves)) return;
      event.preventDefault();
      this.player.seek(moves[event.key], false);
    }
  }

  class Waveform {
    constructor(canvas, player) {
      this.canvas = canvas;
      this.player = player;
      this.peaks = null;
      this.bars = [];
      this.width = 0;
      fetch(canvas.dataset.peaks, { credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : null))
        .then((peaks) => {
          if (!peaks || !Array.isArray(peaks.data) || !peaks.data.length) return;
          this.peaks = peaks;
          this.draw();
          canvas.classList.add("drawn");
        })
        .catch(() => {});
      new ResizeObserver(() => this.draw()).observe(canvas);
      canvas.addEventListener("pointerdown", (event) => {
        if (!this.peaks) return;
        const box = canvas.getBoundingClientRect();
        const fraction = Math.min(Math.max((event.clientX - box.left) / box.width, 0), 1);
        player.seek(fraction * this.duration(), !player.media.paused);
      });
    }

    duration() {
      const media = this.player.media;
      if (Number.isFinite(media.duration) && media.duration > 0) return media.duration;
      const peaks = this.peaks;
      const channels = peaks.channels || 1;
      return (peaks.data.length / 2 / channels) * peaks.samples_per_pixel / peaks.sample_rate;
    }

    /** Bar heights (0..1) for the canvas width: the loudest bucket in each bar, normalised. */
    measure(width) {
      const peaks = this.peaks;
      const channels = peaks.channels || 1;
      const full = peaks.bits === 16 ? 32768 : 128;
      const buckets = peaks.data.length / 2 / channels;
      const count = Math.max(1, Math.floor(width / 3));
      const bars = new Array(count).fill(0);
      let loudest = 0;
      for (let bar = 0; bar < count; bar += 1) {
        const first = Math.floor((bar * buckets) / count);
        const last = Math.max(first + 1, Math.floor(((bar + 1) * buckets) / count));
        let value = 0;
        for (let bucket = first; bucket < last && bucket < buckets; bucket += 1) {
          for (let channel = 0; channel < channels; channel += 1) {
            const at = (bucket * channels + channel) * 2;
            value = Math.max(value, Math.abs(peaks.data[at]), Math.abs(peaks.data[at + 1]));
          }
        }
        bars[bar] = value / full;
        loudest = Math.max(loudest, bars[bar]);
      }
      return loudest > 0 ? bars.map((value) => value / loudest) : bars;
    }

    draw(time) {
      if (!this.peaks) return;
      const canvas = this.canvas;
      const ratio = window.devicePixelRatio || 1;
      const width = canvas.clientWidth;
      const height = canvas.clientHeight;
      if (!width || !height) return;
      if (width !== this.width) {
        this.width = width;
        this.bars = this.measure(width);
        const style = getComputedStyle(canvas);
        this.played = style.getPropertyValue("--played").trim() || "#7a1f1f";
        this.unplayed = style.getPropertyValue("--unplayed").trim() || "#b9b4aa";
      }
      if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
      if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
      const context = canvas.getContext("2d");
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      context.clearRect(0, 0, width, height);
      const now = time !== undefined ? time : this.player.media.currentTime;
      const edge = (now / this.duration()) * width;
      const middle = height / 2;
      this.bars.forEach((value, bar) => {
        const x = bar * 3;
        const h = Math.max(1, value * (height - 4));
        context.fillStyle = x < edge ? this.played : this.unplayed;
        context.fillRect(x, middle - h / 2, 2, h);
      });
    }
  }

  function setUpCopyButtons() {
    document.querySelectorAll("button.copy[data-copy]:not([data-copy-ready])").forEach((button) => {
      button.setAttribute("data-copy-ready", "");
      button.addEventListener("click", async () => {
        const field = document.getElementById(button.dataset.copy);
        const status = button.parentElement.querySelector(".copy-status");
        field.focus();
        field.select();
        const copied = await copyText(field.value);
        if (status) status.textContent = message(button, copied ? "copied" : "copy-by-hand");
      });
    });
  }

  function setUpKeys() {
    document.addEventListener("keydown", (event) => {
      if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
      const player = active || players.find((candidate) => candidate.media);
      if (!player || !player.media) return;
      const target = event.target;
      if (isTyping(target) || target.closest("audio, video")) return;
      if (event.key === " " || event.key === "Spacebar") {
        if (target.closest("button, summary, [role=button]")) return;
        event.preventDefault();
        player.toggle();
      } else if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
        // Time runs left to right on the player in every language (dir="ltr" there).
        event.preventDefault();
        const step = event.key === "ArrowRight" ? SEEK_STEP : -SEEK_STEP;
        player.seek(player.media.currentTime + step, false);
      }
    });
  }

  /** Start the players of the page's listening sections not started yet (again after the
   *  queue player swapped the page's <main>, see queue.js): bindings are made once per section. */
  function init() {
    for (let i = players.length - 1; i >= 0; i -= 1) {
      if (!players[i].section.isConnected) players.splice(i, 1);
    }
    if (active && !active.section.isConnected) active = null;
    const fresh = [];
    document.querySelectorAll("section.listen:not([data-player-ready])").forEach((section) => {
      section.setAttribute("data-player-ready", "");
      const player = new Player(section);
      players.push(player);
      fresh.push(player);
    });
    // A moment: #t= in the page's address first, else the ?t= the page was asked for.
    const first = fresh.find((candidate) => candidate.media);
    const fromHash = timeFromHash();
    if (first && fromHash !== null) first.startAt(fromHash);
    else fresh.forEach((player) => {
      const start = parseTime(player.section.dataset.start);
      if (player.media && start !== null) player.startAt(start);
    });
    setUpCopyButtons();
  }

  init();
  setUpKeys();
  document.addEventListener("archive:page", init);
  window.addEventListener("hashchange", () => {
    const seconds = timeFromHash();
    const player = players.find((candidate) => candidate.media);
    if (seconds !== null && player) player.seek(seconds, false);
  });
})();
