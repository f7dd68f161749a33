"""Program areas: GeoJSON polygons, tested with shapely prepared geometries."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import shapely
from shapely.geometry import mapping, shape

from .errors import RuleSetError

BUILTIN_AREAS = Path(__file__).resolve().parent / "areas"
BUILTIN_PREFIX = "builtin:"


@dataclass(frozen=True, slots=True)
class Area:
    id: str
    name: str
    geometry: object  # a prepared shapely (Multi)Polygon
    bounds: tuple  # (min lon, min lat, max lon, max lat)
    source: str


def resolve_area_file(ref: str, base_dir: Path) -> Path:
    """``builtin:x.geojson`` is a file shipped with the engine; anything else is relative to
    the rule file's directory (or absolute)."""
    if ref.startswith(BUILTIN_PREFIX):
        return BUILTIN_AREAS / ref[len(BUILTIN_PREFIX) :]
    return (base_dir / ref).resolve()


def load_area(area_id: str, name: str | None, path: Path, where: str) -> Area:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RuleSetError(where, f"cannot read area file {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise RuleSetError(where, f"area file {path} is not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise RuleSetError(where, f"area file {path} is not a GeoJSON object")
    kind = doc.get("type")
    if kind == "FeatureCollection":
        features = doc.get("features") or []
    elif kind == "Feature":
        features = [doc]
    else:
        features = [{"type": "Feature", "geometry": doc, "properties": {}}]
    geoms = []
    for feature in features:
        geom = feature.get("geometry") if isinstance(feature, dict) else None
        if not isinstance(geom, dict) or geom.get("type") not in ("Polygon", "MultiPolygon"):
            raise RuleSetError(
                where, f"area file {path}: every feature must be a Polygon or MultiPolygon"
            )
        try:
            geoms.append(shape(geom))
        except Exception as exc:  # shapely raises several types for broken coordinates
            raise RuleSetError(where, f"area file {path}: bad geometry: {exc}") from None
        if name is None:
            name = (feature.get("properties") or {}).get("name")
    if not geoms:
        raise RuleSetError(where, f"area file {path} has no polygon")
    geometry = geoms[0] if len(geoms) == 1 else shapely.union_all(geoms)
    if not geometry.is_valid:
        raise RuleSetError(
            where, f"area file {path}: invalid polygon ({shapely.is_valid_reason(geometry)})"
        )
    shapely.prepare(geometry)
    return Area(area_id, name or area_id, geometry, tuple(geometry.bounds), str(path))


class AreaSet:
    """The areas of one rule set, in order: ``area_of`` returns the first that holds a point."""

    __slots__ = ("areas", "ids", "_by_id", "_checks", "_bounds")

    def __init__(self, areas: list[Area]):
        self.areas = tuple(areas)
        self.ids = tuple(a.id for a in areas)
        self._by_id = {a.id: a for a in areas}
        self._checks = tuple((a.id, *a.bounds, a.geometry) for a in areas)
        if areas:
            self._bounds = (
                min(a.bounds[0] for a in areas),
                min(a.bounds[1] for a in areas),
                max(a.bounds[2] for a in areas),
                max(a.bounds[3] for a in areas),
            )
        else:
            self._bounds = (0.0, 0.0, -1.0, -1.0)

    def __contains__(self, area_id) -> bool:
        return area_id in self._by_id

    def name(self, area_id: str) -> str:
        return self._by_id[area_id].name

    def area_of(self, lat: float, lon: float) -> str | None:
        """The id of the first area holding the point (its boundary included), or None."""
        minx, miny, maxx, maxy = self._bounds
        if not (minx <= lon <= maxx and miny <= lat <= maxy):
            return None
        intersects_xy = shapely.intersects_xy
        for area_id, x0, y0, x1, y1, geometry in self._checks:
            if x0 <= lon <= x1 and y0 <= lat <= y1 and intersects_xy(geometry, lon, lat):
                return area_id
        return None

    def geojson(self) -> dict:
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": a.id,
                    "properties": {"id": a.id, "name": a.name},
                    "geometry": mapping(a.geometry),
                }
                for a in self.areas
            ],
        }
