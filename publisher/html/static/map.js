/* cmq-lod: the map of a page (#map), drawn from its data-* attributes with Leaflet and
   leaflet.markercluster (served by cmq from node_modules). Markers are circle markers coloured by
   kind; the tile layer is optional (data-tiles empty) and its failure leaves the markers.
   An optional data-bbox ([west, south, east, north]) is drawn as a dashed rectangle. */
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.L) { return; }
  var points = JSON.parse(el.dataset.points || "[]");
  var colours = JSON.parse(el.dataset.colours || "{}");
  var map = L.map(el, { scrollWheelZoom: false, maxZoom: 18 });
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 18, attribution: el.dataset.attribution }).addTo(map);
  }
  var group = L.markerClusterGroup ? L.markerClusterGroup({ maxClusterRadius: 40 }) : L.featureGroup();
  points.forEach(function (p) {
    var marker = L.circleMarker([p[3], p[4]], {
      radius: 7, weight: 1, color: "#fff", fillOpacity: 0.9, fillColor: colours[p[0]] || "#444"
    });
    var link = document.createElement("a");
    link.href = p[1].includes("://") ? p[1] : el.dataset.root + p[1];  // another campus's record
    link.textContent = p[2];
    marker.bindPopup(link);
    group.addLayer(marker);
  });
  var bounds = L.latLngBounds(points.map(function (p) { return [p[3], p[4]]; }));
  var box = JSON.parse(el.dataset.bbox || "null");  /* [west, south, east, north] */
  if (box) {
    var corners = [[box[1], box[0]], [box[3], box[2]]];
    L.rectangle(corners, { color: "#000091", weight: 2, dashArray: "6 4", fill: false }).addTo(map);
    bounds.extend(corners);
  }
  if (points.length === 1) { map.setView(bounds.getCenter(), 12); } else { map.fitBounds(bounds.pad(0.1)); }
  map.addLayer(group);  /* after the view: the cluster group needs the map's zoom */
  el.dataset.markers = String(group.getLayers().length);
  window.cmqMap = map;
}());
