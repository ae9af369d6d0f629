// The trajectories map: the listed places as points on the platform's own copy of
// Leaflet. Choosing a point ticks its box in the list below, which works without script.
(function () {
  "use strict";
  var block = document.getElementById("trajectories-data");
  var holder = document.getElementById("trajectories-map");
  if (!block || !holder || typeof L === "undefined") { return; }
  var places = JSON.parse(block.textContent || "[]");
  var map = L.map(holder, { attributionControl: false, zoomControl: true });
  var bounds = [];
  function box(key) {
    return document.querySelector('#pick input[name="place"][value="' + key + '"]');
  }
  places.forEach(function (p) {
    var marker = L.circleMarker(p.point, { radius: 9, color: "#b3261e", fillOpacity: 0.45 });
    marker.addTo(map).bindTooltip(p.name + ": " + p.windows.join("; "));
    marker.on("click", function () {
      var input = box(p.key);
      if (!input) { return; }
      input.checked = !input.checked;
      marker.setStyle({ color: input.checked ? "#1f5fa8" : "#b3261e" });
    });
    var el = marker.getElement && marker.getElement();
    if (el) { el.setAttribute("data-place", p.key); }
    bounds.push(p.point);
  });
  if (bounds.length) {
    map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16 });
  } else {
    map.setView([0, 0], 1);
  }
  holder.dataset.drawn = String(places.length);
}());
