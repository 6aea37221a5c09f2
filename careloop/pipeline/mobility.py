"""Daily mobility features from GPS, per participant per local day (in the participant's own IANA zone):
time at home, distance travelled, radius of gyration, maximum distance from home, significant places,
location entropy, trips and time moving, each next to how much of the day was observed and how much was
bridged, so a reader can tell a quiet day from a day without data.

Every epoch carries a time span: its own `epoch_s` of observation plus the bridged halves of the gaps
around it. Spans are cut at local midnight, so a day never holds more than its 23, 24 or 25 hours.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from careloop.pipeline import geo, localtime, schemas
from careloop.pipeline.places import homes_from_epochs, place_ids
from careloop.pipeline.trajectory import MobilityParameters, trajectory_epochs

ONE_DAY = dt.timedelta(days=1)


def daily_mobility(
    gps: pl.DataFrame, participants: pl.DataFrame, parameters: MobilityParameters | None = None
) -> pl.DataFrame:
    """DAILY_MOBILITY for every local day from each participant's first to last day with GPS."""
    parameters = parameters or MobilityParameters()
    localtime.check_timezones(participants)
    epochs = trajectory_epochs(gps, participants, parameters)
    if epochs.is_empty():
        return schemas.empty_frame(schemas.DAILY_MOBILITY)
    bounds = bounds_around(epochs)
    epochs = located_epochs(epochs, parameters).join(bounds, on=["timezone", "local_date"], how="left")
    pieces = time_pieces(epochs, parameters)
    features = (
        time_features(pieces, parameters)
        .join(place_features(pieces, parameters), on=["participant_id", "local_date"], how="left")
        .join(trip_counts(epochs, parameters), on=["participant_id", "local_date"], how="left")
        .join(daily_distances(epochs, parameters), on=["participant_id", "local_date"], how="left")
    )
    return complete_days(features, epochs)


def located_epochs(epochs: pl.DataFrame, parameters: MobilityParameters) -> pl.DataFrame:
    """Epochs with their place and their distance from the participant's home (null without a home)."""
    homes = homes_from_epochs(epochs, parameters).select("participant_id", "home_latitude", "home_longitude")
    labelled = place_ids(epochs, parameters).join(homes, on="participant_id", how="left")
    from_home = geo.haversine_m(
        pl.col("latitude"), pl.col("longitude"), pl.col("home_latitude"), pl.col("home_longitude")
    )
    return labelled.with_columns(from_home.alias("distance_from_home_m"))


def bounds_around(epochs: pl.DataFrame) -> pl.DataFrame:
    """Day bounds for every local day of the epochs and the day either side of each."""
    pairs = epochs.select("timezone", "local_date").unique().iter_rows()
    days = {(zone, day + offset) for zone, day in pairs for offset in (-ONE_DAY, dt.timedelta(0), ONE_DAY)}
    return localtime.day_bounds(days)


def time_pieces(epochs: pl.DataFrame, parameters: MobilityParameters) -> pl.DataFrame:
    """Each epoch's span cut at local midnight: pieces in the epoch's day and the days either side."""
    span_start = pl.col("epoch_start") - pl.duration(seconds=pl.col("bridged_before_s"))
    span_end = pl.col("epoch_start") + pl.duration(seconds=pl.col("bridged_after_s") + parameters.epoch_s)
    spans = epochs.with_columns(
        (pl.col("day_start") - span_start).dt.total_seconds(fractional=True).clip(0.0).alias("before_s"),
        (span_end - pl.col("day_end")).dt.total_seconds(fractional=True).clip(0.0).alias("after_s"),
        (pl.col("bridged_before_s") + pl.col("bridged_after_s") + parameters.epoch_s).alias("span_s"),
    )
    carried = ["participant_id", "latitude", "longitude", "moving", "place_id", "distance_from_home_m"]
    own = spans.select(
        *carried,
        "local_date",
        (pl.col("span_s") - pl.col("before_s") - pl.col("after_s")).alias("represented_s"),
        pl.lit(float(parameters.epoch_s)).alias("observed_s"),
    )
    before = spans.select(*carried, pl.col("local_date") - ONE_DAY, pl.col("before_s").alias("represented_s"))
    after = spans.select(*carried, pl.col("local_date") + ONE_DAY, pl.col("after_s").alias("represented_s"))
    bridged = pl.concat([before, after]).with_columns(pl.lit(0.0).alias("observed_s"))
    return pl.concat([own, bridged]).filter(pl.col("represented_s") > 0)


def time_features(pieces: pl.DataFrame, parameters: MobilityParameters) -> pl.DataFrame:
    """Observed, bridged, at-home and moving hours, furthest distance from home, radius of gyration."""
    at_home = pl.col("distance_from_home_m") <= parameters.home_radius_m
    home_known = pl.col("distance_from_home_m").is_not_null().any()
    return pieces.group_by("participant_id", "local_date").agg(
        (pl.col("observed_s").sum() / 3600).alias("observed_h"),
        ((pl.col("represented_s").sum() - pl.col("observed_s").sum()) / 3600).alias("bridged_h"),
        pl.when(home_known).then(pl.col("represented_s").filter(at_home).sum() / 3600).alias("time_at_home_h"),
        pl.when(home_known).then(pl.col("observed_s").filter(at_home).sum() / 3600).alias("time_at_home_observed_h"),
        (pl.col("distance_from_home_m").max() / 1000).alias("max_distance_from_home_km"),
        radius_of_gyration_km(),
        (pl.col("observed_s").filter(pl.col("moving")).sum() / 3600).alias("moving_h"),
    )


def radius_of_gyration_km() -> pl.Expr:
    """Time-weighted root-mean-square distance from the day's time-weighted centroid, in km."""
    weight = pl.col("represented_s")
    centre_lat = (weight * pl.col("latitude")).sum() / weight.sum()
    centre_lon = (weight * pl.col("longitude")).sum() / weight.sum()
    east, north = geo.local_offset_m(pl.col("latitude"), pl.col("longitude"), centre_lat, centre_lon)
    mean_square = (weight * (east**2 + north**2)).sum() / weight.sum()
    return (mean_square.sqrt() / 1000).alias("radius_of_gyration_km")


def place_features(pieces: pl.DataFrame, parameters: MobilityParameters) -> pl.DataFrame:
    """Count of places held at least `significant_place_min_s` in the day, and entropy of their shares."""
    per_place = (
        pieces.filter(pl.col("place_id").is_not_null())
        .group_by("participant_id", "local_date", "place_id")
        .agg(pl.col("represented_s").sum().alias("place_s"))
        .filter(pl.col("place_s") >= parameters.significant_place_min_s)
    )
    share = pl.col("place_s") / pl.col("place_s").sum()
    return per_place.group_by("participant_id", "local_date").agg(
        pl.len().cast(pl.Int32).alias("significant_place_count"),
        (-(share * share.log()).sum()).alias("location_entropy"),
    )


def trip_counts(epochs: pl.DataFrame, parameters: MobilityParameters) -> pl.DataFrame:
    """Trips: changes of place between consecutive stops (stays of at least `min_stop_s`), by arrival day."""
    span_s = pl.col("bridged_before_s") + pl.col("bridged_after_s") + parameters.epoch_s
    stationary = epochs.filter(pl.col("place_id").is_not_null()).sort("participant_id", "epoch_start")
    runs = stationary.with_columns(pl.col("place_id").rle_id().over("participant_id").alias("run"))
    stops = (
        runs.group_by("participant_id", "run", maintain_order=True)
        .agg(pl.col("place_id").first(), pl.col("local_date").first(), span_s.sum().alias("stop_s"))
        .filter(pl.col("stop_s") >= parameters.min_stop_s)
    )
    changed = pl.col("place_id") != pl.col("place_id").shift(1).over("participant_id")
    return (
        stops.filter(changed.fill_null(False))
        .group_by("participant_id", "local_date")
        .agg(pl.len().cast(pl.Int32).alias("trip_count"))
    )


def daily_distances(epochs: pl.DataFrame, parameters: MobilityParameters) -> pl.DataFrame:
    """Distance per day; a bridged gap's displacement is shared between days in proportion to time."""
    gap_start = pl.col("epoch_start") - pl.duration(seconds=pl.col("gap_before_s") - parameters.epoch_s)
    unobserved_s = (pl.col("gap_before_s") - parameters.epoch_s).clip(lower_bound=1.0)
    share_before = ((pl.col("day_start") - gap_start).dt.total_seconds(fractional=True) / unobserved_s).clip(0.0, 1.0)
    splittable = ~pl.col("observed_step") & (pl.col("gap_before_s") <= parameters.max_bridged_gap_s)
    steps = epochs.filter(pl.col("step_distance_m") > 0).with_columns(
        pl.when(splittable).then(share_before).otherwise(0.0).alias("share_before"),
        pl.when(pl.col("observed_step")).then(0.0).otherwise(pl.col("step_distance_m")).alias("bridged_m"),
    )
    own = steps.select(
        "participant_id",
        "local_date",
        (pl.col("step_distance_m") * (1 - pl.col("share_before"))).alias("distance_m"),
        (pl.col("bridged_m") * (1 - pl.col("share_before"))).alias("bridged_m"),
    )
    before = steps.select(
        "participant_id",
        pl.col("local_date") - ONE_DAY,
        (pl.col("step_distance_m") * pl.col("share_before")).alias("distance_m"),
        (pl.col("bridged_m") * pl.col("share_before")).alias("bridged_m"),
    )
    return (
        pl.concat([own, before])
        .group_by("participant_id", "local_date")
        .agg(
            (pl.col("distance_m").sum() / 1000).alias("distance_km"),
            (pl.col("bridged_m").sum() / 1000).alias("distance_bridged_km"),
        )
    )


def complete_days(features: pl.DataFrame, epochs: pl.DataFrame) -> pl.DataFrame:
    """One row per participant per local day in their data's span; days without data say so."""
    zones = epochs.select("participant_id", "timezone").unique()
    spans = features.group_by("participant_id").agg(
        pl.date_ranges(pl.col("local_date").min(), pl.col("local_date").max()).first().alias("local_date")
    )
    days = spans.explode("local_date").join(zones, on="participant_id")
    bounds = localtime.day_bounds(days.select("timezone", "local_date").iter_rows())
    days = days.join(bounds.select("timezone", "local_date", "day_length_s"), on=["timezone", "local_date"])
    has_data = pl.col("observed_h").is_not_null()
    filled_counts = [
        pl.when(has_data).then(pl.col(name).fill_null(0)).alias(name)
        for name in ("distance_km", "distance_bridged_km", "significant_place_count", "trip_count")
    ]
    frame = days.join(features, on=["participant_id", "local_date"], how="left").with_columns(
        *filled_counts,
        pl.col("observed_h").fill_null(0.0),
        pl.col("bridged_h").fill_null(0.0),
        (pl.col("day_length_s") / 3600).alias("day_length_h"),
        (pl.col("observed_h").fill_null(0.0) * 3600 / pl.col("day_length_s")).alias("observed_fraction"),
    )
    return frame.sort("participant_id", "local_date").select(schemas.DAILY_MOBILITY.names)
