// The timeline page: a time axis drawn from the page's own data, and filters that apply
// without a page load. The page works without this script: the list and the filter form
// are plain HTML, and every filtered view is a URL.
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var DAY = 86400000;
  var LANE = 24, TOP = 30, CHAR = 6.6, MAX_LABEL = 34, MIN_BAR = 8;

  function day(iso) { return Date.parse(iso.slice(0, 10) + "T00:00:00Z"); }

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (parent) { parent.appendChild(node); }
    return node;
  }

  function shortLabel(text) {
    return text.length > MAX_LABEL ? text.slice(0, MAX_LABEL - 1) + "…" : text;
  }

  // -- ticks: years, months or days, whichever gives a readable number of them -----------

  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  function ticks(start, end, width) {
    var span = (end - start) / DAY, out = [], d = new Date(start), unit;
    unit = span > 365 * 3 ? "year" : span > 75 ? "month" : "day";
    if (unit === "year") {
      d = new Date(Date.UTC(d.getUTCFullYear(), 0, 1));
    } else if (unit === "month") {
      d = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
    }
    var every = Math.max(1, Math.ceil((unit === "year" ? span / 365 : unit === "month" ? span / 30 : span) / Math.max(2, width / 90)));
    var n = 0;
    while (d.getTime() <= end && n < 400) {
      if (d.getTime() >= start) {
        var label = unit === "year" ? String(d.getUTCFullYear())
          : unit === "month" ? MONTHS[d.getUTCMonth()] + " " + d.getUTCFullYear()
          : MONTHS[d.getUTCMonth()] + " " + d.getUTCDate();
        out.push({ time: d.getTime(), label: label });
      }
      if (unit === "year") { d = new Date(Date.UTC(d.getUTCFullYear() + every, 0, 1)); }
      else if (unit === "month") { d = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + every, 1)); }
      else { d = new Date(d.getTime() + every * DAY); }
      n += 1;
    }
    return out;
  }

  // -- the axis -------------------------------------------------------------------------

  function Axis(figure, data) {
    this.figure = figure;
    this.view = figure.querySelector(".axis-view");
    this.events = data.events.map(function (e) {
      var first = e.earliest || e.latest, last = e.latest || e.earliest;
      return {
        id: e.id, label: e.label, status: e.status, date: e.date, disputed: e.disputed,
        start: first ? day(first) : null, end: last ? day(last) + DAY : null, openStart: !e.earliest && !!e.latest
      };
    });
    var dated = this.events.filter(function (e) { return e.start !== null; });
    if (!dated.length && !this.events.length) { return; }
    var lo = dated.length ? Math.min.apply(null, dated.map(function (e) { return e.start; })) : Date.now() - 365 * DAY;
    var hi = dated.length ? Math.max.apply(null, dated.map(function (e) { return e.end; })) : Date.now();
    var pad = Math.max((hi - lo) * 0.06, 20 * DAY);
    this.home = [lo - pad, hi + pad];
    this.domain = this.home.slice();
    figure.hidden = false;
    this.bind();
    this.draw();
  }

  Axis.prototype.x = function (time) {
    var width = this.width;
    return ((time - this.domain[0]) / (this.domain[1] - this.domain[0])) * width;
  };

  Axis.prototype.draw = function () {
    var self = this, width = Math.max(320, this.view.clientWidth || 800);
    this.width = width;
    var lanes = [], undated = [];
    var placed = [];
    this.events.forEach(function (e) {
      if (e.start === null) { undated.push(e); return; }
      var x1 = e.openStart ? self.x(e.end) - 40 : self.x(e.start);
      var x2 = Math.max(self.x(e.end), x1 + MIN_BAR);
      var text = shortLabel(e.label).length * CHAR + 6;
      var left = x2 + text > width && x1 - text > 0;  // a label that would run off the right goes left
      var from = left ? x1 - text : x1, to = left ? x2 : x2 + text;
      var lane = 0;
      while (lane < lanes.length && lanes[lane] > from) { lane += 1; }
      lanes[lane] = to + 8;
      placed.push({ e: e, x1: x1, x2: x2, lane: lane, left: left });
    });
    var datedHeight = TOP + Math.max(1, lanes.length) * LANE + 6;
    var height = datedHeight + (undated.length ? LANE + 22 : 0);
    // The list below is the accessible form of the same events: the drawing is hidden from
    // screen readers, and the axis is one tab stop (its bars are reached by pointer).
    var svg = el("svg", { width: width, height: height, viewBox: "0 0 " + width + " " + height, "aria-hidden": "true" });
    ticks(this.domain[0], this.domain[1], width).forEach(function (t) {
      var x = self.x(t.time);
      el("line", { x1: x, x2: x, y1: TOP - 8, y2: datedHeight, "class": "grid" }, svg);
      el("text", { x: x + 3, y: TOP - 14, "class": "tick" }, svg).textContent = t.label;
    });
    placed.forEach(function (p) { self.bar(svg, p.e, p.x1, p.x2, TOP + p.lane * LANE, p.left); });
    if (undated.length) {
      el("line", { x1: 0, x2: width, y1: datedHeight + 4, y2: datedHeight + 4, "class": "undated-rule" }, svg);
      el("text", { x: 4, y: datedHeight + 18, "class": "tick" }, svg).textContent = "undated";
      var x = 70;
      undated.forEach(function (e) {
        self.bar(svg, e, x, x + MIN_BAR * 2, datedHeight + 8);
        x += MIN_BAR * 2 + 12 + shortLabel(e.label).length * CHAR;
      });
    }
    this.view.replaceChildren(svg);
  };

  Axis.prototype.bar = function (svg, e, x1, x2, y, labelLeft) {
    var link = el("a", { href: "#" + e.id, tabindex: "-1", "class": "bar status-" + e.status + (e.disputed ? " disputed" : "") }, svg);
    el("title", {}, link).textContent = e.label + " — " + e.date + " (" + e.status + (e.disputed ? ", sources disagree" : "") + ")";
    el("rect", { x: x1, y: y + 3, width: Math.max(MIN_BAR, x2 - x1), height: LANE - 10, rx: 3 }, link);
    if (e.openStart) { el("path", { d: "M" + x1 + " " + (y + 7) + " l-7 4 l7 4 z", "class": "open" }, link); }
    if (e.status === "denied") { el("line", { x1: x1, x2: x2, y1: y + LANE / 2 - 2, y2: y + LANE / 2 - 2, "class": "strike" }, link); }
    var at = labelLeft ? { x: x1 - (e.openStart ? 12 : 6), "text-anchor": "end" } : { x: x2 + 6 };
    at.y = y + LANE / 2 + 2;
    at["class"] = "label";
    el("text", at, link).textContent = shortLabel(e.label);
    link.addEventListener("click", function (event) {
      var target = document.getElementById(e.id);
      if (!target) { return; }
      event.preventDefault();
      target.scrollIntoView({ block: "center" });
      target.setAttribute("tabindex", "-1");
      target.focus({ preventScroll: true });
      target.classList.add("flash");
      window.setTimeout(function () { target.classList.remove("flash"); }, 1600);
    });
  };

  Axis.prototype.zoom = function (factor, at) {
    var d = this.domain, centre = at === undefined ? (d[0] + d[1]) / 2 : at;
    var span = Math.min(Math.max((d[1] - d[0]) * factor, 3 * DAY), 400 * 365 * DAY);
    var share = (centre - d[0]) / (d[1] - d[0]);
    this.domain = [centre - span * share, centre + span * (1 - share)];
    this.draw();
  };

  Axis.prototype.pan = function (share) {
    var shift = (this.domain[1] - this.domain[0]) * share;
    this.domain = [this.domain[0] + shift, this.domain[1] + shift];
    this.draw();
  };

  Axis.prototype.bind = function () {
    var self = this, view = this.view, drag = null;
    this.figure.querySelectorAll("[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        var how = button.getAttribute("data-zoom");
        if (how === "reset") { self.domain = self.home.slice(); self.draw(); } else { self.zoom(how === "in" ? 0.5 : 2); }
      });
    });
    view.addEventListener("wheel", function (event) {
      if (!event.ctrlKey && Math.abs(event.deltaY) < Math.abs(event.deltaX)) { self.pan(event.deltaX / self.width); event.preventDefault(); return; }
      event.preventDefault();
      var rect = view.getBoundingClientRect();
      var at = self.domain[0] + ((event.clientX - rect.left) / self.width) * (self.domain[1] - self.domain[0]);
      self.zoom(event.deltaY > 0 ? 1.25 : 0.8, at);
    }, { passive: false });
    view.addEventListener("pointerdown", function (event) {
      if (event.target.closest && event.target.closest("a")) { return; }
      drag = { x: event.clientX, domain: self.domain.slice() };
      view.setPointerCapture(event.pointerId);
    });
    view.addEventListener("pointermove", function (event) {
      if (!drag) { return; }
      var shift = ((drag.x - event.clientX) / self.width) * (drag.domain[1] - drag.domain[0]);
      self.domain = [drag.domain[0] + shift, drag.domain[1] + shift];
      self.draw();
    });
    view.addEventListener("pointerup", function () { drag = null; });
    view.addEventListener("keydown", function (event) {
      var keys = { ArrowLeft: function () { self.pan(-0.1); }, ArrowRight: function () { self.pan(0.1); },
        "+": function () { self.zoom(0.5); }, "=": function () { self.zoom(0.5); }, "-": function () { self.zoom(2); },
        "0": function () { self.domain = self.home.slice(); self.draw(); } };
      if (keys[event.key]) { keys[event.key](); event.preventDefault(); }
    });
    var resizing = null;
    window.addEventListener("resize", function () {
      window.clearTimeout(resizing);
      resizing = window.setTimeout(function () { self.draw(); }, 150);
    });
  };

  function drawAxis(container) {
    var figure = container.querySelector("figure.axis");
    var data = container.querySelector("script.axis-data");
    if (!figure || !data) { return; }
    try {
      new Axis(figure, JSON.parse(data.textContent));
    } catch (error) {
      figure.hidden = true;  // the list below carries every date in words
    }
  }

  // -- filters that apply as you type ---------------------------------------------------

  function instantFilters(form, container) {
    var pending = null, timer = null;
    function url() {
      var params = new URLSearchParams();
      new FormData(form).forEach(function (value, key) { if (String(value).trim()) { params.append(key, value); } });
      var query = params.toString();
      return form.getAttribute("action") + (query ? "?" + query : "");
    }
    function apply(push) {
      var target = url();
      if (pending) { pending.abort(); }
      pending = new AbortController();
      container.setAttribute("aria-busy", "true");
      fetch(target, { headers: { "X-KG-Fragment": "events" }, signal: pending.signal })
        .then(function (response) {
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.text();
        })
        .then(function (html) {
          container.innerHTML = html;
          if (push) { window.history.pushState(null, "", target); } else { window.history.replaceState(null, "", target); }
          drawAxis(container);
        })
        .catch(function (error) {
          if (error.name === "AbortError") { return; }
          var count = container.querySelector(".count");
          if (count) { count.textContent = "These filters could not be applied (" + error.message + "); press Show to load the page."; }
        })
        .finally(function () { container.removeAttribute("aria-busy"); });
    }
    form.addEventListener("submit", function (event) { event.preventDefault(); window.clearTimeout(timer); apply(true); });
    form.addEventListener("change", function (event) { if (event.target.type !== "search") { apply(true); } });
    form.addEventListener("input", function (event) {
      if (event.target.type === "search") { window.clearTimeout(timer); timer = window.setTimeout(function () { apply(false); }, 300); }
    });
    window.addEventListener("popstate", function () {
      var params = new URLSearchParams(window.location.search);
      Array.prototype.forEach.call(form.elements, function (field) {
        if (field.name) { field.value = params.get(field.name) || ""; }
      });
      apply(false);
    });
  }

  var container = document.getElementById("events");
  if (!container) { return; }
  drawAxis(container);
  var form = document.querySelector("form[data-instant]");
  if (form && window.fetch && window.URLSearchParams) { instantFilters(form, container); }
}());
