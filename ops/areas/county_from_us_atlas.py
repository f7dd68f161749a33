"""Write one county's outline as a rule-set area file (GeoJSON) from us-atlas's TopoJSON.

us-atlas (npm, ISC licence; geometry derived from the US Census Bureau's cartographic
boundary files, public domain) ships `counties-10m.json`: every US county, quantized and
simplified, in longitude/latitude. This decodes the county's arcs (delta-encoded, quantized:
TopoJSON's `transform`) into one GeoJSON Polygon or MultiPolygon. No network: fetch the
package with npm first (docs/rules.md, "The county polygon").

    npm pack us-atlas@3.0.1 && tar xzf us-atlas-3.0.1.tgz
    python ops/areas/county_from_us_atlas.py package/counties-10m.json 41051 \\
        multnomah_county "Multnomah County" > diversion/eligibility/areas/multnomah_county.geojson
"""

from __future__ import annotations

import argparse
import json
import sys


def decode(topology: dict, fips: str) -> tuple[str, list]:
    """(GeoJSON geometry type, coordinates) of county FIPS in TOPOLOGY."""
    sx, sy = topology["transform"]["scale"]
    tx, ty = topology["transform"]["translate"]
    geometries = topology["objects"]["counties"]["geometries"]
    found = next((g for g in geometries if g.get("id") == fips), None)
    if found is None:
        raise SystemExit(f"fips: no county {fips!r} in this topology")

    def arc(index: int) -> list[list[float]]:
        points, x, y = [], 0, 0
        for dx, dy in topology["arcs"][~index if index < 0 else index]:
            x, y = x + dx, y + dy
            points.append([round(x * sx + tx, 6), round(y * sy + ty, 6)])
        return points[::-1] if index < 0 else points

    def ring(indexes: list[int]) -> list[list[float]]:
        out: list[list[float]] = []
        for index in indexes:
            points = arc(index)
            out.extend(points if not out else points[1:])  # arcs share their end points
        return out

    if found["type"] == "Polygon":
        return "Polygon", [ring(r) for r in found["arcs"]]
    if found["type"] == "MultiPolygon":
        return "MultiPolygon", [[ring(r) for r in poly] for poly in found["arcs"]]
    raise SystemExit(f"fips: county {fips} is a {found['type']}, not a polygon")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("topojson", help="us-atlas's counties-10m.json")
    parser.add_argument("fips", help="the county's five-digit FIPS code, e.g. 41051")
    parser.add_argument("area_id", help="the area's id in rule sets, e.g. multnomah_county")
    parser.add_argument("name", help="the area's name for people")
    parser.add_argument("--source", default="us-atlas 3.0.1 counties-10m.json",
                        help="what the file was made from, recorded in its properties")
    args = parser.parse_args(argv)
    with open(args.topojson, encoding="utf-8") as fh:
        topology = json.load(fh)
    kind, coordinates = decode(topology, args.fips)
    vertices = sum(len(r) - 1 for r in (coordinates if kind == "Polygon"
                                        else [r for p in coordinates for r in p]))
    feature = {
        "type": "Feature", "id": args.area_id,
        "properties": {
            "id": args.area_id, "name": args.name, "fips": args.fips,
            "source": (f"US Census Bureau cartographic boundary file, 2017 edition (GENZ2017), "
                       f"as quantized and simplified in {args.source} (npm package us-atlas, "
                       f"ISC licence); the Census geometry is public domain (a work of the US "
                       f"government). Regenerate: ops/areas/county_from_us_atlas.py."),
            "vertices": vertices, "approximate": True,
            "note": ("Generalised: vertices quantized to about 0.0036 degrees of longitude "
                     "(about 280 m) and 0.00086 degrees of latitude (about 95 m), and "
                     "simplified: near the county line check the map, or replace this file "
                     "with the county's official boundary (docs/rules.md)."),
        },
        "geometry": {"type": kind, "coordinates": coordinates},
    }
    json.dump({"type": "FeatureCollection", "features": [feature]}, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
