// The stage page: read-only, big remaining time of what is on, and the next item.
"use strict";

function render(status) {
  $("title").textContent = status.title || S[`phase_${status.phase}`] || "";
  $("remaining").textContent = status.remaining_ms === null ? "—" : clock(status.remaining_ms);
  $("remaining").dataset.phase = status.phase;
  $("next").textContent = status.next_title || S.end_of_night;
}

start(render);
