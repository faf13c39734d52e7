// Sichter review workspace: keyboard review, reveal-on-hold, break reminder. No build step;
// htmx (vendored) swaps in the server-rendered tiles for filters and paging.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const msg = (text) => { const m = document.getElementById("message"); m.textContent = text || ""; };

  // Break reminder: counts time across pages in this tab.
  const breakMin = parseFloat(document.body.dataset.breakMinutes || "0");
  if (breakMin > 0) {
    const started = parseFloat(sessionStorage.getItem("sichter-start") || Date.now());
    sessionStorage.setItem("sichter-start", String(started));
    const box = document.getElementById("break-reminder");
    const due = started + breakMin * 60000 - Date.now();
    setTimeout(() => { box.hidden = false; }, Math.max(0, due));
    document.getElementById("break-ok").addEventListener("click", () => {
      box.hidden = true; sessionStorage.setItem("sichter-start", String(Date.now()));
    });
  }

  // Reveal while the mouse is held on an image (grid tiles and the item view).
  function holdToReveal(el) {
    const on = () => el.classList.add("revealed"), off = () => el.classList.remove("revealed");
    el.addEventListener("mousedown", (e) => { e.preventDefault(); on(); });
    el.addEventListener("mouseup", off); el.addEventListener("mouseleave", off);
  }
  document.querySelectorAll(".full .reveal").forEach(holdToReveal);

  if (!document.getElementById("grid")) {
    const reveal = document.querySelectorAll(".full .reveal");
    document.addEventListener("keydown", (e) => { if (e.key === "r") reveal.forEach((el) => el.classList.add("revealed")); });
    document.addEventListener("keyup", (e) => { if (e.key === "r") reveal.forEach((el) => el.classList.remove("revealed")); });
    return;
  }

  // The grid's tiles are replaced by htmx when a filter changes or the next page loads
  // (the server renders them; see _grid_results.html): read them afresh after each swap.
  let gridEl, caseName, scheme, tiles = [], byId = new Map(), cur = 0;
  function initGrid() {
    gridEl = document.getElementById("grid");
    caseName = gridEl.dataset.case;
    scheme = JSON.parse(gridEl.dataset.scheme);
    tiles = Array.from(gridEl.querySelectorAll(".tile"));
    byId = new Map(tiles.map((t) => [t.dataset.id, t]));
    cur = 0;
    tiles.forEach((t, i) => { holdToReveal(t); t.addEventListener("click", () => focus(i)); });
    focus(0);
  }
  document.addEventListener("htmx:afterSwap", (e) => {
    if (e.target.id !== "results") return;
    msg("");
    // Give the keys back to the grid after a select or Enter in the filter form (else the next
    // digit would pick a filter option instead of deciding a tile); not after Tab to another field.
    const ev = e.detail.requestConfig && e.detail.requestConfig.triggeringEvent;
    const active = document.activeElement;
    if (ev && active && active.closest("#filters") && (ev.type === "submit" || ev.target === active)) active.blur();
    initGrid();
  });

  function focus(i) {
    if (!tiles.length) return;
    tiles[cur].classList.remove("current", "revealed");
    cur = Math.max(0, Math.min(tiles.length - 1, i));
    tiles[cur].classList.add("current");
    tiles[cur].scrollIntoView({ block: "nearest" });
  }
  function columns() {
    if (tiles.length < 2) return 1;
    const top = tiles[0].offsetTop; let n = 0;
    while (n < tiles.length && tiles[n].offsetTop === top) n++;
    return Math.max(1, n);
  }
  function apply(decisions) {
    for (const d of decisions) {
      const t = byId.get(String(d.content_id));
      if (!t) continue;
      t.dataset.version = d.version;
      t.querySelector(".cat").textContent = d.category === null ? "–" : d.category;
      t.classList.toggle("decided", d.category !== null);
    }
  }
  async function post(url, body) {
    const r = await fetch(url, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf }, body: JSON.stringify(body || {}) });
    const data = await r.json().catch(() => ({}));
    if (r.status === 409) {
      apply((data.current || []).filter((d) => d));
      msg((document.documentElement.lang === "de" ? "Konflikt: inzwischen von anderer Seite geändert. " : "Conflict: changed by someone else meanwhile. ") +
          (data.current || []).filter((d) => d).map((d) => d.content_id + "→" + d.category + " (" + d.reviewed_by + ")").join(", "));
      return null;
    }
    if (!r.ok) { msg(data.detail || ("HTTP " + r.status)); return null; }
    return data;
  }
  async function decide(list, digit) {
    const cat = scheme[digit];
    if (!cat || !list.length) return;
    const items = {};
    for (const t of list) items[t.dataset.id] = parseInt(t.dataset.version, 10);
    const stacked = list.some((t) => t.dataset.stack !== "1");
    const qa = gridEl.dataset.source === "qa";  // the QA sample decides exactly its items
    const data = await post(`/api/cases/${encodeURIComponent(caseName)}/decisions`,
      { items, category: cat.code, source: qa ? "qa" : (stacked ? "stack" : "grid"), expand_stacks: !qa });
    if (data) { apply(data.decisions); msg(cat.label); }
  }

  document.addEventListener("keydown", async (e) => {
    if (e.target.closest && e.target.closest("input, select, textarea")) return;
    const digit = /^Digit(\d)$/.exec(e.code) || /^Numpad(\d)$/.exec(e.code);
    const cols = columns();
    if (e.key === "ArrowLeft" || e.key === "h") focus(cur - 1);
    else if (e.key === "ArrowRight" || e.key === "l") focus(cur + 1);
    else if (e.key === "ArrowUp" || e.key === "k") focus(cur - cols);
    else if (e.key === "ArrowDown" || e.key === "j") focus(cur + cols);
    else if (e.key === " ") tiles[cur] && tiles[cur].classList.toggle("selected");
    else if (digit && e.shiftKey) {
      const sel = tiles.filter((t) => t.classList.contains("selected"));
      await decide(sel, digit[1]);
      sel.forEach((t) => t.classList.remove("selected"));
    } else if (digit) { if (tiles[cur]) { await decide([tiles[cur]], digit[1]); } }
    else if (e.key === "u") {
      const data = await post(`/api/cases/${encodeURIComponent(caseName)}/undo`);
      if (data) { apply(data.decisions); msg(data.decisions.length ? "↶ " + data.decisions.length : "–"); }
    } else if (e.key === "?") { const h = document.getElementById("help"); h.hidden = !h.hidden; }
    else if (e.key === "r") { if (!e.repeat && tiles[cur]) tiles[cur].classList.add("revealed"); }
    else if (e.key === "Enter") { if (tiles[cur]) location.href = `/cases/${encodeURIComponent(caseName)}/items/${tiles[cur].dataset.id}`; }
    else if (e.key === "Escape") { document.getElementById("help").hidden = true; }
    else return;
    e.preventDefault();
  });
  document.addEventListener("keyup", (e) => { if (e.key === "r" && tiles[cur]) tiles[cur].classList.remove("revealed"); });
  initGrid();
})();
