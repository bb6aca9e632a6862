// Upload page: sends each file with the tus protocol (tus-js-client, vendored), so that an
// upload that loses its connection continues where it stopped, and a file chosen again after
// a reload continues too; each file has its own progress bar, Pause/Resume and Cancel. Then
// it follows the file's processing job live (queued, probing, transcoding NN %, done/failed).
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form) return;
  const list = document.getElementById("uploads");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const data = form.dataset;
  const label = (state) => data["state" + state.charAt(0).toUpperCase() + state.slice(1)] || state;
  const rows = new Map(); // job id -> row
  // Waits between retries of a broken connection; then the "online" event takes over.
  const RETRY_DELAYS = [0, 1000, 2000, 4000, 8000, 15000, 30000, 60000];
  const tus = window.tus;

  function makeRow(file) {
    const li = document.createElement("li");
    const name = document.createElement("bdi");
    name.textContent = file.name;
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", file.name);
    const state = document.createElement("bdi");
    state.className = "state";
    const controls = document.createElement("span");
    controls.className = "controls";
    const detail = document.createElement("div");
    detail.className = "detail";
    detail.dir = "auto";
    const actions = document.createElement("div");
    actions.className = "actions-row";
    li.append(name, " ", bar, " ", state, " ", controls, detail, actions);
    list.append(li);
    return { li, bar, state, controls, detail, actions };
  }

  function show(row, state, percent, message) {
    row.li.dataset.state = state;
    row.state.textContent = label(state);
    if (percent !== null) {
      const number = document.createElement("bdi");
      number.dir = "ltr";
      number.textContent = percent + " %";
      row.state.append(" ", number);
      row.bar.value = percent;
    }
    row.bar.setAttribute("aria-valuetext", row.state.textContent);
    if (message !== undefined) row.detail.textContent = message;
  }

  function button(text, onClick, name) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    if (name) b.setAttribute("aria-label", text + ": " + name); // which file, for screen readers
    b.addEventListener("click", onClick);
    return b;
  }

  function rejected(row, error, item) {
    row.bar.value = 0;
    row.controls.replaceChildren();
    show(row, "rejected", null, error);
    if (item) {
      const link = document.createElement("a");
      link.href = data.itemsUrl + encodeURIComponent(item);
      link.textContent = item;
      row.actions.replaceChildren(link);
    }
  }

  function accepted(row, status) {
    row.controls.replaceChildren();
    row.bar.value = 0;
    show(row, "queued", 0);
    const link = document.createElement("a");
    link.href = status.edit;
    link.textContent = data.labelEdit + " " + status.item;
    row.detail.replaceChildren(link);
    rows.set(status.job, row);
  }

  // What the server made of a finished upload: its item and job, or why it was refused.
  function outcome(row, response) {
    const url = response && response.getHeader("X-Archive-Status");
    if (!url) { rejected(row, "?"); return; }
    fetch(url, { headers: { "Tus-Resumable": "1.0.0", Accept: "application/json" } })
      .then((r) => r.json())
      .then((status) => {
        if (status.state === "ingested") accepted(row, status);
        else rejected(row, status.error || status.state, status.item);
      })
      .catch((err) => rejected(row, String(err)));
  }

  function errorText(err) {
    const response = err && err.originalResponse;
    const body = response ? response.getBody() : "";
    if (body) {
      try { return JSON.parse(body).error || body; } catch (e) { return body; }
    }
    return err && err.message ? err.message : String(err);
  }

  function send(file, type) {
    const row = makeRow(file);
    const params = new URLSearchParams(window.location.search);
    const metadata = { filename: file.name, filetype: file.type || "", type: type };
    if (params.get("item")) metadata.item = params.get("item");
    if (params.get("replace")) metadata.replace = params.get("replace");
    let running = false;
    const upload = new tus.Upload(file, {
      endpoint: data.tusUrl,
      metadata: metadata,
      headers: { "X-CSRFToken": csrf },
      retryDelays: RETRY_DELAYS,
      removeFingerprintOnSuccess: true,
      onShouldRetry: (err) => {
        const status = err.originalResponse ? err.originalResponse.getStatus() : 0;
        if (!navigator.onLine) {
          show(row, "offline", null);
          waiting.add(restart); // the "online" event restarts it at once
        }
        return !navigator.onLine || status === 0 || status === 409 || status === 423 || status >= 500;
      },
      onProgress: (sent, total) => {
        const percent = total ? Math.floor((sent / total) * 100) : 0;
        show(row, sent === total ? "probing" : "uploading", sent === total ? null : percent);
      },
      onSuccess: (payload) => { running = false; outcome(row, payload && payload.lastResponse); },
      onError: (err) => {
        running = false;
        const status = err.originalResponse ? err.originalResponse.getStatus() : 0;
        if (status === 0 || !navigator.onLine) {
          show(row, "offline", null);
          paused(); // resumed by the "online" event or the Resume button
          waiting.add(start);
        } else {
          rejected(row, errorText(err));
        }
      },
    });

    function restart() { // between two retries: try now rather than at the next delay
      waiting.delete(restart);
      if (!running) return;
      upload.abort().then(() => { running = false; start(); });
    }
    function start() {
      if (running) return;
      running = true;
      waiting.delete(start);
      waiting.delete(restart);
      pausing();
      upload.start();
    }
    function pausing() {
      row.controls.replaceChildren(
        button(data.labelPause, () => {
          running = false;
          upload.abort().then(() => { show(row, "paused", null); paused(); });
        }, file.name),
        button(data.labelCancel, cancel, file.name),
      );
    }
    function paused() {
      row.controls.replaceChildren(
        button(data.labelResume, start, file.name), button(data.labelCancel, cancel, file.name));
    }
    function cancel() {
      running = false;
      waiting.delete(start);
      upload.abort(true).catch(() => {}).finally(() => rejected(row, data.labelCancelled));
    }

    show(row, "uploading", 0);
    upload.findPreviousUploads().then((previous) => {
      if (previous.length) {
        upload.resumeFromPreviousUpload(previous[0]);
        row.detail.textContent = data.labelResumed;
      }
      start();
    });
  }

  const waiting = new Set(); // uploads stopped by a lost connection
  window.addEventListener("online", () => { for (const resume of [...waiting]) resume(); });

  function retry(jobId, row) {
    fetch(data.jobsUrl + "/" + jobId + "/retry", {
      method: "POST",
      headers: { "X-CSRFToken": csrf, Accept: "application/json" },
    })
      .then((r) => r.json().then((body) => ({ ok: r.ok, body })))
      .then(({ ok, body }) => {
        if (!ok) { row.actions.textContent = body.error || ""; return; }
        row.actions.replaceChildren();
        show(row, "queued", 0);
        rows.set(jobId, row);
      })
      .catch((err) => { row.actions.textContent = String(err); });
  }

  function poll() {
    const ids = [...rows.keys()];
    if (!ids.length) return;
    fetch(data.jobsUrl + "?ids=" + ids.join(","), { headers: { Accept: "application/json" } })
      .then((r) => r.json())
      .then((body) => {
        for (const job of body.jobs) {
          const row = rows.get(job.id);
          if (!row) continue;
          const percent = Math.floor(job.progress * 100);
          if (job.state === "done") {
            show(row, "done", 100);
            rows.delete(job.id);
          } else if (job.state === "failed") {
            show(row, "failed", null);
            const pre = document.createElement("pre");
            pre.className = "error";
            pre.textContent = job.error;
            row.actions.replaceChildren(pre, button(data.labelRetry, () => retry(job.id, row)));
            rows.delete(job.id);
          } else {
            show(row, job.state, job.state === "transcoding" ? percent : null);
          }
        }
      })
      .catch(() => {});
  }

  // Files that stopped part-way in an earlier visit: the browser remembers where they went.
  function listUnfinished() {
    const section = document.getElementById("unfinished");
    if (!section || !tus.defaultOptions.urlStorage) return;
    tus.defaultOptions.urlStorage.findAllUploads().then((uploads) => {
      const names = [...new Set(uploads.map((u) => (u.metadata && u.metadata.filename) || ""))];
      const items = names.filter(Boolean).map((name) => {
        const li = document.createElement("li");
        const bdi = document.createElement("bdi");
        bdi.textContent = name;
        li.append(bdi);
        return li;
      });
      section.querySelector("ul").replaceChildren(...items);
      section.hidden = !items.length;
    }).catch(() => {});
  }

  if (!tus || !tus.isSupported) return; // the form posts the files the plain way
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const input = form.querySelector('input[type="file"]');
    const type = form.querySelector('select[name="type"]').value;
    const files = [...input.files];
    input.value = "";
    for (const file of files) send(file, type);
  });
  listUnfinished();
  setInterval(poll, 1000);
})();
