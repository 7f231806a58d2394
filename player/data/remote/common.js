// Shared by the remote and the stage page: the token, the live status stream, time formats.
// Served by Screening Night itself; no network beyond the machine that serves it.
"use strict";

const S = JSON.parse(document.getElementById("strings").textContent);
const TOKEN_KEY = "screening-night-token";

function $(id) { return document.getElementById(id); }

function takeTokenFromAddress() {
  // The console's QR code carries the token after '#': keep it, then drop it from the bar.
  const match = location.hash.match(/[#&]token=([^&]+)/);
  if (match) {
    localStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
}

function token() { return localStorage.getItem(TOKEN_KEY) || ""; }

function clock(ms) {
  // 83000 -> "1:23", 3723000 -> "1:02:03"
  const total = Math.round(Math.max(0, ms) / 1000);
  const h = Math.floor(total / 3600), m = Math.floor(total / 60) % 60, s = total % 60;
  const pad = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

function timeOfDay(iso) {
  // "2026-11-28T22:41:09+01:00" -> "22:41" (the show's own local time, as written)
  const match = iso && iso.match(/T(\d\d:\d\d)/);
  return match ? match[1] : "";
}

function lateText(lateMs) {
  if (lateMs === null || lateMs === undefined) return ["", ""];
  if (Math.abs(lateMs) < 30000) return [S.on_time, "on-time"];
  return lateMs > 0 ? [`+${clock(lateMs)} ${S.late}`, "is-late"] : [`${clock(-lateMs)} ${S.early}`, "early"];
}

function showLogin(refused) {
  $("show").hidden = true;
  $("login").hidden = false;
  $("login-error").hidden = !refused;
  $("token").focus();
}

function setLink(live) {
  const link = $("link");
  link.textContent = live ? S.live : S.offline;
  link.classList.toggle("live", live);
}

async function post(action, query) {
  // -> [HTTP status, JSON body]
  const response = await fetch(`/api/${action}${query || ""}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token()}` },
    cache: "no-store",
  });
  if (response.status === 401) showLogin(true);
  let body = {};
  try { body = await response.json(); } catch (e) { /* no body */ }
  return [response.status, body];
}

async function listen(render) {
  // The status stream (server-sent events read through fetch, so the token goes in the
  // Authorization header, never in the address); reconnects by itself.
  for (;;) {
    try {
      const response = await fetch("/api/events", {
        headers: { Authorization: `Bearer ${token()}` },
        cache: "no-store",
      });
      if (response.status === 401) { setLink(false); showLogin(true); return; }
      if (!response.ok) throw new Error(String(response.status));
      $("login").hidden = true;
      $("show").hidden = false;
      setLink(true);
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame.split("\n").filter((l) => l.startsWith("data:"))
            .map((l) => l.slice(5)).join("\n");
          if (data) render(JSON.parse(data));
        }
      }
    } catch (e) { /* the show's machine is out of reach for now: try again */ }
    setLink(false);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function start(render) {
  takeTokenFromAddress();
  $("login").addEventListener("submit", (event) => {
    event.preventDefault();
    localStorage.setItem(TOKEN_KEY, $("token").value.trim());
    $("token").value = "";
    listen(render);
  });
  if (token()) listen(render); else showLogin(false);
}
