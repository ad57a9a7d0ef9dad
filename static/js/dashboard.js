/* Dashboard charts (ECharts, vendored). Each chart reads its figures from a
 * json_script element named by data-chart-data; the same figures are in the table
 * next to the chart, which is what screen readers get (the chart is aria-hidden).
 */
(function () {
  "use strict";

  var SEVERITY_COLORS = { critical: "#9b1c1c", major: "#d9480f", minor: "#7a8699" };
  var STATE_COLORS = {
    candidate: "#5b7db1",
    medical_review: "#0a58a8",
    legal_review: "#0a58a8",
    regulatory_review: "#0a58a8",
    approved: "#17602f",
    rejected: "#9b1c1c",
    on_hold: "#7a8699",
  };
  var TEXT = "#1b2330";
  var MUTED = "#4d5968";
  var FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif';

  function readData(el) {
    var source = document.getElementById(el.getAttribute("data-chart-data"));
    return source ? JSON.parse(source.textContent) : null;
  }

  function baseOptions() {
    return {
      animation: false,
      textStyle: { fontFamily: FONT, color: TEXT },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 24, top: 36, bottom: 8, containLabel: true },
      xAxis: {
        type: "value",
        minInterval: 1,
        axisLabel: { color: MUTED },
        splitLine: { lineStyle: { color: "#e4e8ee" } },
      },
    };
  }

  function findingsOptions(data) {
    var options = baseOptions();
    options.legend = { top: 0, left: 0, textStyle: { color: TEXT } };
    options.yAxis = {
      type: "category",
      inverse: true,
      data: data.rules,
      axisLabel: { color: TEXT, fontFamily: "ui-monospace, Menlo, Consolas, monospace" },
      axisTick: { show: false },
    };
    options.series = data.series.map(function (series) {
      return {
        name: series.name,
        type: "bar",
        stack: "severity",
        barMaxWidth: 22,
        data: series.data,
        itemStyle: { color: SEVERITY_COLORS[series.key] },
        emphasis: { focus: "series" },
        cursor: data.url ? "pointer" : "default",
      };
    });
    return options;
  }

  function casesOptions(data) {
    var options = baseOptions();
    options.grid.top = 8;
    options.grid.left = 16;
    options.yAxis = {
      type: "category",
      inverse: true,
      data: data.states,
      axisLabel: { color: TEXT, fontFamily: FONT, fontSize: 12 },
      axisTick: { show: false },
    };
    options.series = [
      {
        name: "Cases",
        type: "bar",
        barMaxWidth: 18,
        data: data.counts.map(function (count, i) {
          return { value: count, itemStyle: { color: STATE_COLORS[data.keys[i]] || "#5b7db1" } };
        }),
        label: { show: true, position: "right", color: TEXT },
      },
    ];
    return options;
  }

  var BUILDERS = {
    findings: function (el, data) {
      el.style.height = 56 + 34 * Math.max(data.rules.length, 1) + "px";
      return findingsOptions(data);
    },
    cases: function (el, data) {
      el.style.height = 24 + 30 * data.states.length + "px";
      return casesOptions(data);
    },
  };

  function openFindings(data, params) {
    var series = data.series[params.seriesIndex];
    if (!data.url || !series || !params.name) {
      return;
    }
    window.location.href =
      data.url +
      "?status=open&rule_code=" +
      encodeURIComponent(params.name) +
      "&severity=" +
      encodeURIComponent(series.key);
  }

  function init() {
    if (!window.echarts) {
      return;
    }
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var kind = el.getAttribute("data-chart");
      var data = readData(el);
      if (!data || !BUILDERS[kind]) {
        return;
      }
      var options = BUILDERS[kind](el, data);
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(options);
      if (kind === "findings") {
        chart.on("click", function (params) {
          openFindings(data, params);
        });
      }
      el.setAttribute("data-chart-ready", "true");
      charts.push(chart);
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (chart) {
        chart.resize();
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
