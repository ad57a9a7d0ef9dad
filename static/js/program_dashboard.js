/* One program's dashboard: charts drawn by ECharts (vendored) from the figures in
 * the json_script element #pd-chart-data. Every chart is aria-hidden: the table
 * under it has the same figures, which is what screen readers and keyboards get.
 * The component selector redraws its histogram with another component's figures.
 */
(function () {
  "use strict";

  var TEXT = "#1b2330";
  var MUTED = "#4d5968";
  var GRID = "#e4e8ee";
  var PRIMARY = "#0a58a8";
  var FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif';
  var SERIES_COLORS = ["#0a58a8", "#d9480f", "#17602f", "#7b3fa0", "#9b1c1c", "#5b7db1", "#a86b00", "#4d5968"];
  var STATE_COLORS = {
    candidate: "#5b7db1",
    medical_review: "#0a58a8",
    legal_review: "#0a58a8",
    regulatory_review: "#0a58a8",
    approved: "#17602f",
    rejected: "#9b1c1c",
    on_hold: "#7a8699",
  };

  function base() {
    return {
      animation: false,
      textStyle: { fontFamily: FONT, color: TEXT },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 24, top: 16, bottom: 8, containLabel: true },
    };
  }

  function valueAxis(name) {
    return {
      type: "value",
      minInterval: 1,
      name: name || "",
      nameTextStyle: { color: MUTED, align: "left" },
      axisLabel: { color: MUTED },
      splitLine: { lineStyle: { color: GRID } },
    };
  }

  function histogram(el, data) {
    el.style.height = "240px";
    var options = base();
    options.grid.top = 32;
    options.xAxis = {
      type: "category",
      data: data.bins,
      axisLabel: {
        color: MUTED,
        interval: 3,
        formatter: function (value) {
          return value.split("–")[0];
        },
      },
      axisTick: { alignWithLabel: false },
    };
    options.yAxis = valueAxis("candidates");
    options.series = [
      {
        name: "Candidates",
        type: "bar",
        barCategoryGap: "6%",
        data: data.counts,
        itemStyle: { color: PRIMARY },
      },
    ];
    return options;
  }

  var measure = document.createElement("canvas").getContext("2d");

  function labelWidth(labels) {
    // the category labels' room, measured (containLabel clips long labels on the left)
    measure.font = "12px " + FONT;
    var widest = 0;
    labels.forEach(function (label) {
      widest = Math.max(widest, measure.measureText(label).width);
    });
    return Math.min(Math.ceil(widest * 1.1) + 4, 260);
  }

  function horizontalBars(el, labels, counts, colors) {
    el.style.height = 32 + 28 * Math.max(labels.length, 1) + "px";
    var options = base();
    var room = labelWidth(labels);
    options.grid = { left: room + 16, right: 48, top: 8, bottom: 24, containLabel: false };
    options.xAxis = valueAxis();
    options.yAxis = {
      type: "category",
      inverse: true,
      data: labels,
      axisLabel: {
        color: TEXT,
        fontFamily: FONT,
        fontSize: 12,
        width: room,
        overflow: "truncate",
      },
      axisTick: { show: false },
    };
    options.series = [
      {
        name: "Candidates",
        type: "bar",
        barMaxWidth: 18,
        data: counts.map(function (count, i) {
          return { value: count, itemStyle: { color: (colors && colors[i]) || PRIMARY } };
        }),
        label: { show: true, position: "right", color: TEXT },
      },
    ];
    return options;
  }

  var BUILDERS = {
    histogram: function (el, all) {
      var data = all.histograms && all.histograms[el.getAttribute("data-pd-key")];
      return data ? histogram(el, data) : null;
    },
    bars: function (el, all) {
      var data = all[el.getAttribute("data-pd-data")];
      if (!data || !data.labels.length) {
        return null;
      }
      var options = horizontalBars(el, data.labels, data.counts);
      return options;
    },
    weekly: function (el, all) {
      var data = all.weekly;
      if (!data || !data.series.length) {
        return null;
      }
      el.style.height = "300px";
      var options = base();
      options.legend = { top: 0, left: 0, textStyle: { color: TEXT, fontFamily: "ui-monospace, Menlo, Consolas, monospace" } };
      options.grid.top = 24 + 22 * Math.ceil(data.series.length / 3);
      options.xAxis = {
        type: "category",
        data: data.weeks,
        axisLabel: { color: MUTED },
      };
      options.yAxis = valueAxis();
      options.series = data.series.map(function (series, i) {
        return {
          name: series.name,
          type: "bar",
          stack: "rules",
          data: series.data,
          itemStyle: { color: SERIES_COLORS[i % SERIES_COLORS.length] },
          emphasis: { focus: "series" },
        };
      });
      return options;
    },
    ae: function (el, all) {
      var data = all.ae;
      if (!data) {
        return null;
      }
      var options = horizontalBars(
        el,
        data.bars.map(function (bar) { return bar.label; }),
        data.bars.map(function (bar) { return bar.count - bar.overdue; })
      );
      options.legend = { top: 0, left: 0, textStyle: { color: TEXT } };
      options.grid.top = 32;
      el.style.height = 64 + 28 * data.bars.length + "px";
      options.series[0].name = "On time or closed";
      options.series[0].itemStyle = { color: PRIMARY };
      options.series[0].stack = "ae";
      options.series[0].label = { show: false };
      options.series.push({
        name: "Overdue",
        type: "bar",
        stack: "ae",
        barMaxWidth: 18,
        data: data.bars.map(function (bar) { return bar.overdue; }),
        itemStyle: { color: "#9b1c1c" },
      });
      return options;
    },
    cases: function (el, all) {
      var data = all.cases;
      if (!data) {
        return null;
      }
      return horizontalBars(
        el,
        data.states,
        data.counts,
        data.keys.map(function (key) { return STATE_COLORS[key]; })
      );
    },
    drift: function (el, all) {
      var data = all.drift;
      if (!data) {
        return null;
      }
      el.style.height = "240px";
      var options = histogram(el, { bins: data.bins, counts: data.counts, label: "change in composite" });
      // bins beyond the threshold in the warning colour
      options.series[0].data = data.counts.map(function (count, i) {
        var low = data.low + i * data.binWidth;
        var high = low + data.binWidth;
        var beyond = high <= -data.threshold + 1e-9 || low >= data.threshold - 1e-9;
        return { value: count, itemStyle: { color: beyond ? "#c27c00" : PRIMARY } };
      });
      options.xAxis.axisLabel.interval = 3;
      return options;
    },
  };

  function init() {
    var source = document.getElementById("pd-chart-data");
    if (!window.echarts || !source) {
      return;
    }
    var all = JSON.parse(source.textContent);
    var charts = {};
    document.querySelectorAll("[data-pd-chart]").forEach(function (el) {
      var build = BUILDERS[el.getAttribute("data-pd-chart")];
      var options = build && build(el, all);
      if (!options) {
        return;
      }
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(options);
      el.setAttribute("data-chart-ready", "true");
      charts[el.id] = chart;
    });
    document.querySelectorAll("[data-pd-select]").forEach(function (select) {
      var el = document.getElementById(select.getAttribute("data-pd-select"));
      select.addEventListener("change", function () {
        var chart = charts[el.id];
        el.setAttribute("data-pd-key", select.value);
        var options = BUILDERS.histogram(el, all);
        if (chart && options) {
          chart.setOption(options, true);
          el.setAttribute("data-pd-key-drawn", select.value);
        }
      });
    });
    window.addEventListener("resize", function () {
      Object.keys(charts).forEach(function (id) {
        charts[id].resize();
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
