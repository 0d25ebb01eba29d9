// The what-if workbench page: a Leaflet map over the JSON API of `beichen-geo serve`.
//
// Every figure shown comes from the server (the page computes nothing but differences for
// display). Text from the data (facility, unit and standard names, file names, messages) is
// inserted with textContent or as DOM text nodes, never as markup. Edits are sent one after the
// other (a queue), so a quick drag after a click never races it.
"use strict";
(function () {
  const WORDS = window.WB_WORDS;
  const TODAY = "today";
  // colours by meaning: replaced by the maps' palette from /api/info (Workbench.info "colours")
  const COLORS = {
    covered: "#2c7bb6", uncovered: "#d7191c", off: "#bdbdbd", unit: "#525252", area: "#525252",
    reach: "#fe9929", gained: "#313695", lost: "#a50026", proposed: "#40004b",
  };
  const S = {
    lang: "en", info: null, choices: [], choice: null, scenario: TODAY, scenarios: [],
    today: null, figures: null, covered: [], onNetwork: [], cellLayers: new Map(),
    markers: new Map(), version: 0, pending: 0, done: 0, compare: null, exports: [],
  };
  const $ = (id) => document.getElementById(id);
  const w = (key) => (WORDS[S.lang] && WORDS[S.lang][key]) || WORDS.en[key] || key;

  // ------------------------------------------------------------------ small helpers
  function el(tag, opts, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(opts || {})) {
      if (k === "text") e.textContent = v;
      else if (k === "cls") e.className = v;
      else if (k === "data") Object.assign(e.dataset, v);
      else if (k === "on") for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
      else e.setAttribute(k, v);
    }
    for (const c of children) if (c != null) e.append(c);  // strings become text nodes
    return e;
  }
  const locale = () => (S.lang === "zh" ? "zh-CN" : "en-GB");
  const pct = (v) => (v == null ? "—" : (100 * v).toFixed(1) + " %");
  const num = (v) => (v == null ? "—" : Math.round(v).toLocaleString(locale()));
  const signed = (v, fmt) => (v == null ? "" : (v > 0 ? "+" : v < 0 ? "−" : "±") + fmt(Math.abs(v)));
  const pp = (v) => (v == null ? "" : signed(100 * v, (x) => x.toFixed(1)) + " pp");
  function setValue(node, value, text) {
    node.textContent = text;
    node.dataset.value = value == null ? "" : String(value);
  }
  function setDelta(node, d, text) {
    node.textContent = text;
    node.dataset.value = d == null ? "" : String(d);
    node.classList.toggle("up", d != null && d > 1e-12);
    node.classList.toggle("down", d != null && d < -1e-12);
  }
  function say(text, isError) {
    const m = $("message");
    m.textContent = text || "";
    m.classList.toggle("error", !!isError);
  }
  function busy(delta) {
    S.pending += delta;
    document.body.dataset.pending = String(S.pending);
  }

  async function api(method, path, body, raw) {
    const opts = { method, headers: {} };
    if (raw !== undefined) {
      opts.body = raw;
      opts.headers["Content-Type"] = "application/octet-stream";
    } else if (body !== undefined) {
      opts.body = JSON.stringify(body);
      opts.headers["Content-Type"] = "application/json";
    }
    const r = await fetch("api/" + path, opts);
    let data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    if (!r.ok) throw new Error((data && data.error) || (r.status + " " + r.statusText));
    return data;
  }
  const q = (params) => new URLSearchParams(Object.entries(params).filter(([, v]) => v != null)).toString();

  let chain = Promise.resolve();
  function enqueue(fn) {  // one request after the other; errors are shown, the queue goes on
    busy(+1);
    const next = chain.then(fn).catch((e) => say(w("error") + ": " + e.message, true)).finally(() => {
      S.done += 1;
      document.body.dataset.done = String(S.done);  // requests answered (or refused) so far
      busy(-1);
    });
    chain = next;
    return next;
  }

  // ------------------------------------------------------------------ the map
  const map = L.map("map", { zoomControl: true, attributionControl: true, fadeAnimation: false });
  map.attributionControl.setPrefix(false);
  // panes above the street context of the maps' context.js (its panes: 250 lines, 390 names)
  for (const [name, z] of [["cells", 380], ["units", 400], ["reach", 420], ["changed", 430]]) {
    map.createPane(name).style.zIndex = String(z);
  }
  const canvas = L.canvas({ padding: 0.3, pane: "cells" });  // many cells: one canvas, not one SVG path each
  const layers = {
    streets: L.layerGroup(), blank: L.layerGroup(), area: L.layerGroup(), cells: L.layerGroup(),
    units: L.layerGroup(), reach: L.layerGroup(), changed: L.layerGroup(), facilities: L.layerGroup(),
    proposals: L.layerGroup(),
  };

  function cellStyle(id) {
    const color = !S.onNetwork[id] ? COLORS.off : S.covered[id] ? COLORS.covered : COLORS.uncovered;
    return { stroke: true, weight: 0.4, color: "#ffffff", fillColor: color, fillOpacity: 0.62 };
  }
  function restyle(ids) {
    for (const id of ids) {
      const l = S.cellLayers.get(id);
      if (l) l.setStyle(cellStyle(id));
    }
  }

  function iconFor(f) {
    const cls = "wb-fac wb-fac-" + (f.origin === "existing" ? "existing" : f.origin === "upload" ? "upload" : "added") +
      (f.on_network ? "" : " wb-fac-off");
    return L.divIcon({ className: cls, iconSize: [14, 14], iconAnchor: [7, 7], popupAnchor: [0, -6] });
  }

  function facilityPopup(f) {
    const origin = w("origin_" + (f.origin === "upload" ? "upload" : f.origin === "existing" ? "existing" : "added"));
    const box = el("div", { cls: "wb-popup", data: { facility: String(f.id) } },
      el("strong", { text: f.name }), el("br"),
      el("span", { cls: "muted", text: `#${f.id} · ${origin}` + (f.on_network ? "" : " · " + w("not_on_network")) }),
      el("br"));
    // one click removes once: the buttons go dead at once (a closing popup must not take a later click)
    const done = () => { for (const b of box.querySelectorAll("button")) b.disabled = true; map.closePopup(); };
    box.append(el("button", { type: "button", cls: "wb-remove", text: w("remove"),
      on: { click: () => { done(); enqueue(() => removeFacility(f.id)); } } }));
    box.append(el("button", { type: "button", cls: "wb-reach", text: w("show_reach"),
      on: { click: () => enqueue(() => drawReach(f)) } }));
    return box;
  }

  function putMarker(f) {
    const old = S.markers.get(f.id);
    if (old) layers.facilities.removeLayer(old);
    const m = L.marker([f.lat, f.lon], { icon: iconFor(f), draggable: true, title: f.name, autoPan: true,
                                         keyboard: false });
    m.facility = f;
    m.bindPopup(() => facilityPopup(m.facility));
    m.on("dragstart", () => { m.closePopup(); });
    m.on("dragend", () => {
      const to = m.getLatLng();
      enqueue(() => moveFacility(m, to));
    });
    m.on("add", () => { const e = m.getElement(); if (e) e.dataset.facility = String(m.facility.id); });
    layers.facilities.addLayer(m);
    S.markers.set(f.id, m);
  }

  function drawFacilities(list) {
    layers.facilities.clearLayers();
    S.markers.clear();
    for (const f of list) putMarker(f);
  }

  // ------------------------------------------------------------------ figures on the panel
  function render(fig, change) {
    S.figures = fig;
    const t = S.today;
    setValue($("f-share-land"), fig.covered_share_land, pct(fig.covered_share_land));
    setValue($("f-share-res"), fig.covered_share_residents, pct(fig.covered_share_residents));
    setValue($("f-res-cov"), fig.residents_covered, num(fig.residents_covered));
    setValue($("f-res"), fig.residents, num(fig.residents));
    setValue($("f-fac"), fig.facilities_open, String(fig.facilities_open));
    $("f-fac-off").textContent = fig.facilities_off_network ? `(${fig.facilities_off_network} ${w("off_network")})` : "";
    const vs = t && S.scenario !== TODAY;
    const dl = vs ? fig.covered_share_land - t.covered_share_land : null;
    const dr = vs && fig.covered_share_residents != null ? fig.covered_share_residents - t.covered_share_residents : null;
    const dn = vs && fig.residents_covered != null ? fig.residents_covered - t.residents_covered : null;
    setDelta($("d-share-land"), dl, dl == null ? "" : "Δ " + pp(dl));
    setDelta($("d-share-res"), dr, dr == null ? "" : "Δ " + pp(dr));
    setDelta($("d-res-cov"), dn, dn == null ? "" : "Δ " + signed(dn, num));
    if (change !== undefined) renderChange(change);
    renderUnits(fig, vs ? t : null);
    S.version += 1;
    $("figures").dataset.version = String(S.version);
    $("figures").dataset.scenario = S.scenario;
  }

  function renderChange(ch) {
    const p = $("change");
    p.replaceChildren();
    if (!ch) { p.textContent = w("no_edit"); p.dataset.residentsGained = ""; p.dataset.residentsLost = ""; return; }
    const parts = [
      [w("residents_word"), ch.residents_gained, ch.residents_lost, num],
      [w("land"), ch.land_gained_m2, ch.land_lost_m2, (v) => num(v) + " " + w("m2")],
    ];
    for (const [what, g, l, fmt] of parts) {
      if (g == null) continue;
      p.append(el("span", { cls: "up", text: `+${fmt(g)} ${what} ${w("gained")}` }), " · ",
               el("span", { cls: "down", text: `−${fmt(l)} ${what} ${w("lost")}` }), el("br"));
    }
    p.dataset.residentsGained = String(ch.residents_gained);
    p.dataset.residentsLost = String(ch.residents_lost);
    p.dataset.landGained = String(ch.land_gained_m2);
    p.dataset.landLost = String(ch.land_lost_m2);
  }

  function renderUnits(fig, t) {
    const body = $("units").tBodies[0];
    body.replaceChildren();
    const rows = fig.units;
    $("units").hidden = !rows;
    $("units-none").hidden = !!rows;
    if (!rows) return;
    rows.forEach((u, i) => {
      const base = t && t.units ? t.units[i] : null;
      const d = base && u.covered_share_residents != null && base.covered_share_residents != null
        ? u.covered_share_residents - base.covered_share_residents
        : base && u.covered_share_land != null && base.covered_share_land != null
          ? u.covered_share_land - base.covered_share_land : null;
      const dcell = el("td", { cls: "delta", text: d == null ? "" : pp(d), data: { value: d == null ? "" : String(d) } });
      dcell.classList.toggle("up", d != null && d > 1e-12);
      dcell.classList.toggle("down", d != null && d < -1e-12);
      body.append(el("tr", { data: { unit: String(u.unit) } },
        el("td", { cls: "name", text: u.unit_name }),
        el("td", { text: pct(u.covered_share_land), data: { value: String(u.covered_share_land) } }),
        el("td", { text: pct(u.covered_share_residents), data: { value: String(u.covered_share_residents) } }),
        el("td", { text: num(u.residents_covered), data: { value: String(u.residents_covered) } }),
        dcell));
    });
  }

  // ------------------------------------------------------------------ scenarios
  const choiceKey = (c) => `${c.kind}@${c.minutes}`;
  const sameStandard = (sc) => S.choice && sc.kind === S.choice.kind && Math.abs(sc.minutes - S.choice.minutes) < 1e-9;
  const stateQuery = () => (S.scenario === TODAY ? { kind: S.choice.kind, minutes: S.choice.minutes }
                                                : { scenario: S.scenario });

  async function refreshScenarioList() {
    S.scenarios = (await api("GET", "scenarios")).scenarios;
    const sel = $("scenario");
    sel.replaceChildren(el("option", { value: TODAY, text: w("today") }));
    for (const sc of S.scenarios) {
      const c = S.choices.find((x) => choiceKey(x) === choiceKey(sc));
      const label = c ? ` — ${c.standard} ${kindLabel(c)}` : ` — ${sc.kind} ${sc.minutes} ${w("min")}`;
      sel.append(el("option", { value: sc.name, text: sc.name + label }));
    }
    sel.value = S.scenario;
    const same = S.scenarios.filter(sameStandard);
    const before = $("cmp-before"), after = $("cmp-after");
    const keepB = before.value, keepA = after.value;
    before.replaceChildren(el("option", { value: TODAY, text: w("today") }));
    after.replaceChildren();
    for (const sc of same) {
      before.append(el("option", { value: sc.name, text: sc.name }));
      after.append(el("option", { value: sc.name, text: sc.name }));
    }
    if ([...before.options].some((o) => o.value === keepB)) before.value = keepB;
    if ([...after.options].some((o) => o.value === keepA)) after.value = keepA;
    else if (S.scenario !== TODAY) after.value = S.scenario;
    $("cmp-go").disabled = same.length === 0;
    $("delete-sc").disabled = S.scenario === TODAY;
    updateExport();
  }

  function freeName() {
    const names = new Set(S.scenarios.map((s) => s.name));
    let i = 1;
    while (names.has(`${w("plan")} ${i}`)) i += 1;
    return `${w("plan")} ${i}`;
  }

  async function ensureScenario() {  // edits go to a named scenario; editing "today" starts one
    if (S.scenario !== TODAY) return;
    await refreshScenarioList();
    const typed = $("sc-name").value.trim();
    const name = typed && !S.scenarios.some((s) => s.name === typed) ? typed : freeName();
    await api("POST", "scenarios", { name, kind: S.choice.kind, minutes: S.choice.minutes });
    S.scenario = name;
    $("sc-name").value = "";
    await refreshScenarioList();
  }

  async function loadState() {  // covered cells, figures and facilities of the current scenario
    const query = q(stateQuery());
    const [cov, fac] = await Promise.all([api("GET", "covered?" + query), api("GET", "facilities?" + query)]);
    S.covered = cov.covered;
    restyle(S.cellLayers.keys());
    drawFacilities(fac.facilities);
    render(cov.figures, null);
  }

  async function switchTo(name) {
    S.scenario = name;
    const sc = S.scenarios.find((s) => s.name === name);
    if (sc && !sameStandard(sc)) {
      const c = S.choices.find((x) => choiceKey(x) === choiceKey(sc));
      if (c) { S.choice = c; $("standard").value = c.id; }
      S.today = (await api("GET", "covered?" + q({ kind: sc.kind, minutes: sc.minutes }))).figures;
    }
    await redrawAll();
  }

  // after a change of scenario or standard: clear what belonged to the old one, draw the new state
  async function redrawAll() {
    layers.reach.clearLayers();
    layers.proposals.clearLayers();
    $("proposal").replaceChildren();
    clearCompare();
    await loadState();
    await refreshScenarioList();
  }

  async function chooseStandard(id) {
    S.choice = S.choices.find((c) => c.id === id);
    S.scenario = TODAY;
    S.today = (await api("GET", "covered?" + q({ kind: S.choice.kind, minutes: S.choice.minutes }))).figures;
    await redrawAll();
  }

  // ------------------------------------------------------------------ edits
  function applyChange(res) {
    const ch = res.change;
    for (const id of ch.cells_gained) S.covered[id] = true;
    for (const id of ch.cells_lost) S.covered[id] = false;
    restyle([...ch.cells_gained, ...ch.cells_lost]);
    render(res.figures, ch);
    const sc = S.scenarios.find((s) => s.name === S.scenario);
    if (sc) sc.edits += 1;
  }

  async function addAt(lon, lat, name) {
    await ensureScenario();
    const body = { op: "add", at: [lon, lat] };
    if (name) body.name = name;
    const res = await api("POST", `scenarios/${encodeURIComponent(S.scenario)}/edits`, body);
    applyChange(res);
    const fac = await api("GET", "facilities?" + q({ scenario: S.scenario }));
    const f = fac.facilities.find((x) => x.id === res.change.facility);
    if (f) { putMarker(f); await drawReach(f); }
    say("");
  }

  async function moveFacility(marker, to) {
    const f = marker.facility;
    const from = [f.lat, f.lon];
    try {
      await ensureScenario();
      const res = await api("POST", `scenarios/${encodeURIComponent(S.scenario)}/edits`,
                            { op: "move", id: f.id, to: [to.lng, to.lat] });
      f.lon = to.lng; f.lat = to.lat;
      const fac = await api("GET", "facilities?" + q({ scenario: S.scenario }));
      const nf = fac.facilities.find((x) => x.id === f.id);
      if (nf) { marker.facility = nf; marker.setIcon(iconFor(nf)); }
      applyChange(res);
      await drawReach(marker.facility);
      say("");
    } catch (e) {
      marker.setLatLng(from);  // refused: the facility stays where it was
      throw e;
    }
  }

  async function removeFacility(id) {
    if (!S.markers.has(id)) return;  // removed already
    await ensureScenario();
    const res = await api("POST", `scenarios/${encodeURIComponent(S.scenario)}/edits`, { op: "remove", id });
    const m = S.markers.get(id);
    if (m) { layers.facilities.removeLayer(m); S.markers.delete(id); }
    if (layers.reach.facility === id) layers.reach.clearLayers();
    applyChange(res);
    say("");
  }

  async function drawReach(f) {
    layers.reach.clearLayers();
    layers.reach.facility = f.id;
    if (!f.on_network) { say(`${f.name}: ${w("not_on_network")}`, false); return; }
    const iso = await api("GET", "isochrone?" + q({ lon: f.lon, lat: f.lat, minutes: S.choice.minutes }));
    L.geoJSON(iso, { pane: "reach", interactive: false,
                     style: { color: COLORS.reach, weight: 2, fillColor: COLORS.reach, fillOpacity: 0.12,
                              dashArray: "5 4" } }).addTo(layers.reach);
    layers.reach.facility = f.id;
    $("map").dataset.reachFor = String(f.id);
  }

  // ------------------------------------------------------------------ tools
  async function bestSite() {
    const box = $("proposal");
    box.replaceChildren(el("span", { cls: "muted", text: w("computing") }));
    layers.proposals.clearLayers();
    const body = S.scenario === TODAY ? { kind: S.choice.kind, minutes: S.choice.minutes, n: 1 }
                                      : { scenario: S.scenario, n: 1 };
    const res = await api("POST", "best-site", body);
    box.replaceChildren();
    for (const s of res.sites) {
      const gain = s.gain_residents != null ? `+${num(s.gain_residents)} ${w("residents_word")}`
                                            : `+${num(s.gain_area_m2)} ${w("m2")}`;
      const after = s.covered_share_residents_after != null ? s.covered_share_residents_after : s.covered_share_land_after;
      const add = () => { layers.proposals.clearLayers(); box.replaceChildren(); enqueue(() => addAt(s.lon_wgs84, s.lat_wgs84)); };
      const line = el("div", { data: { lon: String(s.lon_wgs84), lat: String(s.lat_wgs84) } },
        el("strong", { text: `${w("proposal")} ${s.rank}: ` }), `${gain}, ${w("share_after")} ${pct(after)} `,
        el("button", { type: "button", cls: "wb-add-proposal", text: w("add_here"), on: { click: add } }));
      box.append(line);
      const m = L.marker([s.lat_wgs84, s.lon_wgs84], {
        icon: L.divIcon({ className: "wb-proposal", iconSize: [14, 14], iconAnchor: [7, 7] }), keyboard: false,
      });
      m.bindPopup(() => el("div", { cls: "wb-popup" }, el("strong", { text: w("proposal") }), el("br"),
        `${gain}, ${w("share_after")} ${pct(after)}`, el("br"),
        el("button", { type: "button", text: w("add_here"), on: { click: () => { map.closePopup(); add(); } } })));
      layers.proposals.addLayer(m);
    }
    box.append(el("div", { cls: "muted small", text: `${res.candidates.candidates != null ? res.candidates.candidates : ""} ${w("candidates")} · ${res.solver.method || ""}` }));
  }

  async function upload() {
    const input = $("upload-file");
    const file = input.files && input.files[0];
    if (!file) { say(w("choose_file"), false); return; }
    await ensureScenario();
    const data = await file.arrayBuffer();
    const res = await api("POST", "upload?" + q({ filename: file.name, kind: S.choice.kind,
                                                  coords: $("upload-coords").value, scenario: S.scenario }), undefined, data);
    const out = $("upload-result");
    out.replaceChildren(el("div", { text: `${w("uploaded")} ${res.file}: ${res.rows} ${w("rows_read")}, ` +
      `${res.points.length} ${w("points_added")}` + (res.left_out_rows.length ? `, ${res.left_out_rows.length} ${w("left_out")}` : "") }));
    for (const msg of res.warnings) out.append(el("div", { cls: "warn", text: msg }));
    input.value = "";
    await loadState();
    await refreshScenarioList();
  }

  function updateExport() {
    const a = $("export-csv");
    const extra = $("export-extra");
    extra.replaceChildren();
    if (S.scenario === TODAY) {
      a.removeAttribute("href");
      a.setAttribute("aria-disabled", "true");
      $("export-note").textContent = w("export_today");
      return;
    }
    const name = encodeURIComponent(S.scenario);
    a.href = `api/scenarios/${name}/export.csv?` + q({ coords: $("export-coords").value });
    a.setAttribute("aria-disabled", "false");
    $("export-note").textContent = "";
    for (const x of S.exports) {
      extra.append(el("a", { cls: "button", download: "", href: `api/scenarios/${name}/${x.path}`,
                             id: `export-${x.id}`, text: w(x.word) }));
    }
  }

  // ------------------------------------------------------------------ compare
  function clearCompare() {
    layers.changed.clearLayers();
    $("cmp-result").replaceChildren();
  }

  async function compare() {
    const before = $("cmp-before").value, after = $("cmp-after").value;
    if (!after) return;
    const res = await api("GET", "compare?" + q({ before, after }));
    S.compare = res;
    clearCompare();
    const out = $("cmp-result");
    const head = el("tr", {}, el("th", { cls: "name", text: w("unit") }),
      el("th", { text: `${w("land_share")} · ${res.before}` }), el("th", { text: `${w("land_share")} · ${res.after}` }),
      el("th", { text: `${w("residents_share")} · ${res.before}` }), el("th", { text: `${w("residents_share")} · ${res.after}` }));
    const rows = [{ unit: "all", unit_name: w("whole_area"),
                    covered_share_land_before: res.figures_before.covered_share_land,
                    covered_share_land_after: res.figures_after.covered_share_land,
                    covered_share_residents_before: res.figures_before.covered_share_residents,
                    covered_share_residents_after: res.figures_after.covered_share_residents },
                  ...(res.units || [])];
    const body = el("tbody");
    for (const u of rows) {
      const cell = (v, ref) => {
        const td = el("td", { text: pct(v), data: { value: v == null ? "" : String(v) } });
        if (ref !== undefined && v != null && ref != null) {
          td.classList.toggle("up", v - ref > 1e-12);
          td.classList.toggle("down", v - ref < -1e-12);
        }
        return td;
      };
      body.append(el("tr", { data: { unit: String(u.unit) } }, el("td", { cls: "name", text: u.unit_name }),
        cell(u.covered_share_land_before), cell(u.covered_share_land_after, u.covered_share_land_before),
        cell(u.covered_share_residents_before), cell(u.covered_share_residents_after, u.covered_share_residents_before)));
    }
    out.append(el("table", { cls: "grid", id: "cmp-table" }, el("thead", {}, head), body));
    const facts = [
      [w("land_gained"), res.land_gained_m2, (v) => num(v) + " " + w("m2"), "up"],
      [w("land_lost"), res.land_lost_m2, (v) => num(v) + " " + w("m2"), "down"],
      [w("residents_gained"), res.residents_gained, num, "up"],
      [w("residents_lost"), res.residents_lost, num, "down"],
    ];
    const list = el("p", { cls: "small", id: "cmp-facts" });
    for (const [label, v, fmt, cls] of facts) {
      if (v == null) continue;
      list.append(el("span", { cls, text: `${label}: ${fmt(v)}` }), el("br"));
    }
    out.append(list);
    const style = (color) => ({ color, weight: 2.5, fillColor: color, fillOpacity: 0.35 });
    for (const [ids, color] of [[res.cells_gained, COLORS.gained], [res.cells_lost, COLORS.lost]]) {
      for (const id of ids) {
        const src = S.cellLayers.get(id);
        if (src) L.geoJSON(src.feature, { style: style(color), pane: "changed", interactive: false }).addTo(layers.changed);
      }
    }
    $("cmp-result").dataset.cellsChanged = String(res.cells_gained.length + res.cells_lost.length);
  }

  // ------------------------------------------------------------------ background, legend, controls
  async function drawBackground(cellsFc) {
    const lay = await api("GET", "layers");
    L.geoJSON(lay.area, { pane: "units", interactive: false,
                          style: { color: COLORS.area, weight: 2, fill: false, dashArray: "6 4" } }).addTo(layers.area);
    L.geoJSON(lay.units, { pane: "units", interactive: false,
                           style: { color: COLORS.unit, weight: 1.5, fill: false } }).addTo(layers.units);
    S.unitsCount = lay.units.features.length;
    L.geoJSON(cellsFc, {
      pane: "cells", renderer: canvas, interactive: false,
      style: (f) => cellStyle(f.properties.id),
      onEachFeature: (f, l) => S.cellLayers.set(f.properties.id, l),
    }).addTo(layers.cells);
  }

  async function streets() {  // the maps' offline context layer (bgContext of context.js), the default base
    const data = await api("GET", "context");
    const found = data.found || {};
    if (found.note) S.contextNote = found.note;
    if (data.attribution) map.attributionControl.addAttribution(data.attribution);
    if (!data.context || !data.context.layers.length) { say(w("streets_none"), false); return L.layerGroup(); }
    return bgContext(map, data.context);
  }

  function legend() {
    const c = L.control({ position: "bottomright" });
    c.onAdd = () => {
      const box = el("div", { cls: "wb-legend" }, el("strong", { text: w("legend") }), el("br"));
      for (const [color, key] of [[COLORS.covered, "covered"], [COLORS.uncovered, "not_covered"], [COLORS.off, "off_net_land"]]) {
        const sw = el("span", { cls: "sw" });
        sw.style.background = color;
        box.append(sw, w(key), el("br"));
      }
      for (const [cls, key] of [["existing", "facility_existing"], ["added", "facility_added"], ["upload", "facility_upload"]]) {
        box.append(el("span", { cls: `dot wb-fac wb-fac-${cls}` }), w(key), el("br"));
      }
      const r = el("span", { cls: "sw" });
      r.style.background = COLORS.reach + "26"; r.style.borderColor = COLORS.reach; r.style.borderStyle = "dashed";
      box.append(r, w("reach"));
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    c.addTo(map);
  }

  function controls() {
    // Layer names are the page's own words (Leaflet writes them as markup): never data.
    const base = { [w("streets")]: layers.streets };
    const tiles = (S.info.tiles && S.info.tiles.layers) || [];
    for (const b of tiles) {
      const g = L.layerGroup(b.tiles.map(([url, opts]) => L.tileLayer(url, opts)));
      g.eachLayer((t) => t.on("tileerror", () => notice(w("tiles_failed"))));
      base[b.name] = g;
    }
    base[w("blank")] = layers.blank;
    layers.streets.addTo(map);
    const over = {
      [w("cells_layer")]: layers.cells, [w("area_layer")]: layers.area, [w("units_layer")]: layers.units,
      [w("reach")]: layers.reach, [w("changed_land")]: layers.changed, [w("facilities_layer")]: layers.facilities,
      [w("proposal")]: layers.proposals,
    };
    for (const g of Object.values(over)) g.addTo(map);
    L.control.layers(base, over, { collapsed: true }).addTo(map);
    L.control.scale({ metric: true, imperial: false }).addTo(map);
    legend();
    const note = S.info.tiles && S.info.tiles.note;
    if (note) notice(w(note === "gaode" ? "tiles_gaode" : "tiles_tianditu_key"));
  }

  let noticeBox = null;
  function notice(text) {
    if (noticeBox) { noticeBox.textContent = text; return; }
    const c = L.control({ position: "topright" });
    c.onAdd = () => { noticeBox = el("div", { cls: "wb-notice", text }); return noticeBox; };
    c.addTo(map);
  }

  function kindLabel(c) {
    return S.lang === "zh" ? c.kind_label_zh || c.kind : c.kind_label_en || c.kind;
  }

  // ------------------------------------------------------------------ start
  function words() {
    document.documentElement.lang = S.lang;
    document.title = w("title") + " · beichen-geo";
    for (const e of document.querySelectorAll("[data-w]")) e.textContent = w(e.dataset.w);
  }

  function wire() {
    map.on("click", (e) => enqueue(() => addAt(e.latlng.lng, e.latlng.lat)));
    $("standard").addEventListener("change", (e) => enqueue(() => chooseStandard(e.target.value)));
    $("scenario").addEventListener("change", (e) => enqueue(() => switchTo(e.target.value)));
    $("save-as").addEventListener("click", () => enqueue(async () => {
      const name = $("sc-name").value.trim();
      if (!name) throw new Error(w("name") + "?");
      const body = S.scenario === TODAY ? { name, kind: S.choice.kind, minutes: S.choice.minutes }
                                        : { name, copy_of: S.scenario };
      await api("POST", "scenarios", body);
      $("sc-name").value = "";
      await refreshScenarioList();
      await switchTo(name);
    }));
    $("new-today").addEventListener("click", () => enqueue(async () => {
      await refreshScenarioList();
      const typed = $("sc-name").value.trim();
      const name = typed || freeName();
      await api("POST", "scenarios", { name, kind: S.choice.kind, minutes: S.choice.minutes });
      $("sc-name").value = "";
      await refreshScenarioList();
      await switchTo(name);
    }));
    $("delete-sc").addEventListener("click", () => enqueue(async () => {
      if (S.scenario === TODAY) return;
      await api("DELETE", `scenarios/${encodeURIComponent(S.scenario)}`);
      await refreshScenarioList();
      await switchTo(TODAY);
    }));
    $("best-site").addEventListener("click", () => enqueue(bestSite));
    $("upload-go").addEventListener("click", () => enqueue(upload));
    $("export-coords").addEventListener("change", updateExport);
    $("cmp-go").addEventListener("click", () => enqueue(compare));
    $("cmp-clear").addEventListener("click", clearCompare);
  }

  async function start() {
    S.info = await api("GET", "info");
    Object.assign(COLORS, S.info.colours || {});
    S.lang = S.info.lang === "zh" ? "zh" : "en";
    words();
    const i = S.info;
    delete $("study").dataset.w;  // "loading…" gives way to the study
    const source = String(i.data).split(/[\\/]/).pop();
    $("study").replaceChildren(
      el("span", { text: `${w("study")}: ${source} · ${i.area_km2} km² · ${i.demand_cells} ${w("cells")} · ` +
                         `${i.walk_speed_kmh} km/h` }), el("br"),
      el("span", { cls: "small", text: i.population_source ? `${w("residents_source")}: ${i.population_source}` : "" }));
    $("study").title = String(i.data);
    const st = await api("GET", "standards");
    S.choices = st.choices;
    S.exports = i.exports || [];
    const sel = $("standard");
    const groups = new Map();
    for (const c of S.choices) {
      const g = c.standard;
      if (!groups.has(g)) { groups.set(g, el("optgroup", { label: g })); sel.append(groups.get(g)); }
      const label = S.lang === "zh" ? c.label_zh : c.label_en;
      groups.get(g).append(el("option", { value: c.id, text: `${label} · ${kindLabel(c)} · ${c.minutes.toFixed(1)} ${w("min")}` }));
    }
    S.choice = S.choices[0];
    sel.value = S.choice.id;
    const [w0, s0, e0, n0] = i.bounds_wgs84;
    map.fitBounds([[s0, w0], [n0, e0]], { padding: [12, 12] });
    const cells = await api("GET", "cells?" + q({ kind: S.choice.kind, minutes: S.choice.minutes }));
    S.onNetwork = cells.features.map((f) => !!f.properties.on_network);
    S.covered = cells.features.map((f) => !!f.properties.covered);
    layers.streets = await streets();
    if (S.contextNote) $("study").append(el("br"), el("span", { cls: "small muted", text: S.contextNote }));
    controls();
    await drawBackground(cells);
    wire();
    await chooseStandard(S.choice.id);
    document.body.dataset.ready = "1";
  }

  window.workbench = { map, state: S, enqueue };
  enqueue(start);
})();
