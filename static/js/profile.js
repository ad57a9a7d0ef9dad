/* Clinician profile: the ego-network map, the growth and the longevity charts.
 *
 * Data comes from <script type="application/json"> blocks (Django's json_script) and
 * from the network.json endpoint; nothing user-written is ever inserted as HTML
 * without escapeHtml (handles, names and specialties are data, not markup).
 */
(function () {
  "use strict";

  var KIND_COLOURS = {
    reply: "#0a58a8",
    quote: "#7b5ea7",
    repost: "#1f8a70",
    like: "#d08a1b",
    mention: "#c25b7a",
    back: "#13294b",
    tie: "#9aa5b4",
  };
  var KIND_LABELS = {
    reply: "replies",
    quote: "quotes",
    repost: "reposts",
    like: "likes",
    mention: "mentions",
    back: "engagement back",
    tie: "engagement between engagers",
  };
  // Category colours: "This account" first, then the specialties, then "Other
  // specialties" and "No specialty" in greys (set per chart from the categories).
  var PALETTE = [
    "#3b6fb6", "#1f8a70", "#d08a1b", "#7b5ea7", "#c25b7a", "#2a9fb8",
    "#5b8c2a", "#8a6d3b",
  ];
  var charts = [];

  function escapeHtml(value) {
    return String(value === null || value === undefined ? "" : value)
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&#39;");
  }

  function readJson(id) {
    var node = document.getElementById(id);
    if (!node) return null;
    try {
      return JSON.parse(node.textContent);
    } catch (e) {
      return null;
    }
  }

  function setStatus(container, text) {
    var status = container.querySelector("[data-chart-status]");
    if (!status) {
      status = document.createElement("p");
      status.className = "network-chart__status muted";
      status.setAttribute("data-chart-status", "");
      container.appendChild(status);
    }
    status.textContent = text; // text only
  }

  function fmt(n) {
    return Number(n || 0).toLocaleString("en-US");
  }

  // --- ego network -------------------------------------------------------------------

  function categoryColours(categories) {
    return categories.map(function (c, i) {
      if (i === 0) return "#13294b";
      if (i === categories.length - 1) return "#8a94a1";
      if (i === categories.length - 2) return "#55606e";
      return PALETTE[(i - 1) % PALETTE.length];
    });
  }

  function linkStyle(link) {
    var width = 0.6 + Math.log2(1 + link.count);
    return {
      color: KIND_COLOURS[link.kind] || "#9aa5b4",
      width: Math.min(width, 6),
      opacity: link.kind === "tie" ? 0.35 : link.kind === "like" ? 0.45 : 0.7,
      type: link.kind === "tie" ? "dashed" : "solid",
    };
  }

  function networkChart(container, data) {
    var names = {};
    data.nodes.forEach(function (n) {
      names[n.id] = n.name;
    });
    var ranked = data.nodes
      .filter(function (n) {
        return !n.center;
      })
      .sort(function (a, b) {
        return b.interactions - a.interactions;
      })
      .slice(0, 8)
      .map(function (n) {
        return n.id;
      });
    var labelled = {};
    ranked.forEach(function (id) {
      labelled[id] = true;
    });
    var nodes = data.nodes.map(function (n) {
      return {
        id: n.id,
        name: n.name,
        category: n.category,
        symbol: n.symbol,
        symbolSize: n.symbolSize,
        value: n.interactions,
        draggable: true,
        label: { show: !!(n.center || labelled[n.id]) },
        itemStyle: n.center ? { borderColor: "#f2b01e", borderWidth: 3 } : undefined,
        raw: n,
      };
    });
    var allLinks = data.links.map(function (l) {
      return {
        source: l.source,
        target: l.target,
        value: l.count,
        kind: l.kind,
        lineStyle: linkStyle(l),
      };
    });
    var chart = window.echarts.init(container, null, { renderer: "canvas" });
    charts.push(chart);
    var colours = categoryColours(data.categories);

    function tooltip(params) {
      if (params.dataType === "edge") {
        var d = params.data;
        return (
          escapeHtml(names[d.source]) + " → " + escapeHtml(names[d.target]) +
          "<br>" + fmt(d.value) + " " + escapeHtml(KIND_LABELS[d.kind] || d.kind)
        );
      }
      var n = params.data.raw;
      var lines = ["<strong>" + escapeHtml(n.name) + "</strong>"];
      if (n.label) lines.push(escapeHtml(n.label));
      lines.push(n.hcp ? "Verified HCP" : "Not a verified HCP");
      if (n.specialty) lines.push("Specialty: " + escapeHtml(n.specialty));
      if (n.center) {
        lines.push(fmt(n.interactions) + " interactions received in the window");
      } else {
        var kinds = Object.keys(n.byKind || {})
          .filter(function (k) {
            return n.byKind[k];
          })
          .map(function (k) {
            return fmt(n.byKind[k]) + " " + escapeHtml(KIND_LABELS[k] || k);
          });
        lines.push(fmt(n.interactions) + " interactions: " + kinds.join(", "));
      }
      return lines.join("<br>");
    }

    function visibleLinks() {
      var boxes = document.querySelectorAll("[data-network-kinds] input[type=checkbox]");
      var on = {};
      boxes.forEach(function (b) {
        on[b.value] = b.checked;
      });
      return allLinks.filter(function (l) {
        return on[l.kind] !== false;
      });
    }

    chart.setOption({
      color: colours,
      tooltip: { trigger: "item", confine: true, formatter: tooltip },
      legend: {
        type: "scroll",
        bottom: 0,
        data: data.categories.map(function (c) {
          return c.name;
        }),
        textStyle: { color: "#1b2330" },
      },
      animationDuration: 600,
      series: [
        {
          type: "graph",
          layout: "force",
          roam: true,
          draggable: true,
          autoCurveness: true,
          categories: data.categories,
          data: nodes,
          links: visibleLinks(),
          edgeSymbol: ["none", "arrow"],
          edgeSymbolSize: 5,
          label: {
            position: "right",
            fontSize: 11,
            color: "#1b2330",
            formatter: "{b}",
          },
          labelLayout: { hideOverlap: true },
          emphasis: { focus: "adjacency", lineStyle: { width: 4 } },
          force: { repulsion: 110, gravity: 0.16, edgeLength: [30, 150], friction: 0.2 },
          zoom: 0.9,
          scaleLimit: { min: 0.3, max: 6 },
        },
      ],
    });
    document.querySelectorAll("[data-network-kinds] input[type=checkbox]").forEach(
      function (box) {
        box.addEventListener("change", function () {
          chart.setOption({ series: [{ links: visibleLinks() }] });
        });
      }
    );
    container.setAttribute("data-chart-ready", "");
  }

  function loadNetwork() {
    var container = document.getElementById("profile-network");
    if (!container) return;
    if (!window.echarts) {
      setStatus(container, "The chart library did not load; the table below has the same data.");
      return;
    }
    fetch(container.getAttribute("data-network-url"), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        var status = container.querySelector("[data-chart-status]");
        if (status) status.remove();
        networkChart(container, data);
      })
      .catch(function () {
        setStatus(container, "The map could not be loaded; the table below has the same data.");
      });
  }

  // --- growth and longevity ------------------------------------------------------------

  function emptyChart(container, text) {
    container.classList.add("profile-chart--empty");
    container.setAttribute("role", "presentation");
    setStatus(container, text);
  }

  function growthChart() {
    var container = document.getElementById("profile-growth-chart");
    var data = readJson("profile-growth-data");
    if (!container || !data) return;
    if (!data.points.length) {
      emptyChart(container, "No follower snapshots.");
      return;
    }
    var chart = window.echarts.init(container);
    charts.push(chart);
    chart.setOption({
      grid: { left: 60, right: 20, top: 34, bottom: 40 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "time" },
      yAxis: { type: "value", name: "Followers", scale: true, nameTextStyle: { color: "#4d5968" } },
      series: [
        {
          type: "line",
          name: "Followers",
          data: data.points,
          showSymbol: data.points.length < 60,
          color: "#0a58a8",
          areaStyle: { opacity: 0.08 },
        },
      ],
    });
    container.setAttribute("data-chart-ready", "");
  }

  function longevityChart() {
    var container = document.getElementById("profile-longevity-chart");
    var data = readJson("profile-longevity-data");
    if (!container || !data) return;
    var total = data.buckets.reduce(function (s, b) {
      return s + b.count;
    }, 0);
    if (!total) {
      emptyChart(container, "No timed engagement in the window.");
      return;
    }
    var chart = window.echarts.init(container);
    charts.push(chart);
    var pct = function (x) {
      return Math.round(x * 1000) / 10;
    };
    chart.setOption({
      grid: { left: 50, right: 20, top: 30, bottom: 40 },
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v + "%"; } },
      legend: { top: 0, textStyle: { color: "#1b2330" } },
      xAxis: {
        type: "category",
        name: "Post age",
        nameLocation: "middle",
        nameGap: 28,
        data: data.buckets.map(function (b) {
          return b.label;
        }),
      },
      yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      series: [
        {
          type: "bar",
          name: "Share of engagement",
          color: "#2a9fb8",
          data: data.buckets.map(function (b) {
            return pct(b.share);
          }),
        },
        {
          type: "line",
          name: "Cumulative",
          color: "#13294b",
          data: data.buckets.map(function (b) {
            return pct(b.cumulative);
          }),
          markLine: {
            silent: true,
            symbol: "none",
            lineStyle: { type: "dashed", color: "#9aa5b4" },
            label: { formatter: "half", position: "insideEndTop", color: "#4d5968" },
            data: [{ yAxis: 50 }],
          },
        },
      ],
    });
    container.setAttribute("data-chart-ready", "");
  }

  // --- timeline: move focus to the first post htmx added ----------------------------

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    var list = document.querySelector("[data-timeline]");
    if (!elt || !list || !list.contains(elt)) return;
    // the item after the last post is the first of the next page
    var posts = list.querySelectorAll("[data-post]");
    var last = posts[posts.length - 1];
    list.setAttribute("data-last-post", last ? last.id : "");
  });
  document.addEventListener("htmx:afterSettle", function () {
    var list = document.querySelector("[data-timeline]");
    if (!list || !list.hasAttribute("data-last-post")) return;
    var last = document.getElementById(list.getAttribute("data-last-post"));
    list.removeAttribute("data-last-post");
    var next = last ? last.nextElementSibling : null;
    if (next && next.hasAttribute("data-post")) next.focus();
  });

  function start() {
    loadNetwork();
    if (window.echarts) {
      growthChart();
      longevityChart();
    }
    window.addEventListener("resize", function () {
      charts.forEach(function (c) {
        c.resize();
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
