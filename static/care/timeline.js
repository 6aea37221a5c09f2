// Draws the timeline's charts from the JSON the page carries (json_script "timeline-charts").
// Severity bands are shaded behind the line, the caseness line is dashed, and reliable change is
// marked with triangles (up: reliably worse, down: reliably better). Every chart has a table beside it.
(function () {
  "use strict";
  const source = document.getElementById("timeline-charts");
  if (!source || typeof Chart === "undefined") {
    return;
  }
  const BAND_SHADES = ["#eef6ee", "#f6f3e4", "#fbeedd", "#f9e1d6", "#f5d4d4"];

  const bandPlugin = {
    id: "careloopBands",
    beforeDatasetsDraw(chart, _args, options) {
      const bands = options.bands || [];
      const { ctx, chartArea, scales } = chart;
      bands.forEach((band, index) => {
        const top = scales.y.getPixelForValue(band.max + 0.5);
        const bottom = scales.y.getPixelForValue(band.min - 0.5);
        ctx.save();
        ctx.fillStyle = BAND_SHADES[Math.min(index, BAND_SHADES.length - 1)];
        ctx.fillRect(chartArea.left, Math.max(top, chartArea.top), chartArea.right - chartArea.left,
          Math.min(bottom, chartArea.bottom) - Math.max(top, chartArea.top));
        ctx.restore();
      });
    },
  };

  function datasets(config) {
    const sets = [{ label: config.label, data: config.values, borderColor: "#1d4f91", backgroundColor: "#1d4f91",
      spanGaps: true, tension: 0 }];
    if (config.caseness !== null) {
      sets.push({ label: "caseness", data: config.values.map(() => config.caseness), borderColor: "#8a1c1c",
        borderDash: [6, 4], pointRadius: 0, borderWidth: 1 });
    }
    if (config.markers.length) {
      const byIndex = new Map(config.markers.map((m) => [m.index, m.change]));
      sets.push({ label: "reliable change", data: config.values.map((v, i) => (byIndex.has(i) ? v : null)),
        showLine: false, pointStyle: "triangle", pointRadius: 8,
        pointRotation: config.values.map((_v, i) => (byIndex.get(i) === "better" ? 180 : 0)),
        borderColor: "#8a1c1c", backgroundColor: "#8a1c1c" });
    }
    return sets;
  }

  function draw(config) {
    const canvas = document.getElementById(config.id);
    if (!canvas) {
      return;
    }
    const yScale = config.max === null ? { beginAtZero: true } : { min: 0, max: config.max };
    new Chart(canvas, {
      type: "line",
      data: { labels: config.labels, datasets: datasets(config) },
      options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { y: yScale },
        plugins: { careloopBands: { bands: config.bands }, legend: { display: true } } },
      plugins: [bandPlugin],
    });
  }

  JSON.parse(source.textContent).forEach(draw);
})();
