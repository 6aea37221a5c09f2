"""Daily mobility features on synthetic days whose true answers are known by construction."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import polars as pl
import pytest

from careloop.pipeline import mobility, schemas
from careloop.pipeline.places import home_locations
from careloop.pipeline.trajectory import MobilityParameters
from tests.pipeline import synthetic

DAY = dt.date(2024, 1, 8)
MIDNIGHT = dt.datetime.combine(DAY, dt.time(), tzinfo=dt.UTC)
LONDON = pl.DataFrame({"participant_id": ["p1"], "timezone": ["Europe/London"]})
WALK_S = round(2000 / 1.4)


def only_row(gps: pl.DataFrame, participants: pl.DataFrame = LONDON) -> dict[str, Any]:
    daily = mobility.daily_mobility(gps, participants)
    assert daily.height == 1
    return daily.row(0, named=True)


def test_commuter_day_matches_the_truth() -> None:
    day = only_row(synthetic.commuter_day("p1", DAY))
    assert day["distance_km"] == pytest.approx(4.0, rel=0.03)
    assert day["distance_bridged_km"] == 0.0
    assert day["time_at_home_h"] == pytest.approx(24 - 8 - 2 * WALK_S / 3600, abs=0.05)
    assert day["max_distance_from_home_km"] == pytest.approx(2.0, abs=0.02)
    assert day["significant_place_count"] == 2
    assert day["trip_count"] == 2
    assert day["moving_h"] == pytest.approx(2 * WALK_S / 3600, abs=0.05)
    assert day["observed_fraction"] == pytest.approx(1.0)


def test_entropy_of_two_places_follows_their_time_shares() -> None:
    day = only_row(synthetic.commuter_day("p1", DAY))
    work_share = 8 / (24 - 2 * WALK_S / 3600)
    expected = -(work_share * math.log(work_share) + (1 - work_share) * math.log(1 - work_share))
    assert day["location_entropy"] == pytest.approx(expected, abs=0.01)


def test_jitter_while_staying_put_is_not_travel() -> None:
    gps = synthetic.track("p1", MIDNIGHT, [synthetic.Leg(86400, synthetic.HOME)], jitter_m=8.0)
    day = only_row(gps)
    assert day["distance_km"] < 0.05
    assert day["trip_count"] == 0
    assert day["radius_of_gyration_km"] < 0.01


def test_inaccurate_fixes_are_ignored() -> None:
    gps = synthetic.commuter_day("p1", DAY)
    far = synthetic.east_of(synthetic.HOME, 30_000)
    wild = [("p1", MIDNIGHT + dt.timedelta(hours=3, seconds=s), far[0], far[1], 0.0, 900.0) for s in range(60)]
    day = only_row(pl.concat([gps, synthetic.frame(wild)]))
    assert day["max_distance_from_home_km"] == pytest.approx(2.0, abs=0.02)
    assert day["distance_km"] == pytest.approx(4.0, rel=0.03)


def test_duty_cycled_stay_is_bridged_but_reported_as_unobserved() -> None:
    gps = synthetic.track("p1", MIDNIGHT, [synthetic.Leg(86400, synthetic.HOME)], every_s=1)
    day = only_row(synthetic.keep_duty_cycle(gps, on_s=60, cycle_s=660))
    assert day["observed_fraction"] == pytest.approx(60 / 660, abs=0.01)
    assert day["time_at_home_observed_h"] == pytest.approx(day["observed_h"])
    assert day["time_at_home_h"] == pytest.approx(24.0, abs=0.2)
    assert day["distance_km"] == 0.0


def test_long_gaps_are_not_bridged_and_missing_days_are_reported_empty() -> None:
    morning = synthetic.track("p1", MIDNIGHT, [synthetic.Leg(2 * 3600, synthetic.HOME)], every_s=30)
    later = synthetic.track("p1", MIDNIGHT + dt.timedelta(days=2), [synthetic.Leg(3600, synthetic.HOME)], every_s=30)
    daily = mobility.daily_mobility(pl.concat([morning, later]), LONDON)
    assert daily["local_date"].to_list() == [DAY, DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=2)]
    assert daily["bridged_h"].to_list() == pytest.approx([0.0, 0.0, 0.0], abs=0.01)
    empty = daily.row(1, named=True)
    assert empty["observed_h"] == 0.0
    assert empty["distance_km"] is None
    assert empty["time_at_home_h"] is None


def test_a_journey_inside_a_gap_counts_its_displacement_times_the_circuity() -> None:
    there = synthetic.east_of(synthetic.HOME, 3000)
    gps = synthetic.track(
        "p1", MIDNIGHT, [synthetic.Leg(9 * 3600, synthetic.HOME), synthetic.Leg(3600, there)], every_s=30
    )
    gap = gps.filter(
        ~pl.col("time").is_between(
            MIDNIGHT + dt.timedelta(hours=8, minutes=50), MIDNIGHT + dt.timedelta(hours=9, minutes=10)
        )
    )
    parameters = MobilityParameters()
    day = mobility.daily_mobility(gap, LONDON, parameters).row(0, named=True)
    assert day["distance_bridged_km"] == pytest.approx(3.0 * parameters.gap_route_circuity, rel=0.01)
    assert day["trip_count"] == 1


def test_days_are_the_participants_local_days() -> None:
    new_york = pl.DataFrame({"participant_id": ["p1"], "timezone": ["America/New_York"]})
    # 2024-03-10 is 23 hours long in New York (clocks spring forward).
    start = dt.datetime(2024, 3, 10, 5, tzinfo=dt.UTC)
    gps = synthetic.track("p1", start, [synthetic.Leg(23 * 3600, synthetic.HOME)], every_s=30)
    day = only_row(gps, new_york)
    assert day["local_date"] == dt.date(2024, 3, 10)
    assert day["day_length_h"] == 23.0
    assert day["observed_fraction"] == pytest.approx(1.0)
    assert day["time_at_home_h"] == pytest.approx(23.0, abs=0.02)


def test_output_conforms_to_the_schema() -> None:
    daily = mobility.daily_mobility(synthetic.commuter_day("p1", DAY), LONDON)
    assert schemas.conform(daily, schemas.DAILY_MOBILITY).schema == schemas.DAILY_MOBILITY


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="Mars/Olympus"):
        mobility.daily_mobility(
            synthetic.commuter_day("p1", DAY), pl.DataFrame({"participant_id": ["p1"], "timezone": ["Mars/Olympus"]})
        )


def test_home_is_where_the_nights_are_spent() -> None:
    homes = home_locations(synthetic.commuter_day("p1", DAY), LONDON)
    home = homes.row(0, named=True)
    assert home["home_latitude"] == pytest.approx(synthetic.HOME[0], abs=1e-4)
    assert home["home_longitude"] == pytest.approx(synthetic.HOME[1], abs=1e-4)
    assert schemas.conform(homes, schemas.HOME_LOCATIONS).schema == schemas.HOME_LOCATIONS


def test_no_night_data_means_no_home_and_no_home_features() -> None:
    noon = MIDNIGHT + dt.timedelta(hours=12)
    gps = synthetic.track("p1", noon, [synthetic.Leg(3 * 3600, synthetic.HOME)], every_s=30)
    day = only_row(gps)
    assert day["time_at_home_h"] is None
    assert day["max_distance_from_home_km"] is None
    assert day["observed_h"] == pytest.approx(3.0, abs=0.01)
