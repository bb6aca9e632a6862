// Transcript editor: "Play" plays the recording from that segment's start time;
// "Verse" marks a poem's verse (a tab between its two halves, at the cursor) or unmarks it;
// "Last verse of its stanza" adds or removes the line break that ends a stanza.
(function () {
  "use strict";
  const player = document.getElementById("player");
  document.querySelectorAll("button.play").forEach((button) => {
    button.addEventListener("click", () => {
      if (!player) return;
      const row = button.closest("tr");
      const typed = parseFloat(row.querySelector('input[name="start"]').value);
      player.currentTime = Number.isFinite(typed) ? typed : parseFloat(button.dataset.start);
      player.play().catch(() => {}); // interrupted or blocked: the button can be pressed again
    });
  });

  const isVerse = (text) => text.replace(/\r?\n$/, "").split("\t").length === 2;
  const endsStanza = (text) => isVerse(text) && /\n$/.test(text);

  document.querySelectorAll("table.segments tr").forEach((row) => {
    const area = row.querySelector('textarea[name="text"]');
    const verse = row.querySelector("button.verse");
    const stanza = row.querySelector("button.stanza");
    if (!area || !verse || !stanza) return;
    let cursor = null; // where the cursor was before the button took the focus
    const remember = () => { cursor = area.selectionStart; };
    area.addEventListener("keyup", remember);
    area.addEventListener("mouseup", remember);
    area.addEventListener("select", remember);
    const show = () => {
      verse.setAttribute("aria-pressed", String(isVerse(area.value)));
      stanza.setAttribute("aria-pressed", String(endsStanza(area.value)));
      stanza.disabled = !isVerse(area.value);
    };
    verse.hidden = stanza.hidden = false;
    show();
    area.addEventListener("input", show);
    verse.addEventListener("click", () => {
      const text = area.value;
      if (isVerse(text)) {
        area.value = text.replace(/\r?\n$/, "").replace(/\s*\t\s*/, " ");
      } else {
        const at = cursor === null ? Math.floor(text.length / 2) : cursor;
        const first = text.slice(0, at).trim();
        const second = text.slice(at).trim();
        if (first && second) area.value = first + "\t" + second;
      }
      show();
    });
    stanza.addEventListener("click", () => {
      const text = area.value;
      area.value = endsStanza(text) ? text.replace(/\r?\n$/, "") : text + "\n";
      show();
    });
  });
})();
