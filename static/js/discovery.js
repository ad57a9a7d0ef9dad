/* Discovery and compare pages (vetting): limit the compare selection to its maximum
   and draw the compare page's radar chart. Both pages work without this file. */
(function () {
  "use strict";

  var COLORS = ["#0a58a8", "#c2410c", "#15803d", "#7e22ce"];

  function compareState(form) {
    var max = parseInt(form.getAttribute("data-compare-max"), 10) || 4;
    var boxes = form.querySelectorAll('input[type="checkbox"][name="ids"]');
    var checked = form.querySelectorAll('input[type="checkbox"][name="ids"]:checked').length;
    boxes.forEach(function (box) {
      box.disabled = !box.checked && checked >= max;
    });
    var status = form.querySelector("[data-compare-status]");
    if (status) {
      if (checked === 0) {
        status.textContent = "Tick 2 to " + max + " candidates.";
      } else if (checked >= max) {
        status.textContent = checked + " of " + max + " selected (the most you can compare).";
      } else {
        status.textContent = checked + " of " + max + " selected.";
      }
    }
    return checked;
  }

  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("form.compare-form");
    if (form && event.target.name === "ids") {
      compareState(form);
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("compare-form")) {
      return;
    }
    if (compareState(form) < 2) {
      event.preventDefault();
      var status = form.querySelector("[data-compare-status]");
      if (status) {
        status.textContent = "Tick at least 2 candidates to compare them.";
      }
    }
  });

  function drawRadar() {
    var element = document.getElementById("compare-radar");
    var source = document.getElementById("compare-chart-data");
    if (!element || !source || typeof window.echarts === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var chart = window.echarts.init(element, null, { renderer: "svg" });
    chart.setOption({
      aria: { enabled: true },
      animation: false,
      color: COLORS,
      tooltip: { trigger: "item" },
      legend: { bottom: 0, data: data.series.map(function (s) { return s.name; }) },
      radar: {
        indicator: data.indicators,
        radius: "68%",
        center: ["50%", "46%"],
        axisName: { color: "#1b2330" },
        splitNumber: 4
      },
      series: [{
        type: "radar",
        symbolSize: 5,
        areaStyle: { opacity: 0.08 },
        lineStyle: { width: 2 },
        data: data.series
      }]
    });
    element.setAttribute("data-chart-ready", "true");
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawRadar);
  } else {
    drawRadar();
  }
})();
