// cmq-lod query page: YASGUI (served by this server) with the named queries in a picker.
// - The picker (#query-choice) opens the chosen query in its own tab (fixed id "q-<name>"): a
//   returning browser finds its edits again, a fresh one (or a new set of queries: the storage
//   key carries their hash) starts with the query of ?q=<name>, else the first one.
// - YASR's own words in French first, English beside (as on the site): its header (views,
//   "N résultats en S s", download and help buttons, the note when a view cannot show the
//   results), through small wrappers of YASR's methods that rewrite the texts they drew.
// - YASR plugins, registered through YASR's own plugin API before YASGUI starts:
//   "table"    YASR's table, with plain values (language and uncommon datatypes as small
//              marks) and the IRIs this server has pages for linked to those pages; its
//              controls, pager and DataTables' texts in French;
//   "response" YASR's raw response view, its label and buttons in French;
//   "boolean", "error"  the answer of an ASK query and the error view, their words in French;
//              the error view shows the server's JSON error as its message, wrapped, with the
//              place in the query and the whole answer in a <details>;
//   "cmqMap"   a Leaflet map of results with WKT points (geo:wktLiteral "POINT(lon lat)");
//   "cmqChart" an SVG bar chart of results with a label and a number per row.
// - YASGUI's and YASQE's own texts around the results (buttons, tabs, settings menu, share
//   popup, tabs' menu) in French first, English beside, rewritten as they are drawn.
// YASGUI 4 is modern JavaScript (classes): this file may be too.
(function () {
  "use strict";
  const root = document.getElementById("yasgui");
  const configEl = document.getElementById("cmq-query-config");
  if (!root || !configEl || typeof window.Yasgui === "undefined") { return; }
  const cfg = JSON.parse(configEl.textContent);
  cfg.endpoint = new URL(cfg.endpoint, window.location.href).href;
  const Yasgui = window.Yasgui;
  const Yasr = Yasgui.Yasr;
  const XSD = "http://www.w3.org/2001/XMLSchema#";
  const WKT = "http://www.opengis.net/ont/geosparql#wktLiteral";
  const PLAIN = new Set(["string", "integer", "decimal", "double", "float", "boolean", "int",
    "long", "short", "nonNegativeInteger", "positiveInteger"].map(function (t) { return XSD + t; }));
  const NUMERIC = new Set(["integer", "decimal", "double", "float", "int", "long", "short",
    "nonNegativeInteger", "positiveInteger", "negativeInteger", "nonPositiveInteger",
    "unsignedInt", "unsignedLong"].map(function (t) { return XSD + t; }));
  const SVG_NS = "http://www.w3.org/2000/svg";

  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c];
    });
  }

  // The local page of an IRI this server answers for (campus records, ontology), or null.
  function localHref(iri) {
    for (const [prefix, path] of cfg.local) {
      if (iri === prefix || (iri.startsWith(prefix) && /[/#]$/.test(prefix))) {
        return path + iri.slice(prefix.length);
      }
    }
    return null;
  }

  function shortName(iri, prefixes) {
    for (const name in prefixes || {}) {
      if (prefixes[name] && iri.startsWith(prefixes[name])) {
        return name + ":" + iri.slice(prefixes[name].length);
      }
    }
    return iri;
  }

  // A 16×16 SVG icon for YASR's view buttons, drawn from one path.
  function icon(d) {
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 16 16");
    svg.setAttribute("aria-hidden", "true");
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", d);
    path.setAttribute("fill", "currentColor");
    svg.appendChild(path);
    const box = document.createElement("div");
    box.appendChild(svg);
    return box;
  }

  function isNumeric(b) {
    return b && (b.type === "literal" || b.type === "typed-literal") && NUMERIC.has(b.datatype) &&
      isFinite(Number(b.value));
  }

  // ------------------------------------------------------------------ YASR's words in French

  // YASR's English texts (trimmed) → French first, English beside, as on the site.
  const YASR_TEXTS = {
    "Simple view": "Vue simple · Simple view",
    "Ellipse": "Abréger · Ellipse",
    "Page size:": "Lignes par page · page size : ",
    "All": "Toutes · all",
    "Show all": "Tout afficher · show all",
    "Download result": "Télécharger le résultat · download the result",
    "Download not supported": "Pas de téléchargement pour cette vue · download not supported",
    "True": "Vrai · true",
    "False": "Faux · false",
    "Try query in a new browser window":
      "Essayer la requête dans une nouvelle fenêtre · try the query in a new window"
  };
  const VIEW_LABELS = { table: "Tableau / Table", response: "Réponse / Response" };

  function french(text) {
    return YASR_TEXTS[String(text || "").trim()];
  }

  // The texts and titles YASR wrote under `el` (its leaf elements), in French.
  function frenchTexts(el) {
    if (!el) { return; }
    el.querySelectorAll("span, button, option, a, label").forEach(function (node) {
      const text = node.children.length === 0 && french(node.textContent);
      if (text) { node.textContent = text; }
      const title = french(node.title);
      if (title) { node.title = title; }
    });
  }

  // Run `after` (on the YASR instance, with the method's arguments) after YASR's own method.
  function after(name, rewrite) {
    const own = Yasr.prototype[name];
    if (typeof own !== "function") { return; }
    Yasr.prototype[name] = function () {
      const out = own.apply(this, arguments);
      rewrite.apply(this, arguments);
      return out;
    };
  }

  function plural(n, word) { return n + " " + word + (n > 1 ? "s" : ""); }

  // "15 results in 0.041 seconds" → "15 résultats en 0,041 s · 15 results in 0.041 s"
  after("updateResponseInfo", function () {
    if (!this.results || !this.dataElement) { return; }
    const rows = this.results.getBindings();
    const ms = this.results.getResponseTime();
    let fr = rows ? plural(rows.length, "résultat") : "";
    let en = rows ? rows.length + " result" + (rows.length === 1 ? "" : "s") : "";
    if (ms) {
      const s = ms / 1000;
      fr = (fr || "Réponse") + " en " + s.toLocaleString("fr-FR") + " s";
      en = (en || "Response") + " in " + s + " s";
    }
    this.dataElement.innerText = fr ? fr + " · " + en : "";
  });
  after("drawPluginSelectors", function () {
    if (!this.pluginSelectorsEl) { return; }
    this.pluginSelectorsEl.querySelectorAll("button").forEach(function (button) {
      const label = button.title;
      button.setAttribute("aria-label", `Afficher la vue « ${label} » / show this view`);
    });
  });
  after("drawDownloadIcon", function () {
    if (this.downloadBtn) {
      this.downloadBtn.setAttribute("aria-label", "Télécharger les résultats / download the results");
    }
  });
  after("updateExportHeaders", function () {
    const title = this.downloadBtn && french(this.downloadBtn.title);
    if (title) { this.downloadBtn.title = title; }
  });
  after("updateHelpButton", function () {
    const link = this.documentationLink;
    if (!link) { return; }
    const plugin = this.getSelectedPlugin();
    const text = plugin && plugin.helpReference
      ? `Documentation de la vue « ${plugin.label || this.getSelectedPluginName()} » ` +
        "(YASGUI, en anglais) / documentation of this view"
      : "Pas de documentation pour cette vue / no documentation for this view";
    link.title = text;
    link.setAttribute("aria-label", text);
  });
  // "Could not render results with the Carte / Map plugin, …": which view shows the results.
  after("fillFallbackBox", function (name) {
    const note = this.fallbackInfoEl && this.fallbackInfoEl.querySelector("p");
    if (!note) { return; }
    const chosen = this.getSelectedPlugin();
    const drawn = this.plugins[name || this.drawnPlugin || ""];
    const wanted = (chosen && chosen.label) || this.getSelectedPluginName();
    const shown = (drawn && drawn.label) || name || this.drawnPlugin;
    note.textContent = `La vue « ${wanted} » ne peut pas montrer ces résultats : ils sont ` +
      `montrés en « ${shown} ». / The ${wanted} view cannot show these results; ` +
      `they are shown in the ${shown} view.`;
  });

  // ------------------------------------------------------------------ table: plain values

  // DataTables' texts in French (English beside): counts, pager and sorting for screen readers.
  Yasr.plugins.table.defaults.tableConfig.language = Object.assign(
    {}, Yasr.plugins.table.defaults.tableConfig.language, {
      info: "Lignes _START_ à _END_ sur _TOTAL_ · rows _START_–_END_ of _TOTAL_",
      infoEmpty: "Aucune ligne · no rows",
      infoFiltered: "(filtrées parmi _MAX_ · filtered from _MAX_)",
      lengthMenu: "_MENU_ lignes par page · rows per page",
      emptyTable: "Aucun résultat · no results",
      zeroRecords: "Aucune ligne ne correspond · no matching rows",
      aria: {
        orderable: " : trier / sort",
        orderableReverse: " : inverser le tri / reverse the sort",
        orderableRemove: " : retirer le tri / remove the sort",
        paginate: {
          first: "Première page / first page",
          previous: "Page précédente / previous page",
          next: "Page suivante / next page",
          last: "Dernière page / last page"
        }
      }
    });

  class PlainTable extends Yasr.plugins.table {
    constructor(yasr) {
      super(yasr);
      this.label = VIEW_LABELS.table;
    }

    drawControls() {
      super.drawControls();
      const controls = this.tableControls;
      if (!controls) { return; }
      frenchTexts(controls);
      const filter = this.tableFilterField;
      if (filter) {
        filter.placeholder = "Filtrer les résultats · filter results";
        filter.setAttribute("aria-label", "Filtrer les résultats / filter query results");
      }
    }

    getUriLinkFromBinding(binding, prefixes) {
      const iri = binding.value;
      const local = localHref(iri);
      const text = esc(shortName(iri, prefixes));
      if (local !== null) {
        return `<a class="iri cmq-local" href="${esc(local)}" title="${esc(iri)}">${text}</a>`;
      }
      return `<a class="iri" href="${esc(iri)}" target="_blank" rel="noopener noreferrer">${text}</a>`;
    }

    formatLiteral(binding, prefixes) {
      const text = esc(binding.value);
      if (this.persistentConfig.compact) { return text; }
      const lang = binding["xml:lang"];
      if (lang) { return `${text} <span class="cmq-mark" title="langue / language">${esc(lang)}</span>`; }
      const type = binding.datatype;
      if (type && !PLAIN.has(type)) {
        const name = shortName(type, Object.assign({ xsd: XSD }, prefixes)).replace(/^xsd:/, "");
        return `${text} <span class="cmq-mark" title="${esc(type)}">${esc(name)}</span>`;
      }
      return text;
    }
  }
  Yasr.registerPlugin("table", PlainTable);

  // ------------------------------------------------------------------ raw response

  class FrenchResponse extends Yasr.plugins.response {
    constructor(yasr) {
      super(yasr);
      this.label = VIEW_LABELS.response;
    }

    showLess(setValue) {  // the "Show all" and "Download result" buttons over a long answer
      super.showLess(setValue);
      frenchTexts(this.overLay);
    }
  }
  Yasr.registerPlugin("response", FrenchResponse);

  // The answer of an ASK query (true / false) and the view of an error, in French too.
  class FrenchBoolean extends Yasr.plugins.boolean {
    draw() {
      super.draw();
      frenchTexts(this.yasr.resultsEl);
    }
  }
  Yasr.registerPlugin("boolean", FrenchBoolean);

  // The server's JSON error ({"error", "message", "status", maybe "line", "column"…}), or null.
  function serverError(text) {
    try {
      const error = JSON.parse(text);
      return error && typeof error.message === "string" ? error : null;
    } catch (_) {
      return null;
    }
  }

  function paragraph(className, text) {
    const p = document.createElement("p");
    p.className = className;
    p.textContent = text;
    return p;
  }

  // The error view shows the server's message wrapped within the page (the parser's message
  // and its place in the query), the whole answer one click away; other texts wrap too (CSS).
  class FrenchError extends Yasr.plugins.error {
    async draw() {
      await super.draw();
      const view = this.yasr.resultsEl.querySelector(".errorResult");
      if (!view) { return; }
      view.classList.add("cmq-error-view");  // its texts wrap within the page (cmq.css)
      frenchTexts(view.querySelector(".errorHeader"));
      const raw = view.querySelector("pre");
      const error = raw && serverError(raw.textContent);
      if (error) { raw.replaceWith(this.readable(error)); }
    }

    readable(error) {
      const box = document.createElement("div");
      box.className = "cmq-error";
      box.setAttribute("role", "alert");
      const code = [error.status, error.error].filter(Boolean).join(" ");
      box.appendChild(paragraph("cmq-error-title",
        "La requête a échoué · the query failed" + (code ? " (" + code + ")" : "")));
      if (error.line) {
        const column = error.column ? `, colonne ${error.column}` : "";
        const columnEn = error.column ? `, column ${error.column}` : "";
        box.appendChild(paragraph("cmq-error-place",
          `Ligne ${error.line}${column} · line ${error.line}${columnEn}`));
      }
      box.appendChild(paragraph("cmq-error-message", error.message));
      const details = document.createElement("details");
      const summary = document.createElement("summary");
      summary.textContent = "Réponse complète du serveur · the server's whole answer";
      const pre = document.createElement("pre");
      pre.textContent = JSON.stringify(error, null, 2);
      details.append(summary, pre);
      box.appendChild(details);
      return box;
    }
  }
  Yasr.registerPlugin("error", FrenchError);

  // ------------------------------------------------------------------ map of WKT points

  // [lon, lat] of a WKT point ("POINT(3.2 49.6)", optionally after a CRS IRI), or null.
  function wktPoint(b) {
    if (!b || b.type === "uri" || b.type === "bnode") { return null; }
    const m = /^\s*(?:<[^>]*>\s*)?POINT\s*\(\s*(-?[\d.]+(?:e-?\d+)?)\s+(-?[\d.]+(?:e-?\d+)?)\s*\)\s*$/i
      .exec(b.value);
    if (!m || (b.datatype && b.datatype !== WKT && b.datatype !== XSD + "string")) { return null; }
    const lon = Number(m[1]), lat = Number(m[2]);
    return Math.abs(lat) <= 90 && Math.abs(lon) <= 180 ? [lon, lat] : null;
  }

  // What a row is called: its first literal that is not a position or a number.
  function rowTitle(row, vars) {
    for (const v of vars) {
      const b = row[v];
      if (b && b.type !== "uri" && b.type !== "bnode" && !wktPoint(b) && !isNumeric(b)) { return b.value; }
    }
    const iri = vars.map(function (v) { return row[v]; }).find(function (b) { return b && b.type === "uri"; });
    return iri ? iri.value : "";
  }

  class MapView {
    constructor(yasr) {
      this.yasr = yasr;
      this.priority = 5;
      this.label = "Carte / Map";
    }

    points() {
      const results = this.yasr.results;
      if (!results || !results.getBindings()) { return []; }
      const vars = results.getVariables();
      const out = [];
      for (const row of results.getBindings()) {
        const pos = vars.map(function (v) { return wktPoint(row[v]); }).find(Boolean);
        if (!pos) { continue; }
        const iri = vars.map(function (v) { return row[v]; })
          .find(function (b) { return b && b.type === "uri"; });
        out.push({ lon: pos[0], lat: pos[1], title: rowTitle(row, vars), iri: iri ? iri.value : null });
      }
      return out;
    }

    canHandleResults() { return !!window.L && this.points().length > 0; }

    getIcon() { return icon("M8 1a5 5 0 0 0-5 5c0 4 5 9 5 9s5-5 5-9a5 5 0 0 0-5-5zm0 7a2 2 0 1 1 0-4 2 2 0 0 1 0 4z"); }

    popup(p) {
      const box = document.createElement("div");
      const local = p.iri && localHref(p.iri);
      const link = document.createElement(p.iri ? "a" : "strong");
      if (p.iri) { link.href = local || p.iri; }
      link.textContent = p.title || p.iri || "";
      box.appendChild(link);
      return box;
    }

    draw() {
      const L = window.L;
      const el = document.createElement("div");
      el.className = "cmq-map map";
      el.setAttribute("role", "region");
      el.setAttribute("aria-label", "Carte des résultats / map of the results");
      this.yasr.resultsEl.appendChild(el);
      this.map = L.map(el, { scrollWheelZoom: false, maxZoom: 18 });
      if (cfg.tiles) {
        L.tileLayer(cfg.tiles, { maxZoom: 18, attribution: esc(cfg.attribution || "") }).addTo(this.map);
      }
      const points = this.points();
      const group = L.featureGroup();
      for (const p of points) {
        L.circleMarker([p.lat, p.lon], { radius: 7, weight: 1, color: "#fff", fillOpacity: 0.9,
          fillColor: "#000091" }).bindPopup(this.popup(p)).addTo(group);
      }
      group.addTo(this.map);
      const bounds = group.getBounds();
      if (points.length === 1) { this.map.setView(bounds.getCenter(), 12); } else { this.map.fitBounds(bounds.pad(0.1)); }
      el.dataset.markers = String(points.length);
      const note = document.createElement("p");
      note.className = "cmq-note";
      const skipped = this.yasr.results.getBindings().length - points.length;
      note.textContent = `${points.length} position(s)` +
        (skipped ? ` · ${skipped} ligne(s) sans position / row(s) without a position` : "");
      this.yasr.resultsEl.appendChild(note);
    }

    destroy() {
      if (this.map) { this.map.remove(); this.map = null; }
    }
  }
  Yasr.registerPlugin("cmqMap", MapView);

  // ------------------------------------------------------------------ bar chart of counts

  const BAR_H = 22, GAP = 6, LABEL_W = 380, BAR_W = 320, MAX_BARS = 200, MAX_LABEL = 52;

  class ChartView {
    constructor(yasr) {
      this.yasr = yasr;
      this.priority = 4;
      this.label = "Graphique / Chart";
      this.valueVar = null;
    }

    // Numeric columns (every bound value a number) and label columns (other literals).
    columns() {
      const results = this.yasr.results;
      const rows = (results && results.getBindings()) || [];
      const vars = rows.length ? results.getVariables() : [];
      const numeric = vars.filter(function (v) {
        const bound = rows.filter(function (r) { return r[v]; });
        return bound.length && bound.every(function (r) { return isNumeric(r[v]); });
      });
      const literal = vars.filter(function (v) {
        return numeric.indexOf(v) < 0 && rows.some(function (r) { return r[v]; }) &&
          rows.every(function (r) { return !r[v] || (r[v].type !== "uri" && r[v].type !== "bnode" && !wktPoint(r[v])); });
      });
      // names over codes, short texts over joined lists
      const readable = literal.filter(function (v) {
        return !/_code$/.test(v) && rows.every(function (r) { return !r[v] || r[v].value.length <= 60; });
      });
      return { rows: rows, numeric: numeric, labels: readable.length ? readable : literal.slice(0, 1) };
    }

    canHandleResults() {
      const c = this.columns();
      return c.rows.length > 1 && c.rows.length <= MAX_BARS && c.numeric.length > 0 && c.labels.length > 0;
    }

    getIcon() { return icon("M1 2h9v3H1zm0 5h14v3H1zm0 5h6v3H1z"); }

    // The default value column: the one with the largest total (a "total" over its parts).
    defaultValue(c) {
      function sum(v) { return c.rows.reduce(function (s, r) { return s + (r[v] ? Number(r[v].value) : 0); }, 0); }
      return c.numeric.reduce(function (best, v) { return sum(v) > sum(best) ? v : best; });
    }

    picker(c) {
      const label = document.createElement("label");
      label.className = "cmq-chart-value";
      label.append("Valeur / value ");
      const select = document.createElement("select");
      for (const v of c.numeric) {
        const option = new Option("?" + v, v, false, v === this.valueVar);
        select.appendChild(option);
      }
      select.addEventListener("change", () => { this.valueVar = select.value; this.yasr.draw(); });
      label.appendChild(select);
      return label;
    }

    bar(svg, y, text, value, width) {
      function node(name, attrs, content) {
        const n = document.createElementNS(SVG_NS, name);
        for (const k in attrs) { n.setAttribute(k, attrs[k]); }
        if (content !== undefined) { n.textContent = content; }
        return n;
      }
      const g = node("g", { class: "cmq-bar" });
      g.appendChild(node("title", {}, `${text} : ${value}`));
      const shown = text.length > MAX_LABEL ? text.slice(0, MAX_LABEL - 1) + "…" : text;
      g.appendChild(node("text", { x: LABEL_W - 8, y: y + BAR_H - 6, "text-anchor": "end", "font-size": 13 }, shown));
      g.appendChild(node("rect", { x: LABEL_W, y: y, width: width, height: BAR_H, fill: "#000091" }));
      g.appendChild(node("text", { x: LABEL_W + width + 6, y: y + BAR_H - 6, "font-size": 13 }, String(value)));
      svg.appendChild(g);
    }

    draw() {
      const c = this.columns();
      if (c.numeric.indexOf(this.valueVar) < 0) { this.valueVar = this.defaultValue(c); }
      const v = this.valueVar;
      const values = c.rows.map(function (r) { return r[v] ? Number(r[v].value) : 0; });
      const top = Math.max.apply(null, values.map(Math.abs).concat([1]));
      const height = c.rows.length * (BAR_H + GAP);
      const svg = document.createElementNS(SVG_NS, "svg");
      svg.setAttribute("class", "cmq-chart");
      svg.setAttribute("role", "img");
      svg.setAttribute("aria-label", `?${v} par / by ${c.labels.map(function (l) { return "?" + l; }).join(", ")}`);
      svg.setAttribute("width", LABEL_W + BAR_W + 60);
      svg.setAttribute("height", height);
      svg.setAttribute("viewBox", `0 0 ${LABEL_W + BAR_W + 60} ${height}`);
      c.rows.forEach((r, i) => {
        const text = c.labels.map(function (l) { return r[l] ? r[l].value : "—"; }).join(" · ");
        this.bar(svg, i * (BAR_H + GAP), text, values[i], Math.max(1, Math.round(BAR_W * Math.abs(values[i]) / top)));
      });
      if (c.numeric.length > 1) { this.yasr.resultsEl.appendChild(this.picker(c)); }
      this.yasr.resultsEl.appendChild(svg);
    }
  }
  Yasr.registerPlugin("cmqChart", ChartView);
  Yasr.defaults.pluginOrder = ["table", "cmqMap", "cmqChart", "response"];

  // ------------------------------------------------------------------ YASGUI's editor and tabs in French

  // The English texts YASGUI and YASQE draw around the results (titles, labels, buttons, the
  // settings menu, the share popup, the tabs' menu) → French first, English beside. YASGUI does
  // not export the classes that draw most of them (tab list, settings menu, endpoint field): a
  // MutationObserver on the editor's root rewrites them as they are drawn or redrawn (the
  // settings button's label changes when the menu opens). The results (YASR, above), the query
  // text and the tabs' names are left alone; the elements, their listeners and shortcuts too.
  const EDITOR_TEXTS = {
    "Run query": "Lancer la requête · Run query",
    "Share query": "Partager la requête · Share query",
    "Add tab": "Ajouter un onglet · Add tab",
    "Add a new tab": "Ajouter un onglet · Add a new tab",
    "Close tab": "Fermer l'onglet · Close tab",
    "Open settings": "Ouvrir les réglages · Open settings",
    "Close settings": "Fermer les réglages · Close settings",
    "Settings": "Réglages · Settings",
    "Clear endpoint": "Effacer le point d'accès · Clear endpoint",
    "Search or add an endpoint": "Chercher ou ajouter un point d'accès · Search or add an endpoint",
    "Press \"enter\" to add this endpoint":
      "Entrée pour ajouter ce point d'accès · Press \"enter\" to add this endpoint",
    "Request method": "Méthode de la requête · Request method",
    "Accept Headers": "En-têtes Accept · Accept headers",
    "Arguments": "Paramètres de l'URL · URL arguments",
    "Header Arguments": "En-têtes HTTP · Header arguments",
    "Default Graphs": "Graphes par défaut · Default graphs",
    "Named Graphs": "Graphes nommés · Named graphs",
    "New Tab": "Nouvel onglet · New tab",
    "Rename Tab": "Renommer l'onglet · Rename tab",
    "Copy Tab": "Copier l'onglet · Copy tab",
    "Close Tab": "Fermer l'onglet · Close tab",
    "Close other tabs": "Fermer les autres onglets · Close other tabs",
    "Undo close Tab": "Rouvrir l'onglet fermé · Undo close tab",
    "Shorten": "Raccourcir · Shorten",
    "An error has occurred": "Une erreur s'est produite · An error has occurred"
  };
  const EDITOR_ATTRIBUTES = ["title", "aria-label", "placeholder"];
  // YASQE's note over a line it cannot read ("This line is invalid. Expected: …").
  const INVALID_LINE = "This line is invalid. Expected: ";
  const INVALID_LINE_FR = "Cette ligne est invalide ; attendu · this line is invalid, expected : ";

  // Not translated: the results (YASR's own texts are handled above), the query, the tab names.
  function editorOwns(node) {
    return !node.closest(".yasr, .CodeMirror-line, [role=tab] > span");
  }

  function frenchEditorNode(node) {
    if (!editorOwns(node)) { return; }
    for (const name of EDITOR_ATTRIBUTES) {
      const text = EDITOR_TEXTS[(node.getAttribute(name) || "").trim()];
      if (text) { node.setAttribute(name, text); }
    }
    if (node.children.length === 0) {
      const text = EDITOR_TEXTS[node.textContent.trim()];
      if (text) { node.textContent = text; }
    }
    if (node.classList.contains("yasqe_tooltip") && node.innerHTML.startsWith(INVALID_LINE)) {
      node.innerHTML = INVALID_LINE_FR + node.innerHTML.slice(INVALID_LINE.length);
    }
  }

  // `el` and the elements under it.
  function frenchEditor(el) {
    if (!(el instanceof Element) || !editorOwns(el)) { return; }
    frenchEditorNode(el);
    el.querySelectorAll("*").forEach(frenchEditorNode);
  }

  function watchEditor(el) {
    new MutationObserver(function (changes) {
      for (const change of changes) {
        const target = change.target.nodeType === Node.TEXT_NODE ? change.target.parentElement
          : change.target;
        if (target) { frenchEditorNode(target); }  // its title, label or (new) text
        change.addedNodes.forEach(frenchEditor);
      }
    }).observe(el, { subtree: true, childList: true, characterData: true,
      attributes: true, attributeFilter: EDITOR_ATTRIBUTES });
  }

  // ------------------------------------------------------------------ the editor and the picker

  // No lookups on third-party services: keep only the local autocompleters.
  if (Yasgui.defaults && Yasgui.defaults.yasqe && Yasgui.defaults.yasqe.autocompleters) {
    Yasgui.defaults.yasqe.autocompleters = Yasgui.defaults.yasqe.autocompleters.filter(
      function (name) { return name === "prefixes" || name === "variables"; });
  }
  watchEditor(root);
  const yasgui = new Yasgui(root, {
    requestConfig: { endpoint: cfg.endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    autoAddOnInit: false,
    persistenceId: cfg.storageKey,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: cfg.endpoint }]; } }
  });
  const byName = new Map(cfg.queries.map(function (q) { return [q.name, q]; }));
  const choice = document.getElementById("query-choice");
  const picker = document.getElementById("query-picker");

  function describe(q) {
    const fr = document.getElementById("query-description-fr");
    const en = document.getElementById("query-description-en");
    if (fr) { fr.textContent = q.description_fr || ""; fr.hidden = !q.description_fr; }
    if (en) { en.textContent = q.description; }
    if (choice) { choice.value = q.name; }
  }

  // The named query's tab, made if it is missing (a returning browser keeps its edits there).
  function open(name) {
    const q = byName.get(name);
    if (!q) { return; }
    const id = "q-" + q.name;
    if (yasgui.getTab(id)) {
      yasgui.selectTabId(id);
    } else {
      yasgui.addTab(true, { id: id, name: q.title, yasqe: { value: q.text },
        requestConfig: { endpoint: cfg.endpoint, method: "POST" } });
    }
    describe(q);
  }

  const asked = new URL(window.location.href).searchParams.get("q");
  if (asked && byName.has(asked)) {
    open(asked);
  } else if (!yasgui.persistentConfig.getActiveId() && cfg.queries.length) {
    open(cfg.queries[0].name);  // a fresh browser: the first named query
  } else {
    const active = yasgui.persistentConfig.getActiveId();
    if (active && byName.has(active.slice(2))) { describe(byName.get(active.slice(2))); }
  }
  if (choice) {
    choice.addEventListener("change", function () {
      open(choice.value);
      const url = new URL(window.location.href);
      url.searchParams.set("q", choice.value);
      window.history.replaceState(null, "", url.href);
    });
  }
  if (picker) {
    picker.addEventListener("submit", function (event) { event.preventDefault(); open(choice.value); });
  }
  yasgui.on("tabSelect", function (_y, id) {
    if (id.startsWith("q-") && byName.has(id.slice(2))) { describe(byName.get(id.slice(2))); }
  });
  // The first results with positions in a tab show as a map (the table is one click away).
  const mapped = new Set();
  yasgui.on("queryResponse", function (_y, tab) {
    window.setTimeout(function () {
      const yasr = tab.getYasr();
      const map = yasr && yasr.plugins.cmqMap;
      if (map && !mapped.has(tab.getId()) && map.canHandleResults()) {
        mapped.add(tab.getId());
        yasr.selectPlugin("cmqMap");
      }
    }, 0);
  });
  window.cmqYasgui = yasgui;
  root.setAttribute("data-ready", "true");
})();
