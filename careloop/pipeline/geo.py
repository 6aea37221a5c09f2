"""Great-circle geometry on WGS84 coordinates in degrees, as Polars expressions for whole columns and as
plain functions for the few scalar comparisons (place clustering) that run over small aggregated tables.
"""

from __future__ import annotations

import math

import polars as pl

EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180


def haversine_m(lat1: pl.Expr, lon1: pl.Expr, lat2: pl.Expr, lon2: pl.Expr) -> pl.Expr:
    """Great-circle distance in metres between two coordinate columns."""
    half_dlat = (lat2 - lat1).radians() / 2
    half_dlon = (lon2 - lon1).radians() / 2
    a = half_dlat.sin() ** 2 + lat1.radians().cos() * lat2.radians().cos() * half_dlon.sin() ** 2
    return 2 * EARTH_RADIUS_M * a.sqrt().clip(upper_bound=1.0).arcsin()


def haversine_scalar_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two points."""
    half_dlat = math.radians(lat2 - lat1) / 2
    half_dlon = math.radians(lon2 - lon1) / 2
    cosines = math.cos(math.radians(lat1)) * math.cos(math.radians(lat2))
    a = math.sin(half_dlat) ** 2 + cosines * math.sin(half_dlon) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def local_offset_m(lat: pl.Expr, lon: pl.Expr, origin_lat: pl.Expr, origin_lon: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """East and north offsets in metres from an origin (equirectangular; accurate at city scale)."""
    east = (lon - origin_lon) * METRES_PER_DEGREE * origin_lat.radians().cos()
    north = (lat - origin_lat) * METRES_PER_DEGREE
    return east, north


def grid_cell(lat: pl.Expr, lon: pl.Expr, reference_lat: pl.Expr, cell_m: float) -> tuple[pl.Expr, pl.Expr]:
    """Integer (row, column) of a square grid of `cell_m` metres, scaled at `reference_lat`."""
    row = (lat * METRES_PER_DEGREE / cell_m).floor().cast(pl.Int64)
    column = (lon * METRES_PER_DEGREE * reference_lat.radians().cos() / cell_m).floor().cast(pl.Int64)
    return row, column
