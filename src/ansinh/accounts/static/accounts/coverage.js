/* Coverage pages: the ECharts time series with the target band, and the Leaflet map of communes
   (no tile layer: works offline). Numbers as the page's language writes them (ansinhNumber,
   ansinhPercent in ansinh/ansinh.js); a point without data is a gap, never 0. */
function _monthLabel(iso) { return iso.slice(5, 7) + "/" + iso.slice(0, 4); }
function _dayLabel(iso) { return iso.slice(8, 10) + "/" + iso.slice(5, 7) + "/" + iso.slice(0, 4); }

function ansinhCoverageChart(id, d) {
  var el = document.getElementById(id);
  if (!el || !window.echarts) return;
  var L = d.labels || {};
  var low = d.low.map(function (v) { return v === null ? null : v; });
  var width = d.high.map(function (v, i) { return v === null || d.low[i] === null ? null : v - d.low[i]; });
  var chart = echarts.init(el, null, {renderer: "svg"});
  var pct = function (v) { return v === null || v === undefined ? (L.nodata || "—") : ansinhPercent(v); };
  chart.setOption({
    animation: false,
    tooltip: {
      trigger: "axis",
      formatter: function (items) {
        if (!items.length) return "";
        var i = items[0].dataIndex, out = [_dayLabel(d.days[i])];
        items.forEach(function (p) {
          if (p.seriesName === "_low") return;
          var v = p.seriesName === L.band ? (d.low[i] === null ? null : ansinhNumber(d.low[i], 0) + "–" + ansinhPercent(d.high[i], 0)) : pct(p.value);
          if (p.seriesName === L.band && v === null) v = L.nodata || "—";
          var extra = p.seriesName === L.paid && d.paid_count && d.paid_count[i] !== null ? " (" + ansinhNumber(d.paid_count[i]) + ")" : "";
          out.push(p.marker + p.seriesName + ": <b>" + v + "</b>" + extra);
        });
        return out.join("<br>");
      }
    },
    legend: {top: 0, data: [L.share, L.confirmed, L.paid, L.band].filter(Boolean)},
    grid: {left: 8, right: 16, top: 36, bottom: 8, containLabel: true},
    xAxis: {type: "category", data: d.days.map(_monthLabel), boundaryGap: false,
            axisLabel: {hideOverlap: true, fontSize: 11}},
    yAxis: {type: "value", min: 0, max: 100, interval: 20,
            axisLabel: {formatter: function (v) { return ansinhPercent(v, 0); }}},
    series: [
      {name: "_low", type: "line", data: low, stack: "band", symbol: "none", lineStyle: {opacity: 0}, step: "end",
       tooltip: {show: false}, silent: true},
      {name: L.band, type: "line", data: width, stack: "band", symbol: "none", step: "end",
       lineStyle: {opacity: 0}, areaStyle: {color: "rgba(25,135,84,0.18)"}, itemStyle: {color: "rgba(25,135,84,0.5)"}},
      {name: L.share, type: "line", data: d.share, symbolSize: 5, itemStyle: {color: "#0d6efd"}, connectNulls: false},
      {name: L.confirmed, type: "line", data: d.confirmed, symbolSize: 4, lineStyle: {type: "dashed"},
       itemStyle: {color: "#6f42c1"}, connectNulls: false},
      {name: L.paid, type: "line", data: d.paid || [], symbolSize: 4, lineStyle: {type: "dotted"},
       itemStyle: {color: "#fd7e14"}, connectNulls: false}
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
  el.dataset.ready = "1";
}

var ANSINH_BAND_COLOURS = {below: "#dc3545", within: "#ffc107", above: "#198754", none: "#adb5bd", other: "#f1f3f5"};

function ansinhCoverageMap(id, data, unitUrl) {
  var el = document.getElementById(id);
  if (!el || !window.L) return;
  var T = data.labels || {}, colour = ANSINH_BAND_COLOURS;
  var map = L.map(el, {attributionControl: false, zoomSnap: 0.25});
  var mine = [], all = [];
  var ownCount = data.own ? data.cells.filter(function (c) { return c.mine; }).length : 0;
  data.cells.forEach(function (c) {
    var inScope = !!c.mine, own = inScope && data.own;
    var shape = L.polygon(c.rings, {
      color: own ? "#0b5d3b" : "#6c757d", weight: own ? 3 : 0.7, opacity: 1,
      fillColor: inScope ? colour[c.band] || colour.none : colour.other, fillOpacity: inScope ? 0.8 : 1,
      className: "commune-cell" + (inScope ? " commune-mine" : "")
    });
    var tip = "<b>" + c.name + "</b>";
    if (inScope) {
      tip += c.share === null || c.share === undefined ? "<br>" + T.nodata
        : "<br>" + ansinhPercent(c.share) + " (" + ansinhNumber(c.with_account) + "/" + ansinhNumber(c.beneficiaries) + " " + T.people + ")";
      shape.on("click", function () { window.location = unitUrl + c.id + "/"; });
    }
    if (own && ownCount === 1) {  // the officer's one commune: named on the map, figures on hover
      shape.bindTooltip(c.name, {permanent: true, direction: "top", className: "commune-label"});
      shape.bindPopup(tip);
      shape.on("mouseover", function () { shape.openPopup(); });
    } else {
      shape.bindTooltip(tip, {sticky: true});
    }
    if (own) mine.push(shape);
    all.push(shape);
  });
  if (all.length) {
    L.featureGroup(all).addTo(map);
    // A commune officer's map centres on their communes, with the neighbours around them.
    var bounds = mine.length ? L.featureGroup(mine).getBounds().pad(4) : L.featureGroup(all).getBounds();
    map.fitBounds(bounds, {padding: [8, 8]});
  } else {
    map.setView([21.85, 106.76], 8);
  }
  el.dataset.ready = "1";
  el.dataset.cells = String(all.length);
  el.dataset.mine = String(data.cells.filter(function (c) { return c.mine; }).length);
}
