// The public landing page's trend charts, drawn from the page's data block with the
// platform's own copy of Chart.js. Every chart is also a table on the page.
(function () {
  "use strict";
  var block = document.getElementById("public-trends");
  if (!block || typeof Chart === "undefined") { return; }
  var trends = JSON.parse(block.textContent || "[]");
  var colours = ["#b3261e", "#1f5fa8", "#2e7d32", "#6a4c93", "#8a5a00"];
  trends.forEach(function (trend) {
    var canvas = document.getElementById("chart-" + trend.name);
    if (!canvas) { return; }
    new Chart(canvas, {
      type: "line",
      data: {
        labels: trend.days,
        datasets: trend.series.map(function (s, i) {
          return { label: s.label, data: s.data, borderColor: colours[i % colours.length],
                   borderDash: i % 2 ? [6, 4] : [], pointRadius: 0, tension: 0.2 };
        })
      },
      options: { animation: false, responsive: true, maintainAspectRatio: false,
                 interaction: { mode: "index", intersect: false },
                 scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
    canvas.dataset.drawn = "true";
  });
}());
