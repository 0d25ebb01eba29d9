"""OpenStreetMap data: way filters, features by tag, and the online (Overpass/Nominatim) client.

- :mod:`geo.osm.filters`: which ways make up the walk, bike and drive networks
  (:func:`~geo.osm.filters.filter_ways`, :data:`~geo.osm.filters.WAY_TAGS`);
- :mod:`geo.osm.features`: tag filters, kinds and exclusions, and features read from
  ``.osm.pbf`` / ``.osm`` files;
- :mod:`geo.osm.overpass`: street networks, features and place boundaries downloaded with a
  deadline, a size cap, validated answers and an atomic cache.

Nothing is imported here, so that ``import geo.osm.filters`` stays light.
"""
