// The remote page: now / next / remaining / late / projected end, GO, pause, fade, blackout.
"use strict";

let current = null;
let refusalTimer = null;

function render(status) {
  current = status;
  const phase = $("phase");
  phase.textContent = S[`phase_${status.phase}`] || status.phase;
  phase.dataset.phase = status.phase;
  $("title").textContent = status.title || S.nothing_on;
  $("remaining").textContent = status.remaining_ms === null ? "—" : `-${clock(status.remaining_ms)}`;
  const share = status.duration_ms ? Math.min(1, status.elapsed_ms / status.duration_ms) : 0;
  $("progress").style.width = `${(share * 100).toFixed(1)}%`;
  $("next").textContent = status.next_title || S.end_of_night;
  const [late, kind] = lateText(status.late_ms);
  $("late").textContent = late;
  $("late").className = `late ${kind}`;
  const end = timeOfDay(status.projected_end);
  $("end").textContent = end ? `${S.ends} ${end}` : "";
  $("locked").hidden = !status.locked;
  const go = $("go");
  go.textContent = S[`go_${status.go}`] || S.go;
  go.classList.toggle("idle", status.go === "nothing");
  $("pause").textContent = status.paused ? S.resume : S.pause;
  const blackout = $("blackout");
  blackout.textContent = status.blackout ? S.blackout_on : S.blackout;
  blackout.classList.toggle("on", status.blackout);
}

function sayRefusal(text) {
  const line = $("refusal");
  line.textContent = text;
  clearTimeout(refusalTimer);
  refusalTimer = setTimeout(() => { line.textContent = ""; }, 6000);
}

async function act(action, query) {
  try {
    const [code, body] = await post(action, query);
    if (code === 200) { render(body); $("refusal").textContent = ""; }
    else if (code !== 401) sayRefusal(body.error || String(code));
  } catch (e) {
    sayRefusal(S.offline);
  }
}

$("go").addEventListener("click", () => act("go"));
$("pause").addEventListener("click", () => act(current && current.paused ? "resume" : "pause"));
$("fade").addEventListener("click", () => act("fade"));
$("blackout").addEventListener("click", () =>
  act("blackout", `?on=${current && current.blackout ? "false" : "true"}`));
start(render);
