"""Scale a scenario to another base size: every field marked as "per base.customers".

`--customers` changes the size of the business, so its inflows and fixed budgets must
change with it, or the economics would not be the same business at another scale.
Fields opt in with `json_schema_extra={"scales_with_customers": True}`; adding such a
field anywhere (a mechanic's budget, say) needs no change here.
"""

from pydantic import BaseModel


def _scale(model: BaseModel, data: dict, factor: float) -> None:
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        extra = field.json_schema_extra
        if isinstance(extra, dict) and extra.get("scales_with_customers") and value is not None:
            data[name] = round(value * factor) if isinstance(value, int) else value * factor
        elif isinstance(value, BaseModel):
            _scale(value, data[name], factor)
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, BaseModel):
                    _scale(item, data[name][key], factor)


def scale_customers(scenario, customers: int):
    """The scenario with `customers` on day 0 and every marked field scaled with it."""
    factor = customers / scenario.base.customers
    data = scenario.model_dump()
    _scale(scenario, data, factor)
    data["base"]["customers"] = customers
    return type(scenario).model_validate(data)
