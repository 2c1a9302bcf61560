// Charts drawn with the vendored Chart.js (static/vendor/chartjs/chart.umd.min.js, global `Chart`).
// Data come from a <script type="application/json"> made by Django's json_script filter; the
// canvas names it: <canvas data-kam-chart="revenue-by-month" data-kam-source="<id>">.
(function () {
  "use strict";

  function readData(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-kam-source"));
    return source ? JSON.parse(source.textContent) : null;
  }

  function monthLabel(iso, locale) {
    var parts = iso.split("-");
    var date = new Date(Date.UTC(Number(parts[0]), Number(parts[1]) - 1, 1));
    try {
      return new Intl.DateTimeFormat(locale, { year: "numeric", month: "short", timeZone: "UTC" }).format(date);
    } catch (e) {
      return iso;
    }
  }

  function revenueByMonth(canvas) {
    var data = readData(canvas);
    if (!data || typeof Chart === "undefined") { return; }
    var locale = document.documentElement.lang || undefined;
    var money = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels.map(function (iso) { return monthLabel(iso, locale); }),
        datasets: [{
          label: data.label,
          data: data.values.map(function (v) { return parseFloat(v); }),
          backgroundColor: "rgba(21, 101, 192, 0.6)",
          borderColor: "rgb(21, 101, 192)",
          borderWidth: 1
        }]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: function (ctx) { return data.currency + " " + money.format(ctx.parsed.y); }
            }
          }
        },
        scales: {
          y: { beginAtZero: true, ticks: { callback: function (v) { return money.format(v); } } }
        }
      }
    });
  }

  var charts = { "revenue-by-month": revenueByMonth };

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-kam-chart]").forEach(function (canvas) {
      var draw = charts[canvas.getAttribute("data-kam-chart")];
      if (draw) { draw(canvas); }
    });
  });
})();
