// The zones map, drawn from the page's data block with the platform's own copy of
// Leaflet on the city's shapes. The list below the map says the same without script.
(function () {
  "use strict";
  var block = document.getElementById("zones-data");
  var holder = document.getElementById("zones-map");
  if (!block || !holder || typeof L === "undefined") { return; }
  var zones = JSON.parse(block.textContent || "[]");
  var colours = { high: "#b3261e", medium: "#c77700", low: "#1f5fa8" };
  var map = L.map(holder, { attributionControl: false, zoomControl: true });
  var bounds = [];
  zones.forEach(function (z) {
    var colour = colours[z.level] || "#555";
    var label = z.place + (z.end ? " (" + z.end + ")" : "");
    var layer;
    if (z.shape) {
      var ring = z.shape.map(function (p) { return [p[1], p[0]]; });
      layer = L.polygon(ring, { color: colour, weight: 2, fillOpacity: 0.35 });
      ring.forEach(function (p) { bounds.push(p); });
    } else if (z.point) {
      layer = L.circleMarker(z.point, { radius: 8, color: colour, fillOpacity: 0.5 });
      bounds.push(z.point);
    }
    if (layer) {
      layer.addTo(map).bindTooltip(label);
      if (layer.getElement) {
        var el = layer.getElement();
        if (el) { el.setAttribute("data-level", z.level); }
      }
    }
  });
  if (bounds.length) {
    map.fitBounds(bounds, { padding: [24, 24], maxZoom: 17 });
  } else {
    map.setView([0, 0], 1);
  }
  holder.dataset.drawn = String(zones.length);
}());
