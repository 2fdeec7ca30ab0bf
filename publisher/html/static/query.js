// cmq-lod query page: YASGUI (served by this server) pre-loaded with the named queries.
// Tabs have fixed ids ("q-<name>"), so a returning browser keeps its edits and a fresh one (or a
// new set of queries: the storage key carries their hash) gets every named query as a tab.
(function () {
  "use strict";
  var root = document.getElementById("yasgui");
  var configEl = document.getElementById("cmq-query-config");
  if (!root || !configEl || typeof window.Yasgui === "undefined") { return; }
  var cfg = JSON.parse(configEl.textContent);
  cfg.endpoint = new URL(cfg.endpoint, window.location.href).href;
  var Yasgui = window.Yasgui;
  // No lookups on third-party services: keep only the local autocompleters.
  if (Yasgui.defaults && Yasgui.defaults.yasqe && Yasgui.defaults.yasqe.autocompleters) {
    Yasgui.defaults.yasqe.autocompleters = Yasgui.defaults.yasqe.autocompleters.filter(
      function (name) { return name === "prefixes" || name === "variables"; });
  }
  var yasgui = new Yasgui(root, {
    requestConfig: { endpoint: cfg.endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    autoAddOnInit: false,
    persistenceId: cfg.storageKey,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: cfg.endpoint }]; } }
  });
  // A fresh browser has no active tab: the first named query becomes the active one.
  var active = yasgui.persistentConfig.getActiveId();
  cfg.queries.forEach(function (q) {
    var id = "q-" + q.name;
    if (yasgui.getTab(id)) { return; }
    yasgui.addTab(!active, {
      id: id,
      name: q.title,
      yasqe: { value: q.text },
      requestConfig: { endpoint: cfg.endpoint, method: "POST" }
    });
    if (!active) { active = id; }
  });
  window.cmqYasgui = yasgui;
  root.setAttribute("data-ready", "true");
})();
