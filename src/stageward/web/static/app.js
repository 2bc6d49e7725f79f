// Stageward's live parts: an element with data-live-src is fetched again whenever the UI stream says
// something changed in an environment this session holds. No inline script anywhere (the CSP forbids it).
"use strict";
(function () {
  const live = document.getElementById("live");
  if (!live || !window.EventSource) return;
  const source = live.getAttribute("data-live-src");
  const cursor = live.getAttribute("data-cursor") || "";
  let refreshing = false;
  let again = false;

  async function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    try {
      const response = await fetch(source, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (response.redirected || response.status === 401) { window.location.assign("/login"); return; }
      if (response.ok) {
        const focused = document.activeElement && document.activeElement.id;
        live.innerHTML = await response.text();  // our server's escaped HTML, same origin
        if (focused) { const back = document.getElementById(focused); if (back) back.focus(); }
        live.setAttribute("data-refreshed", String(Date.now()));
      }
    } finally {
      refreshing = false;
      if (again) { again = false; refresh(); }
    }
  }

  const stream = new EventSource("/ui/events?cursor=" + encodeURIComponent(cursor));
  stream.addEventListener("change", refresh);
  stream.addEventListener("session", function () { stream.close(); window.location.assign("/login"); });
})();

// A running run's log: new chunks are appended as text (never markup) every second until the run ends.
(function () {
  const log = document.getElementById("run-log");
  if (!log || log.getAttribute("data-running") !== "yes") return;
  const source = log.getAttribute("data-log-src");
  const status = document.getElementById("run-status");
  async function follow() {
    const after = log.getAttribute("data-after");
    const response = await fetch(source + "?after=" + encodeURIComponent(after), { credentials: "same-origin" });
    if (!response.ok) return;
    const page = await response.json();
    if (page.text) {
      const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
      log.appendChild(document.createTextNode(page.text));
      if (atBottom) log.scrollTop = log.scrollHeight;
    }
    log.setAttribute("data-after", String(page.next_after));
    if (status && page.status) status.textContent = page.status;
    if (page.more) { follow(); return; }
    if (page.status === "running") window.setTimeout(follow, 1000);
    else log.setAttribute("data-running", "no");
  }
  window.setTimeout(follow, 1000);
})();
