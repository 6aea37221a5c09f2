"""Where a participant stays: the home location (the most used night-time stationary spot, over the whole
window given) and places (stationary epochs clustered greedily, largest first, within `place_radius_m`).

Home coordinates identify a person; they are returned in their own table (`home_locations`) so the daily
feature table never carries them.
"""

from __future__ import annotations

import polars as pl

from careloop.pipeline import geo, schemas
from careloop.pipeline.trajectory import MobilityParameters, is_night, trajectory_epochs


def home_locations(
    gps: pl.DataFrame, participants: pl.DataFrame, parameters: MobilityParameters | None = None
) -> pl.DataFrame:
    """HOME_LOCATIONS: one row per participant with GPS; coordinates are null without enough night data."""
    parameters = parameters or MobilityParameters()
    epochs = trajectory_epochs(gps, participants, parameters)
    return homes_from_epochs(epochs, parameters)


def homes_from_epochs(epochs: pl.DataFrame, parameters: MobilityParameters) -> pl.DataFrame:
    """Home per participant: mean of night stationary epochs near the busiest night grid cell."""
    candidates = epochs.filter(~pl.col("moving") & is_night(parameters))
    seeds = busiest_cells(candidates, parameters.home_cell_m).rename(
        {"latitude": "seed_latitude", "longitude": "seed_longitude"}
    )
    near = candidates.join(seeds, on="participant_id").filter(
        geo.haversine_m(pl.col("latitude"), pl.col("longitude"), pl.col("seed_latitude"), pl.col("seed_longitude"))
        <= parameters.home_radius_m
    )
    found = near.group_by("participant_id").agg(
        pl.col("latitude").mean().alias("home_latitude"),
        pl.col("longitude").mean().alias("home_longitude"),
        (pl.len() * parameters.epoch_s / 3600.0).alias("home_evidence_h"),
    )
    return every_participant(epochs, found, parameters)


def every_participant(epochs: pl.DataFrame, found: pl.DataFrame, parameters: MobilityParameters) -> pl.DataFrame:
    """One home row per participant in `epochs`; too little evidence leaves the coordinates null."""
    everyone = epochs.select("participant_id").unique().join(found, on="participant_id", how="left")
    enough = pl.col("home_evidence_h").fill_null(0.0) >= parameters.min_home_evidence_h
    return (
        everyone.select(
            "participant_id",
            pl.when(enough).then(pl.col("home_latitude")).alias("home_latitude"),
            pl.when(enough).then(pl.col("home_longitude")).alias("home_longitude"),
            pl.col("home_evidence_h").fill_null(0.0),
        )
        .sort("participant_id")
        .cast(schemas.polars_schema(schemas.HOME_LOCATIONS))
    )


def busiest_cells(epochs: pl.DataFrame, cell_m: float) -> pl.DataFrame:
    """Per participant, the mean position of the grid cell holding the most epochs (ties: lowest cell)."""
    cells = (
        with_cells(epochs, cell_m)
        .group_by("participant_id", "cell_row", "cell_column")
        .agg(pl.len().alias("epoch_count"), pl.col("latitude").mean(), pl.col("longitude").mean())
    )
    ranked = cells.sort(
        ["participant_id", "epoch_count", "cell_row", "cell_column"], descending=[False, True, False, False]
    )
    return (
        ranked.group_by("participant_id", maintain_order=True).first().select("participant_id", "latitude", "longitude")
    )


def with_cells(epochs: pl.DataFrame, cell_m: float) -> pl.DataFrame:
    """Add grid cell indices, scaled at the participant's mean latitude."""
    reference = pl.col("latitude").mean().over("participant_id")
    row, column = geo.grid_cell(pl.col("latitude"), pl.col("longitude"), reference, cell_m)
    return epochs.with_columns(row.alias("cell_row"), column.alias("cell_column"))


def place_ids(epochs: pl.DataFrame, parameters: MobilityParameters) -> pl.DataFrame:
    """`epochs` with `place_id` (Int32) for stationary epochs; moving epochs get null."""
    stationary = with_cells(epochs.filter(~pl.col("moving")), parameters.place_cell_m)
    cells = stationary.group_by("participant_id", "cell_row", "cell_column").agg(
        pl.len().alias("epoch_count"), pl.col("latitude").mean(), pl.col("longitude").mean()
    )
    ranked = cells.sort(
        ["participant_id", "epoch_count", "cell_row", "cell_column"], descending=[False, True, False, False]
    )
    assigned = ranked.with_columns(pl.Series("place_id", cluster_cells(ranked, parameters), dtype=pl.Int32))
    keys = ["participant_id", "cell_row", "cell_column"]
    labelled = stationary.join(assigned.select([*keys, "place_id"]), on=keys, how="left").drop(
        "cell_row", "cell_column"
    )
    moving = epochs.filter(pl.col("moving")).with_columns(pl.lit(None, dtype=pl.Int32).alias("place_id"))
    return pl.concat([labelled, moving]).sort("participant_id", "epoch_start")


def cluster_cells(ranked_cells: pl.DataFrame, parameters: MobilityParameters) -> list[int]:
    """Greedy clustering: each cell, busiest first, joins the first place centre within the radius."""
    place_of_cell: list[int] = []
    centres: list[tuple[float, float]] = []
    current = None
    rows = ranked_cells.select("participant_id", "latitude", "longitude").iter_rows()
    for participant_id, latitude, longitude in rows:
        if participant_id != current:
            current, centres = participant_id, []
        place_of_cell.append(nearest_place(centres, latitude, longitude, parameters.place_radius_m))
    return place_of_cell


def nearest_place(centres: list[tuple[float, float]], latitude: float, longitude: float, radius_m: float) -> int:
    """Index of the first centre within `radius_m`, appending a new centre when none is."""
    for index, (centre_lat, centre_lon) in enumerate(centres):
        if geo.haversine_scalar_m(latitude, longitude, centre_lat, centre_lon) <= radius_m:
            return index
    centres.append((latitude, longitude))
    return len(centres) - 1
