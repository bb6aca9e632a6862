// Suggestions as you type, for fields holding several values separated by "|":
// the list offers matches for the value being typed and replaces just that one.
(function () {
  "use strict";
  let counter = 0;
  document.querySelectorAll("input[data-suggest]").forEach((input) => {
    const list = document.createElement("ul");
    list.className = "suggestions";
    list.id = "suggest-" + ++counter;
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-autocomplete", "list");
    input.after(list);
    let timer = null;

    function current() {
      const parts = input.value.split("|");
      return parts[parts.length - 1].trim();
    }

    function choose(value) {
      const parts = input.value.split("|").map((p) => p.trim());
      parts[parts.length - 1] = value;
      input.value = parts.join(" | ") + " | ";
      list.hidden = true;
      input.focus();
    }

    input.addEventListener("input", () => {
      clearTimeout(timer);
      const typed = current();
      if (!typed) { list.hidden = true; return; }
      timer = setTimeout(() => {
        fetch(input.dataset.suggest + "?q=" + encodeURIComponent(typed), { headers: { Accept: "application/json" } })
          .then((r) => r.json())
          .then((found) => {
            list.replaceChildren();
            for (const value of found) {
              const li = document.createElement("li");
              li.setAttribute("role", "option");
              li.tabIndex = -1;
              li.textContent = value;
              li.addEventListener("mousedown", (e) => { e.preventDefault(); choose(value); });
              li.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); choose(value); } });
              list.append(li);
            }
            list.hidden = found.length === 0;
          })
          .catch(() => { list.hidden = true; });
      }, 150);
    });
    input.addEventListener("keydown", (e) => {
      if (e.key === "ArrowDown" && !list.hidden && list.firstChild) { e.preventDefault(); list.firstChild.focus(); }
      if (e.key === "Escape") list.hidden = true;
    });
    input.addEventListener("blur", () => setTimeout(() => {
      if (!list.contains(document.activeElement)) list.hidden = true;
    }, 100));
  });
})();
