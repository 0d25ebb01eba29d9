// The offline context base layer (streets, water, railways, names) and the tile-failure notice.
// Coordinates come as integers (degrees * scale), each point the difference from the one before,
// carried on across the lines of a class. Names are shown with textContent only.
function bgDecode(paths, scale, cur) {
  return paths.map(function (a) {
    var pts = [];
    for (var i = 0; i + 1 < a.length; i += 2) {
      cur[0] += a[i]; cur[1] += a[i + 1];
      pts.push([cur[1] / scale, cur[0] / scale]);
    }
    return pts;
  });
}
function bgPane(map, name, z) {
  var p = map.getPane(name) || map.createPane(name);
  p.style.zIndex = String(z);
  return p;
}
function bgLabel(ll, cls, text, color, angle) {
  var span = document.createElement('span');
  span.textContent = String(text);
  span.style.color = color;
  span.style.transform = 'translate(-50%,-50%)' + (angle ? ' rotate(' + (-Number(angle)) + 'deg)' : '');
  return L.marker(ll, {pane: 'bg-context-labels', interactive: false, keyboard: false,
    icon: L.divIcon({className: 'bg-label ' + cls, html: span, iconSize: null})});
}
function bgContext(map, ctx) {
  bgPane(map, 'bg-context', 250);
  bgPane(map, 'bg-context-labels', 390).style.pointerEvents = 'none';
  var renderer = L.svg({pane: 'bg-context', padding: 0.5});
  var group = L.layerGroup(), zoomed = [];
  ctx.layers.forEach(function (spec) {
    var cur = [0, 0], layer;
    var opts = {pane: 'bg-context', renderer: renderer, interactive: false, color: spec.color,
      weight: spec.weight, opacity: 1, lineCap: 'round', lineJoin: 'round', className: 'bg-ctx-' + spec.cls};
    if (spec.dash) { opts.dashArray = spec.dash; opts.lineCap = 'butt'; }
    if (spec.polygons) {
      layer = L.polygon(spec.polygons.map(function (rings) { return bgDecode(rings, ctx.scale, cur); }),
        L.extend(opts, {fill: true, fillColor: spec.fill, fillOpacity: 1}));
    } else {
      layer = L.polyline(bgDecode(spec.lines, ctx.scale, cur), L.extend(opts, {fill: false}));
    }
    if (spec.min_zoom) { zoomed.push([layer, spec.min_zoom]); } else { group.addLayer(layer); }
  });
  ctx.places.forEach(function (p) {
    group.addLayer(bgLabel([p[2], p[1]], 'bg-label-place', p[0], ctx.label_color, 0));
  });
  if (ctx.roads.length) {
    var roads = L.layerGroup(ctx.roads.map(function (r) {
      return bgLabel([r[2], r[1]], 'bg-label-road', r[0], ctx.road_color, r[3]);
    }));
    zoomed.push([roads, ctx.road_zoom]);
  }
  function upd() {
    var on = map.hasLayer(group), z = map.getZoom();
    zoomed.forEach(function (it) {
      var want = on && z >= it[1];
      if (want && !group.hasLayer(it[0])) { group.addLayer(it[0]); }
      if (!want && group.hasLayer(it[0])) { group.removeLayer(it[0]); }
    });
  }
  map.on('zoomend', upd);
  group.on('add', function () { map.getContainer().style.background = ctx.background; upd(); });
  group.on('remove', function () { map.getContainer().style.background = ''; });
  return group;
}
// A small notice while the chosen tile basemap fails to load (e.g. offline).
function bgTileNotice(map, text) {
  var box = null;
  function show() {
    if (box) { return; }
    box = L.control({position: 'bottomleft'});
    box.onAdd = function () { return bgEl('div', 'leaflet-control bg-ctl bg-tile-notice', text); };
    box.addTo(map);
  }
  function hide() { if (box) { box.remove(); box = null; } }
  map.on('baselayerchange', hide);
  return show;
}
function bgTileLayer(t, onError) {
  var layer = L.tileLayer(t[0], t[1]);
  layer.on('tileerror', onError);
  return layer;
}
