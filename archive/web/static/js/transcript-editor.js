// Transcript editor: "Play" plays the recording from that segment's start time.
(function () {
  "use strict";
  const player = document.getElementById("player");
  if (!player) return;
  document.querySelectorAll("button.play").forEach((button) => {
    button.addEventListener("click", () => {
      const row = button.closest("tr");
      const typed = parseFloat(row.querySelector('input[name="start"]').value);
      player.currentTime = Number.isFinite(typed) ? typed : parseFloat(button.dataset.start);
      player.play().catch(() => {}); // interrupted or blocked: the button can be pressed again
    });
  });
})();
