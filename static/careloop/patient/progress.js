/* Draws the patient's own progress charts from the JSON the page carries; the table beside each
 * chart holds every value, so nothing here is the only way to read them. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("progress-data");
    if (!source || typeof Chart === "undefined") return;
    var rtl = document.documentElement.dir === "rtl";
    JSON.parse(source.textContent).forEach(function (series) {
      var canvas = document.querySelector('canvas[data-series="' + series.id + '"]');
      if (!canvas) return;
      new Chart(canvas, {
        type: "line",
        data: { labels: series.labels, datasets: [{ data: series.values, borderColor: "#0b5cad", backgroundColor: "#0b5cad", spanGaps: true }] },
        options: {
          animation: false, responsive: true, maintainAspectRatio: false,
          plugins: { legend: { display: false } },
          scales: { x: { reverse: rtl }, y: { min: 0, max: series.max || undefined, position: rtl ? "right" : "left" } },
        },
      });
    });
  });
})();
