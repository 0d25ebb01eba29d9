function bgEl(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) { e.className = cls; }
  if (text !== undefined && text !== null) { e.textContent = String(text); }
  return e;
}
function bgHas(v) { return v !== undefined && v !== null; }
function bgBox(head, labels, values) {
  var box = bgEl('div', 'bg-box');
  if (bgHas(head)) { box.appendChild(bgEl('div', 'bg-popup-name', head)); }
  if (labels && labels.length) {
    var t = bgEl('table', 'bg-tbl'), body = document.createElement('tbody');
    for (var i = 0; i < labels.length; i++) {
      var tr = document.createElement('tr');
      tr.appendChild(bgEl('th', null, labels[i]));
      tr.appendChild(bgEl('td', null, values ? values[i] : ''));
      body.appendChild(tr);
    }
    t.appendChild(body);
    box.appendChild(t);
  }
  return box;
}
function bgBinder(spec) {
  var tip = spec.tip || [];
  return function (f, l) {
    var p = (f && f.properties) || {};
    var head = bgHas(p.n) ? p.n : spec.head;
    if (bgHas(head) || tip.length) {
      l.bindTooltip(function () {
        return tip.length ? bgBox(head, tip, p.t) : bgEl('span', null, head);
      }, {sticky: !l.getLatLng, direction: 'top'});
    }
    if (spec.pop) {
      l.bindPopup(function () { return bgBox(head, spec.pop, p.p); }, {maxWidth: 360});
    }
  };
}
function bgStyle(base) {
  return function (f) {
    var s = L.extend({}, base), p = (f && f.properties) || {};
    var c = p.c;
    if (c) {
      s.fillColor = c;
      if (base.strokeFromFill) { s.color = c; }
    }
    if (p.o) {  // an outline drawn over filled bands: no fill, so no colour mixes
      s.fill = false; s.color = c || s.color; s.opacity = 0.95;
      if (bgHas(base.outlineWeight)) { s.weight = base.outlineWeight; }
    }
    if (p.d) { s.dashArray = ['6 4', '2 4', '10 4 2 4'][Math.min(p.d, 3) - 1]; }
    return s;
  };
}
function bgPoint(color) {
  return function (f, ll) {
    var dot = document.createElement('span');
    dot.style.background = color;
    return L.marker(ll, {icon: L.divIcon({className: 'bg-poi', html: dot,
      iconSize: [14, 14], iconAnchor: [7, 7], popupAnchor: [0, -7], tooltipAnchor: [7, 0]})});
  };
}
function bgClusterIcon(color) {
  return function (c) {
    var d = bgEl('div', null, c.getChildCount());
    d.style.background = color;
    return L.divIcon({className: 'bg-cluster', iconSize: L.point(30, 30), html: d});
  };
}
function bgControl(map, position, cls, content) {
  var c = L.control({position: position});
  c.onAdd = function () {
    var d = L.DomUtil.create('div', 'leaflet-control bg-ctl ' + cls);
    d.appendChild(content());
    L.DomEvent.disableClickPropagation(d);
    L.DomEvent.disableScrollPropagation(d);
    return d;
  };
  return c.addTo(map);
}
function bgSwatch(s) {
  var i = document.createElement('i');
  if (s.type === 'dot') {
    i.className = 'bg-dot';
    i.style.background = s.color;
    return i;
  }
  i.className = 'bg-sw';
  if (s.type === 'line') {  // an outline drawn without fill
    i.className = 'bg-sw bg-line';
    i.style.border = (s.dash > 2 ? '4px ' : '2px ') +
      ['solid ', 'dashed ', 'dotted ', 'double '][Math.min(s.dash || 0, 3)] + s.color;
    i.style.background = 'transparent';
    return i;
  }
  if (s.type === 'hatch') {
    i.style.border = '2px dashed ' + s.color;
    i.style.background = 'repeating-linear-gradient(45deg,' + s.color + ' 0 2px,transparent 2px 6px)';
  } else {
    i.style.background = s.color;
    if (s.border) { i.style.borderColor = s.color; }
    if (bgHas(s.opacity)) { i.style.opacity = String(s.opacity); }
  }
  return i;
}
function bgHatches(list) {
  if (!list.length) { return; }
  var NS = 'http://www.w3.org/2000/svg';
  function el(tag, attrs) {
    var e = document.createElementNS(NS, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    return e;
  }
  var svg = el('svg', {width: 0, height: 0, style: 'position:absolute', 'aria-hidden': 'true'});
  var defs = el('defs', {});
  list.forEach(function (h) {
    var pat = el('pattern', {id: h.id, patternUnits: 'userSpaceOnUse', width: 8, height: 8,
      patternTransform: 'rotate(45)'});
    pat.appendChild(el('rect', {width: 8, height: 8, fill: h.color, 'fill-opacity': 0.12}));
    pat.appendChild(el('line', {x1: 1, y1: 0, x2: 1, y2: 8, stroke: h.color, 'stroke-width': 2.5,
      'stroke-opacity': 0.85}));
    defs.appendChild(pat);
  });
  svg.appendChild(defs);
  document.body.insertBefore(svg, document.body.firstChild);
}
// Leaflet's layers control writes layer names with innerHTML; this one uses textContent
// (otherwise the same as Leaflet 1.9.3's _addItem).
var BgLayers = L.Control.Layers.extend({
  _addItem: function (obj) {
    var label = document.createElement('label'), checked = this._map.hasLayer(obj.layer), input;
    if (obj.overlay) {
      input = document.createElement('input');
      input.type = 'checkbox';
      input.className = 'leaflet-control-layers-selector';
      input.defaultChecked = checked;
    } else {
      input = this._createRadioElement('leaflet-base-layers_' + L.Util.stamp(this), checked);
    }
    this._layerControlInputs.push(input);
    input.layerId = L.Util.stamp(obj.layer);
    L.DomEvent.on(input, 'click', this._onInputClick, this);
    var name = document.createElement('span');
    name.textContent = ' ' + obj.name;
    var holder = document.createElement('span');
    label.appendChild(holder);
    holder.appendChild(input);
    holder.appendChild(name);
    (obj.overlay ? this._overlaysList : this._baseLayersList).appendChild(label);
    this._checkDisabledLayers();
    return label;
  }
});
// A minimal fullscreen button for self-contained pages (no PyPI package ships
// leaflet.fullscreen): the browser Fullscreen API, or a full-window fallback.
function bgFullscreen(map, titleOn, titleOff) {
  var box = L.DomUtil.create('div', 'leaflet-bar leaflet-control bg-fs');
  var a = L.DomUtil.create('a', 'bg-fs-button', box);
  a.href = '#'; a.setAttribute('role', 'button');
  // the icon is a fixed string of this code (no data)
  a.title = titleOn; a.setAttribute('aria-label', titleOn);
  a.innerHTML = '<svg width="16" height="16" viewBox="0 0 16 16" style="vertical-align:middle" ' +
    'aria-hidden="true"><path d="M1 6V1h5M10 1h5v5M15 10v5h-5M6 15H1v-5" fill="none" ' +
    'stroke="#333" stroke-width="2"/></svg>';
  var el = map.getContainer();
  function isOn() {
    return document.fullscreenElement === el || L.DomUtil.hasClass(el, 'bg-pseudo-fs');
  }
  function sync() {
    var on = isOn(); a.title = on ? titleOff : titleOn; a.setAttribute('aria-label', a.title);
    map.invalidateSize();
  }
  function pseudo(on) {
    if (on) { L.DomUtil.addClass(el, 'bg-pseudo-fs'); } else { L.DomUtil.removeClass(el, 'bg-pseudo-fs'); }
    sync();
  }
  L.DomEvent.disableClickPropagation(box);
  L.DomEvent.on(a, 'click', function (e) {
    L.DomEvent.preventDefault(e);
    if (isOn()) {
      if (document.fullscreenElement) { document.exitFullscreen(); } else { pseudo(false); }
    } else if (el.requestFullscreen && document.fullscreenEnabled) {
      el.requestFullscreen().catch(function () { pseudo(true); });
    } else { pseudo(true); }
  });
  document.addEventListener('fullscreenchange', sync);
  var ctl = L.control({position: 'topleft'});
  ctl.onAdd = function () { return box; };
  ctl.addTo(map);
}
function bgVector(spec, geojson) {
  var group = spec.cluster ? L.markerClusterGroup({showCoverageOnHover: false,
    maxClusterRadius: 45, disableClusteringAtZoom: 17,
    iconCreateFunction: bgClusterIcon(spec.point_color)}) : L.featureGroup();
  group.addLayer(L.geoJSON(geojson, {style: bgStyle(spec.style),
    pointToLayer: bgPoint(spec.point_color), onEachFeature: bgBinder(spec)}));
  return group;
}
function bgLegend(map, sections, layers) {
  var toggled = [], blocks = [];
  var ctl = bgControl(map, 'bottomright', 'bg-legend', function () {
    var f = document.createDocumentFragment();
    sections.forEach(function (sec) {
      var s = bgEl('div', 'bg-legend-sec'), rows = [];
      if (bgHas(sec.title)) { s.appendChild(bgEl('div', 'bg-legend-title', sec.title)); }
      sec.rows.forEach(function (r) {
        var row = bgEl('div', 'bg-legend-row');
        row.appendChild(bgSwatch(r.swatch));
        row.appendChild(document.createTextNode(r.label));
        if (bgHas(r.layer)) { toggled.push([row, layers[r.layer]]); }
        rows.push(row);
        s.appendChild(row);
      });
      blocks.push([s, rows]);
      f.appendChild(s);
    });
    return f;
  });
  function upd() {
    toggled.forEach(function (it) { it[0].style.display = map.hasLayer(it[1]) ? '' : 'none'; });
    // a heading whose rows are all hidden is hidden too; so is the legend when empty
    var any = false;
    blocks.forEach(function (b) {
      var shown = b[1].some(function (r) { return r.style.display !== 'none'; });
      b[0].style.display = shown ? '' : 'none';
      any = any || shown;
    });
    ctl.getContainer().style.display = any ? '' : 'none';
  }
  map.on('overlayadd overlayremove', upd);
  upd();
}
function bgMap(map, d) {
  var m = d.meta;
  document.title = m.title;
  bgHatches(m.hatches);
  bgControl(map, 'topleft', 'bg-title', function () {
    var f = document.createDocumentFragment();
    f.appendChild(bgEl('div', 'bg-title-main', m.title));
    m.subtitle.forEach(function (s) { f.appendChild(bgEl('div', 'bg-title-line', s)); });
    return f;
  });
  L.control.zoom({position: 'topleft', zoomInTitle: m.ui.zoom_in, zoomOutTitle: m.ui.zoom_out})
    .addTo(map);
  L.control.scale({imperial: false, maxWidth: 150}).addTo(map);
  if (m.fullscreen_button) { bgFullscreen(map, m.ui.fullscreen, m.ui.exit_fullscreen); }
  var ctl = new BgLayers(null, null, {position: 'topright', collapsed: false});
  var tileFailed = bgTileNotice(map, m.tile_notice);
  m.bases.forEach(function (b, i) {
    var g = b.context ? bgContext(map, m.context) :
      L.layerGroup(b.tiles.map(function (t) { return bgTileLayer(t, tileFailed); }));
    if (i === 0) { g.addTo(map); }
    ctl.addBaseLayer(g, b.name);
  });
  var layers = m.layers.map(function (spec, i) {
    var g = bgVector(spec, d.geo[i]);
    if (spec.show) { g.addTo(map); }
    ctl.addOverlay(g, spec.name);
    return g;
  });
  bgLegend(map, m.legend, layers);
  ctl.addTo(map);
  map.fitBounds(m.bounds);
}
