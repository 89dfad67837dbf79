"""The plain records the build reads mirror the pydantic models that validate them."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import pydantic
import pytest

from rivals import records, schema
from rivals.build import load_and_validate

REPO = Path(__file__).resolve().parents[1]
MODELS = [
    value
    for value in vars(schema).values()
    if isinstance(value, type)
    and issubclass(value, pydantic.BaseModel)
    and value.__module__ == schema.__name__
    and value not in (schema.Record, schema.Defaults)  # bases, with no record of their own
]


def test_every_model_has_a_record_with_its_fields_in_order() -> None:
    assert len(MODELS) >= 12
    for model in MODELS:
        record = getattr(records, model.__name__)
        assert issubclass(record, tuple), model.__name__  # a NamedTuple
        assert list(record._fields) == list(model.model_fields), model.__name__


@pytest.mark.parametrize("kind", [list, dict, tuple])
def test_to_record_copies_models_inside_containers(kind: type) -> None:
    claim = schema.CapabilityClaim(id="chat", summary="Talks.")
    made = {list: [claim], dict: {"k": claim}, tuple: (claim,)}[kind]
    copied = schema.to_record(made)
    assert type(copied) is kind
    inner = next(iter(copied.values())) if kind is dict else copied[0]
    assert inner == records.CapabilityClaim("chat", "Talks.", None, None)


def test_the_default_catalog_becomes_records_all_the_way_down() -> None:
    catalog = load_and_validate(REPO / "data")
    assert type(catalog) is records.Catalog
    seen: list[object] = []

    def walk(value: object) -> None:
        assert not isinstance(value, pydantic.BaseModel), type(value)
        if dataclasses.is_dataclass(value):  # the Catalog
            for f in dataclasses.fields(value):
                walk(getattr(value, f.name))
        elif hasattr(value, "_fields"):  # a record
            seen.append(value)
            for name in value._fields:
                walk(getattr(value, name))
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    walk(catalog)
    assert len(seen) > 100
    entry = next(iter(catalog.entries.values()))
    assert entry.pricing.has_free_tier in (True, False)
    # A record survives pickling (how a child hands the catalog to the build) unchanged.
    assert pickle.loads(pickle.dumps(catalog)) == catalog
