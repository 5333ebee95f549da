"""Facts written once: the schema reads channel defaults, channels and stages from the
models, so the scenario a user writes and the simulation it builds cannot disagree."""

import typing

from models.channels import CHANNELS, ChannelSpec
from models.stages import STAGES
from scenarios.build import channels as build_channels
from scenarios.schema import Base, Channel, Scenario
from tests.helpers import scenario


def test_every_channel_default_of_the_schema_is_the_channel_models():
    spec = ChannelSpec()
    assert set(Channel.model_fields) == set(spec.__dataclass_fields__)
    for name, field in Channel.model_fields.items():
        assert field.default == getattr(spec, name), name


def test_a_call_centre_with_seats_only_calls_sixty_a_seat_a_day():
    sc = scenario(channels={"call_centre": {"seats": 3}})
    assert build_channels(sc).specs["call_centre"].daily_capacity == 3 * 60.0


def test_channel_and_stage_lists_come_from_the_models():
    keys = typing.get_args(typing.get_args(Scenario.model_fields["channels"].annotation)[0])
    assert keys == CHANNELS
    history = typing.get_args(typing.get_args(Base.model_fields["history"].annotation)[0])
    assert history == tuple(s for s in STAGES if s != "won_back")
