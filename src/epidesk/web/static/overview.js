// The command centre's charts and map, drawn from the page's data block with the
// platform's own copies of Chart.js and Leaflet. Every figure is also a table.
(function () {
  "use strict";
  var block = document.getElementById("overview-data");
  if (!block) { return; }
  var data = JSON.parse(block.textContent || "{}");

  function line(id, labels, sets) {
    var canvas = document.getElementById(id);
    if (!canvas || typeof Chart === "undefined") { return; }
    new Chart(canvas, {
      type: "line",
      data: { labels: labels, datasets: sets },
      options: { animation: false, responsive: true, maintainAspectRatio: false,
                 interaction: { mode: "index", intersect: false },
                 scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
    canvas.dataset.drawn = "true";
  }

  var curve = data["cases.curve"];
  if (curve) {
    line("chart-cases-curve", curve.days, [
      { label: "by report day", data: curve.reported, borderColor: "#b3261e", tension: 0.2 },
      { label: "by sampling day", data: curve.sampled, borderColor: "#1f5fa8",
        borderDash: [6, 4], tension: 0.2 }
    ]);
  }
  var lab = data["testing.days"];
  if (lab) {
    line("chart-testing-days", lab.days, [
      { label: "samples", data: lab.samples, borderColor: "#1f5fa8", yAxisID: "y" },
      { label: "positive tubes", data: lab.positive_tubes, borderColor: "#b3261e", yAxisID: "y" }
    ]);
  }

  var today = data["cases.map"];
  var holder = document.getElementById("map-cases-today");
  if (today && holder && typeof L !== "undefined") {
    var map = L.map(holder, { attributionControl: false, zoomControl: true });
    var bounds = [];
    today.communities.forEach(function (c) {
      var marker = L.circleMarker([c.lat, c.lon], {
        radius: 6 + 3 * Math.sqrt(c.cases), color: "#b3261e", fillOpacity: 0.5
      }).addTo(map);
      marker.bindTooltip(c.name + ": " + c.cases);
      bounds.push([c.lat, c.lon]);
    });
    if (bounds.length) {
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
    } else {
      map.setView([0, 0], 1);
    }
    holder.dataset.drawn = "true";
  }
}());
