"""From raw GPS fixes to a cleaned trajectory of fixed-length epochs: accuracy filtering, per-epoch mean
positions (which average away fix-to-fix jitter), steps between epochs, moving/stationary state, and how
much unobserved time next to each epoch may be bridged. Home and place detection and the daily mobility
features (`mobility.py`) are computed from these epochs.

Bridging is the only inference: a gap no longer than `max_bridged_gap_s` is split in half, each half
carried by the epoch on its side; a gap's straight-line displacement (the least movement consistent
with its two ends) is counted as distance, times `gap_route_circuity` (road networks make journeys
longer than the straight line; detour ratios of 1.1-1.4 are typical, 1.0 turns this off). No other
movement is ever imputed.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from careloop.pipeline import geo, localtime


@dataclass(frozen=True)
class MobilityParameters:
    """Hyperparameters of GPS mobility features, with the units in the names."""

    max_accuracy_m: float = 50.0
    epoch_s: int = 30
    moving_speed_mps: float = 0.5
    max_bridged_gap_s: int = 3600
    gap_displacement_floor_m: float = 50.0
    gap_route_circuity: float = 1.2
    home_radius_m: float = 50.0
    home_cell_m: float = 25.0
    night_start_hour: int = 19
    night_end_hour: int = 10
    min_home_evidence_h: float = 0.5
    place_radius_m: float = 50.0
    place_cell_m: float = 25.0
    significant_place_min_s: int = 15 * 60
    min_stop_s: int = 5 * 60


def trajectory_epochs(gps: pl.DataFrame, participants: pl.DataFrame, parameters: MobilityParameters) -> pl.DataFrame:
    """One row per participant-epoch with a usable fix: position, state, bridging and local day."""
    epochs = epoch_positions(clean_fixes(gps, parameters), parameters)
    epochs = with_steps(epochs, parameters)
    epochs = localtime.with_timezone(epochs, participants)
    return localtime.per_timezone(epochs, lambda part, zone: localtime.label_local(part, "epoch_start", zone))


def clean_fixes(gps: pl.DataFrame, parameters: MobilityParameters) -> pl.DataFrame:
    """Fixes with valid coordinates and good enough accuracy, in time order.

    Repeated fixes need no removal: each epoch averages its fixes, so a duplicated row changes nothing.
    """
    accurate = pl.col("accuracy_m").is_null() | (pl.col("accuracy_m") <= parameters.max_accuracy_m)
    valid = pl.col("latitude").is_between(-90.0, 90.0) & pl.col("longitude").is_finite()
    wrapped = (pl.col("longitude") + 180.0) % 360.0 - 180.0
    return (
        gps.select("participant_id", "time", "latitude", "longitude", "accuracy_m")
        .filter(valid & accurate)
        .with_columns(wrapped.alias("longitude"))
        .sort("participant_id", "time", "latitude", "longitude")
    )


def epoch_positions(fixes: pl.DataFrame, parameters: MobilityParameters) -> pl.DataFrame:
    """Mean position of the (time-ordered) fixes in each epoch."""
    return (
        fixes.group_by_dynamic("time", every=f"{parameters.epoch_s}s", group_by="participant_id")
        .agg(pl.col("latitude").mean(), pl.col("longitude").mean(), pl.len().cast(pl.Int32).alias("fix_count"))
        .rename({"time": "epoch_start"})
        .sort("participant_id", "epoch_start")
    )


def with_steps(epochs: pl.DataFrame, parameters: MobilityParameters) -> pl.DataFrame:
    """Add the step from the previous epoch, moving state, and the bridged seconds on each side."""
    by_participant = "participant_id"
    previous_gap_s = (pl.col("epoch_start") - pl.col("epoch_start").shift(1)).dt.total_seconds(fractional=True)
    step_m = geo.haversine_m(
        pl.col("latitude").shift(1), pl.col("longitude").shift(1), pl.col("latitude"), pl.col("longitude")
    )
    with_gap = epochs.with_columns(
        previous_gap_s.over(by_participant).alias("gap_before_s"), step_m.over(by_participant).alias("step_m")
    )
    observed_step = pl.col("gap_before_s") == parameters.epoch_s
    moving_step = observed_step & (pl.col("step_m") >= parameters.moving_speed_mps * parameters.epoch_s)
    return with_gap.with_columns(
        observed_step.fill_null(False).alias("observed_step"), moving_step.fill_null(False).alias("moving_step")
    ).with_columns(
        moving_state(),
        step_distance(parameters),
        bridged_half(parameters).alias("bridged_before_s"),
        bridged_half(parameters).shift(-1).over(by_participant).fill_null(0.0).alias("bridged_after_s"),
    )


def moving_state() -> pl.Expr:
    """An epoch is moving when the step into it or out of it is a moving step."""
    after = pl.col("moving_step").shift(-1).over("participant_id").fill_null(False)
    return (pl.col("moving_step") | after).alias("moving")


def step_distance(parameters: MobilityParameters) -> pl.Expr:
    """Metres travelled into the epoch: observed moving steps, or a gap's displacement above the noise floor."""
    gap_displacement = ~pl.col("observed_step") & (pl.col("step_m") >= parameters.gap_displacement_floor_m)
    return (
        pl.when(pl.col("moving_step"))
        .then(pl.col("step_m"))
        .when(gap_displacement)
        .then(pl.col("step_m") * parameters.gap_route_circuity)
        .otherwise(0.0)
        .alias("step_distance_m")
    )


def bridged_half(parameters: MobilityParameters) -> pl.Expr:
    """Half of a bridgeable gap before the epoch (seconds); zero for observed steps and long gaps."""
    unobserved_s = pl.col("gap_before_s") - parameters.epoch_s
    bridgeable = (unobserved_s > 0) & (pl.col("gap_before_s") <= parameters.max_bridged_gap_s)
    return pl.when(bridgeable).then(unobserved_s / 2).otherwise(0.0).fill_null(0.0)


def is_night(parameters: MobilityParameters) -> pl.Expr:
    """Local hours in which a stationary person is most likely at home."""
    hour = pl.col("local_hour")
    return (hour >= parameters.night_start_hour) | (hour < parameters.night_end_hour)
