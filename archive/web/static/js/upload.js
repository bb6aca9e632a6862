// Upload page: sends each file as a raw request body with a real progress bar,
// then follows its processing job live (queued, probing, transcoding NN %, done / failed).
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form) return;
  const list = document.getElementById("uploads");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const label = (state) => form.dataset["state" + state.charAt(0).toUpperCase() + state.slice(1)] || state;
  const rows = new Map(); // job id -> row

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
    const detail = document.createElement("div");
    detail.className = "detail";
    detail.dir = "auto";
    const actions = document.createElement("div");
    actions.className = "actions-row";
    li.append(name, " ", bar, " ", state, detail, actions);
    list.append(li);
    return { li, bar, state, detail, actions };
  }

  function show(row, state, percent, message) {
    row.li.dataset.state = state;
    row.state.textContent = label(state);
    if (percent !== null) {
      const number = document.createElement("bdi");
      number.dir = "ltr";
      number.textContent = percent + " %";
      row.state.append(" ", number);
    }
    if (percent !== null) row.bar.value = percent;
    if (message !== undefined) row.detail.textContent = message;
  }

  function send(file, type) {
    const row = makeRow(file);
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", form.action + "?type=" + encodeURIComponent(type));
      xhr.setRequestHeader("X-CSRFToken", csrf);
      xhr.setRequestHeader("X-Filename", encodeURIComponent(file.name));
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) show(row, "uploading", Math.floor((e.loaded / e.total) * 100));
      };
      xhr.upload.onload = () => show(row, "probing", null);
      xhr.onload = () => {
        let body = null;
        try { body = JSON.parse(xhr.responseText); } catch (err) { body = null; }
        if (xhr.status === 201 && body && body.results.length) {
          const result = body.results[0];
          row.bar.value = 0;
          show(row, "queued", 0);
          const link = document.createElement("a");
          link.href = result.edit;
          link.textContent = form.dataset.labelEdit + " " + result.item;
          row.detail.replaceChildren(link);
          rows.set(result.job, row);
        } else {
          const first = body && body.errors && body.errors.length ? body.errors[0] : null;
          const error = first ? first.error : body && body.error ? body.error : xhr.statusText;
          row.bar.value = 0;
          show(row, "rejected", null, error);
          if (first && first.item) {
            const link = document.createElement("a");
            link.href = form.dataset.itemsUrl + encodeURIComponent(first.item);
            link.textContent = first.item;
            row.actions.replaceChildren(link);
          }
        }
        resolve();
      };
      xhr.onerror = () => { show(row, "rejected", null, xhr.statusText || "network error"); resolve(); };
      xhr.send(file);
    });
  }

  function retry(jobId, row) {
    fetch(form.dataset.jobsUrl + "/" + jobId + "/retry", {
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
    fetch(form.dataset.jobsUrl + "?ids=" + ids.join(","), { headers: { Accept: "application/json" } })
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
            const button = document.createElement("button");
            button.type = "button";
            button.textContent = form.dataset.labelRetry;
            button.addEventListener("click", () => retry(job.id, row));
            row.actions.replaceChildren(pre, button);
            rows.delete(job.id);
          } else {
            show(row, job.state, job.state === "transcoding" ? percent : null);
          }
        }
      })
      .catch(() => {});
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = form.querySelector('input[type="file"]');
    const type = form.querySelector('select[name="type"]').value;
    const files = [...input.files];
    input.value = "";
    for (const file of files) await send(file, type);
  });
  setInterval(poll, 1000);
})();
