// dashboard.js: draws a dashboard page's charts with Chart.js from the page's inline JSON
// (<script type="application/json" id="view-data">). Text from the study reaches the
// page only as chart labels and tooltips, which Chart.js paints on a canvas, and as
// textContent: never as markup. Once the charts are drawn, <body data-charts="N"> says
// how many, so a headless browser test can tell a drawn page from a silently empty one;
// errors go to views_script's #page-errors.
#include "hposync/report/dashboard.hpp"

namespace hposync::report {

std::string dashboard_script() {
    return R"JS(// hpo-report dashboard: Chart.js charts from the page's inline JSON (no network).
(function () {
  'use strict';
  function addBox(parent, title) {
    var box = document.createElement('div');
    box.className = 'chart-box';
    box.style.position = 'relative';
    box.style.height = '440px';
    box.style.margin = '1em 0';
    if (title) {
      var h = document.createElement('h3');
      h.textContent = title;
      parent.appendChild(h);
    }
    var canvas = document.createElement('canvas');
    box.appendChild(canvas);
    parent.appendChild(box);
    return canvas;
  }
  function tip(raw, label) {
    if (!raw) return label || '';
    var t = raw.id ? raw.id + (raw.s ? ' (' + raw.s + ')' : '') + ': ' : (label ? label + ': ' : '');
    return t + 'x = ' + raw.x + ', y = ' + raw.y;
  }
  // Numbers on axes with at most 4 significant digits: a log axis's end ticks come out of
  // exp(log(x)) as 32.000000006, which reads as a different value.
  function nice(v) { return String(Number(Number(v).toPrecision(4))); }
  function axis(type, label, extra) {
    var a = {type: type, title: {display: true, text: label}};
    if (type === 'logarithmic')
      a.ticks = {callback: function (v, i, ticks) {
        var shown = Chart.Ticks.formatters.logarithmic.call(this, v, i, ticks);
        return shown === '' ? '' : nice(v);
      }};
    else if (type === 'linear')
      a.ticks = {callback: function (v) { return nice(v); }};
    for (var k in extra) a[k] = extra[k];
    return a;
  }
  function catTicks(cats) {
    return {stepSize: 1, autoSkip: false, callback: function (v) { return Number.isInteger(v) && cats[v] !== undefined ? cats[v] : ''; }};
  }
  function xyChart(parent, c) {
    var named = 0;
    var sets = c.datasets.map(function (d) {
      if (d.label) named++;
      return {label: d.label, data: d.points, borderColor: d.colour, backgroundColor: d.colour,
              showLine: d.line, stepped: d.stepped ? 'after' : false,
              pointRadius: d.line ? (d.points.length === 1 ? 3 : 0) : 3.5, pointHoverRadius: 5,
              borderWidth: d.line ? (d.stepped ? 2.5 : 1.5) : 1, borderDash: d.dashed ? [5, 3] : []};
    });
    var cats = c.xcats.length > 0;
    var x = axis(c.logx ? 'logarithmic' : 'linear', c.xlabel + (c.logx ? ' (log)' : ''),
                 cats ? {min: -0.5, max: c.xcats.length - 0.5, ticks: catTicks(c.xcats)} : {});
    var y = axis(c.logy ? 'logarithmic' : 'linear', c.ylabel + (c.logy ? ' (log)' : ''), {});
    return new Chart(addBox(parent, c.title), {type: 'scatter', data: {datasets: sets}, options: {
      animation: false, maintainAspectRatio: false, scales: {x: x, y: y},
      plugins: {legend: {display: named > 0 && named <= 40, position: 'right',
                         labels: {filter: function (item) { return item.text !== ''; }}},
                tooltip: {callbacks: {label: function (ctx) { return tip(ctx.raw, ctx.dataset.label); }}}}}});
  }
  function real(a, u) {
    if (a.cats.length) return u * (a.cats.length - 1);
    var v = a.lo + u * (a.hi - a.lo);
    return a.log ? Math.exp(v) : v;
  }
  function contourChart(parent, c, label) {
    var n = c.n;
    var cells = {id: 'cells', beforeDatasetsDraw: function (chart) {
      var ctx = chart.ctx, xs = chart.scales.x, ys = chart.scales.y, area = chart.chartArea;
      ctx.save();
      ctx.beginPath();
      ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
      ctx.clip();
      for (var row = 0; row < n; row++) for (var col = 0; col < n; col++) {
        var x0 = xs.getPixelForValue(real(c.x, col / n)), x1 = xs.getPixelForValue(real(c.x, (col + 1) / n));
        var y0 = ys.getPixelForValue(real(c.y, row / n)), y1 = ys.getPixelForValue(real(c.y, (row + 1) / n));
        ctx.fillStyle = c.cells[row * n + col];
        ctx.fillRect(Math.min(x0, x1), Math.min(y0, y1), Math.abs(x1 - x0) + 0.6, Math.abs(y1 - y0) + 0.6);
      }
      ctx.restore();
    }};
    function scale(a) {
      var o = {min: real(a, 0), max: real(a, 1)};
      if (a.cats.length) o.ticks = catTicks(a.cats);
      return axis(a.log ? 'logarithmic' : 'linear', a.key + (a.log ? ' (log)' : ''), o);
    }
    return new Chart(addBox(parent, label + ' over ' + c.x.key + ' x ' + c.y.key), {type: 'scatter',
      data: {datasets: [{label: 'jobs (' + label + ' ' + Number(c.lo.toPrecision(4)) + ' blue .. ' +
                                  Number(c.hi.toPrecision(4)) + ' red)', data: c.points,
                         backgroundColor: '#000', borderColor: '#fff', pointRadius: 3.5}]},
      plugins: [cells],
      options: {animation: false, maintainAspectRatio: false, scales: {x: scale(c.x), y: scale(c.y)},
                plugins: {tooltip: {callbacks: {label: function (ctx) { return tip(ctx.raw, ''); }}}}}});
  }
  function parallelChart(parent, d) {
    var sets = d.lines.map(function (l) {
      return {label: l.id, data: l.u, s: l.s, v: l.v, borderColor: l.colour, backgroundColor: l.colour,
              pointRadius: 2, borderWidth: 1.3, spanGaps: true};
    });
    // Each axis has its own range, so the shared y scale carries no numbers: instead each
    // axis is labelled at its top and bottom with the real values of the lines drawn
    // there (whatever the axis's direction, log scale or categories).
    var ends = {id: 'axisEnds', afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx, xs = chart.scales.x, ys = chart.scales.y;
      ctx.save();
      ctx.font = '11px sans-serif';
      ctx.fillStyle = '#333';
      ctx.textAlign = 'center';
      d.axes.forEach(function (name, i) {
        var top = null, bottom = null;
        d.lines.forEach(function (l) {
          var u = l.u[i];
          if (u === null || u === undefined) return;
          if (top === null || u > top.u) top = {u: u, v: l.v[i]};
          if (bottom === null || u < bottom.u) bottom = {u: u, v: l.v[i]};
        });
        if (!top) return;
        var x = xs.getPixelForValue(i);
        var text = function (v) { return typeof v === 'number' ? nice(v) : String(v); };
        ctx.fillText(text(top.v), x, ys.getPixelForValue(top.u) - 6);
        ctx.fillText(text(bottom.v), x, ys.getPixelForValue(bottom.u) + 14);
      });
      ctx.restore();
    }};
    return new Chart(addBox(parent, ''), {type: 'line', data: {labels: d.axes, datasets: sets}, plugins: [ends], options: {
      animation: false, maintainAspectRatio: false, layout: {padding: {top: 16, bottom: 8}},
      scales: {y: {min: 0, max: 1, ticks: {display: false}, title: {display: true, text: 'each axis: its own range, ends labelled (objective: best on top)'}}},
      plugins: {legend: {display: false}, tooltip: {callbacks: {label: function (ctx) {
        var ds = ctx.dataset;
        return ds.label + ' (' + ds.s + '): ' + d.axes[ctx.dataIndex] + ' = ' + ds.v[ctx.dataIndex];
      }}}}}});
  }
  function importanceChart(parent, d) {
    return new Chart(addBox(parent, 'fANOVA importance (normalised to sum 1)'), {type: 'bar',
      data: {labels: d.rows.map(function (r) { return r.key; }),
             datasets: [{label: 'importance', data: d.rows.map(function (r) { return r.v; }), backgroundColor: '#1f77b4'}]},
      options: {indexAxis: 'y', animation: false, maintainAspectRatio: false, plugins: {legend: {display: false},
        tooltip: {callbacks: {label: function (ctx) {
          return 'importance ' + ctx.raw.toFixed(3) + ', variance explained ' + (100 * d.rows[ctx.dataIndex].share).toFixed(1) + ' %';
        }}}}}});
  }
  function timelineChart(parent, d) {
    var order = ['ok', 'diverged', 'failed'], colours = {};
    var sets = order.map(function (status) {
      var bars = d.bars.filter(function (b) { return b.status === status; });
      bars.forEach(function (b) { colours[status] = b.colour; });
      return {label: status, grouped: false, maxBarThickness: 24, backgroundColor: colours[status] || '#999',
              data: bars.map(function (b) { return {x: [b.from, b.to], y: b.lane, b: b}; }),
              borderColor: function (ctx) { return ctx.raw && ctx.raw.b.attempt > 1 ? '#000' : '#fff'; },
              borderWidth: function (ctx) { return ctx.raw && ctx.raw.b.attempt > 1 ? 2 : 0.5; },
              borderSkipped: false};
    }).filter(function (s) { return s.data.length > 0; });
    var requeues = {id: 'requeues', afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx, xs = chart.scales.x, area = chart.chartArea;
      ctx.save();
      ctx.strokeStyle = '#666';
      ctx.setLineDash([3, 3]);
      d.requeues.forEach(function (e) {
        var x = xs.getPixelForValue(e.at);
        ctx.beginPath(); ctx.moveTo(x, area.top); ctx.lineTo(x, area.bottom); ctx.stroke();
      });
      ctx.restore();
    }};
    return new Chart(addBox(parent, 'jobs per worker'), {type: 'bar', data: {labels: d.lanes, datasets: sets},
      plugins: [requeues],
      options: {indexAxis: 'y', animation: false, maintainAspectRatio: false,
        scales: {x: {type: 'linear', min: 0, title: {display: true, text: 'seconds since the first job started'}}},
        plugins: {tooltip: {callbacks: {label: function (ctx) {
          var b = ctx.raw.b;
          return b.id + ' (' + b.s + '): ' + b.status + ', ' + b.from.toFixed(1) + ' .. ' + b.to.toFixed(1) + ' s, attempt ' +
                 b.attempt + (b.resumes ? ', resumed ' + b.resumes + 'x' : '');
        }}}}}});
  }
  document.addEventListener('DOMContentLoaded', function () {
    var source = document.getElementById('view-data'), parent = document.getElementById('charts');
    if (!source || !parent) { document.body.setAttribute('data-charts', '0'); return; }
    if (typeof Chart === 'undefined') throw new Error('chart.umd.js did not load: the interactive charts are missing');
    var d = JSON.parse(source.textContent), made = 0;
    if (d.kind === 'xy') d.charts.forEach(function (c) { xyChart(parent, c); made++; });
    else if (d.kind === 'contour') d.charts.forEach(function (c) { contourChart(parent, c, d.label); made++; });
    else if (d.kind === 'parallel') { parallelChart(parent, d); made++; }
    else if (d.kind === 'importance') { importanceChart(parent, d); made++; }
    else if (d.kind === 'timeline') { timelineChart(parent, d); made++; }
    else throw new Error('unknown view kind ' + d.kind);
    document.body.setAttribute('data-charts', String(made));
  });
})();
)JS";
}

}  // namespace hposync::report
