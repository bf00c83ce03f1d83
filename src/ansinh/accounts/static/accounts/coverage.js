/* Coverage dashboard: ECharts time series with the target band, Leaflet commune bubbles
   (no tile layer: works offline; the province outline is the convex hull of the centroids). */
function ansinhCoverageChart(id, d) {
  var el = document.getElementById(id);
  if (!el || !window.echarts) return;
  var L = d.labels || {};
  var low = d.low.map(function (v) { return v === null ? null : v; });
  var width = d.high.map(function (v, i) { return v === null || d.low[i] === null ? null : v - d.low[i]; });
  var days = d.days.map(function (s) { return s.slice(8, 10) + "/" + s.slice(5, 7) + "/" + s.slice(0, 4); });
  var chart = echarts.init(el, null, {renderer: "svg"});
  chart.setOption({
    animation: false,
    tooltip: {trigger: "axis", valueFormatter: function (v) { return v === null || v === undefined ? "—" : v + "%"; }},
    legend: {top: 0, data: [L.share, L.confirmed, L.paid, L.band].filter(Boolean)},
    grid: {left: 40, right: 16, top: 32, bottom: 40},
    xAxis: {type: "category", data: days, axisLabel: {rotate: 45, fontSize: 10}},
    yAxis: {type: "value", min: 0, max: 100, axisLabel: {formatter: "{value}%"}},
    series: [
      {name: "_low", type: "line", data: low, stack: "band", symbol: "none", lineStyle: {opacity: 0}, step: "end",
       tooltip: {show: false}, silent: true},
      {name: L.band, type: "line", data: width, stack: "band", symbol: "none", step: "end",
       lineStyle: {opacity: 0}, areaStyle: {color: "rgba(25,135,84,0.18)"}, itemStyle: {color: "rgba(25,135,84,0.5)"}},
      {name: L.share, type: "line", data: d.share, symbolSize: 5, itemStyle: {color: "#0d6efd"}},
      {name: L.confirmed, type: "line", data: d.confirmed, symbolSize: 4, lineStyle: {type: "dashed"},
       itemStyle: {color: "#6f42c1"}},
      {name: L.paid, type: "line", data: d.paid || [], symbolSize: 4, lineStyle: {type: "dotted"},
       itemStyle: {color: "#fd7e14"}}
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
  el.dataset.ready = "1";
}

function _hull(points) {
  var p = points.slice().sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
  if (p.length < 3) return p;
  function cross(o, a, b) { return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]); }
  var lower = [], upper = [];
  p.forEach(function (q) { while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], q) <= 0) lower.pop(); lower.push(q); });
  p.slice().reverse().forEach(function (q) { while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], q) <= 0) upper.pop(); upper.push(q); });
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

function ansinhCoverageMap(id, points, unitUrl) {
  var el = document.getElementById(id);
  if (!el || !window.L) return;
  var map = L.map(el, {attributionControl: false, zoomSnap: 0.25});
  var colour = {below: "#dc3545", within: "#ffc107", above: "#198754", none: "#6c757d"};
  var latlngs = points.map(function (p) { return [p.lat, p.lon]; });
  if (latlngs.length >= 3) {
    L.polygon(_hull(latlngs), {color: "#495057", weight: 1, fillColor: "#ffffff", fillOpacity: 0.6, dashArray: "4 3"}).addTo(map);
  }
  var max = Math.max.apply(null, points.map(function (p) { return p.beneficiaries; }).concat([1]));
  points.forEach(function (p) {
    var m = L.circleMarker([p.lat, p.lon], {
      radius: 4 + 14 * Math.sqrt(p.beneficiaries / max), color: "#343a40", weight: 1,
      fillColor: colour[p.band] || colour.none, fillOpacity: 0.85, className: "commune-bubble"
    }).addTo(map);
    m.bindTooltip(p.name + ": " + p.share + "% (" + p.with_account + "/" + p.beneficiaries + ")");
    m.on("click", function () { window.location = unitUrl + p.id + "/"; });
  });
  if (latlngs.length) map.fitBounds(latlngs, {padding: [16, 16]}); else map.setView([21.85, 106.76], 8);
  el.dataset.ready = "1";
  el.dataset.bubbles = String(points.length);
}
