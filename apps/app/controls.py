"""The inputs, generated from the state and from the scenario schema, each with the
place its messages appear."""

import panel as pn

from apps.app.fields import FieldSpec, groups
from apps.app.state import AppState
from scenarios.yaml_source import MAX_BYTES

# An upload reaches the server in chunks of this size, each one websocket message (a
# whole file in one message would drop the session's connection above the server's limit).
UPLOAD_CHUNK_BYTES = 2**20
# The browser checks a file's MIME type: Chromium on Linux calls YAML application/x-yaml.
YAML_TYPES = [".yaml", ".yml", "application/yaml", "application/x-yaml", "text/x-yaml"]
ALERT = dict(alert_type="danger", sizing_mode="stretch_width")


def message(state: AppState, name: str) -> pn.pane.Alert:
    """An alert beside an input that shows the state's message `name` while it has one."""
    alert = pn.pane.Alert(getattr(state, name), visible=bool(getattr(state, name)),
                          css_classes=[f"message-{name.replace('_', '-')}"], **ALERT)

    def show(event):
        alert.param.update(object=event.new, visible=bool(event.new))

    state.param.watch(show, name)
    return alert


def dropper(take, accepted: list[str], max_bytes: int, **params) -> pn.widgets.FileDropper:
    """A file input that refuses a file over `max_bytes` in the browser, before sending
    it, and sends one in chunks; `take(data, filename)` gets each file dropped, as bytes.
    Removing a file from the list leaves what it loaded."""
    w = pn.widgets.FileDropper(accepted_filetypes=accepted, max_file_size=str(max_bytes),
                               multiple=False, chunk_size=UPLOAD_CHUNK_BYTES, **params)
    held = {}             # `value` as last seen: removing a file leaves the others in it

    def arrived(event):
        for name, data in event.new.items():
            if held.get(name) is not data:
                take(data.encode("utf-8") if isinstance(data, str) else data, name)
        held.clear()
        held.update(event.new)

    w.param.watch(arrived, "value")
    return w


def widget(spec: FieldSpec, value):
    """The input for one schema field: its limits are the schema's, its tooltip the
    field's description (with the unit)."""
    common = dict(label=spec.label, sizing_mode="stretch_width")
    if spec.kind == "bool":
        w = pn.widgets.Checkbox(value=bool(value), **common)
    elif spec.kind == "int":
        w = pn.widgets.IntInput(value=int(value), start=spec.low, end=spec.high, **common)
    elif spec.low is not None and spec.high is not None:
        step = (spec.high - spec.low) / 100
        w = pn.widgets.EditableFloatSlider(value=float(value), start=spec.low,
                                           end=spec.high, step=step, **common)
    else:
        w = pn.widgets.FloatInput(value=float(value), start=spec.low, end=spec.high,
                                  **common)
    help_text = f"{spec.path}: {spec.help}" if spec.help else spec.path
    if "description" in w.param:
        w.description = help_text
    return pn.Column(w, pn.pane.Str(help_text, styles={"font-size": "11px", "color": "#666"},
                                    margin=(0, 10)), sizing_mode="stretch_width") \
        if "description" not in w.param else w


def parameter_cards(state: AppState) -> list:
    """One card per domain group; editing a field sets an override on the baseline."""
    try:
        scenario = state.scenario_file().scenario
    except Exception:   # an unreadable scenario has its message beside the upload
        return []
    cards = []
    for title, specs in groups(scenario):
        widgets = []
        for spec in specs:
            shown = widget(spec, state.overrides.get(spec.path, spec.value))
            w = shown[0] if isinstance(shown, pn.Column) else shown
            w.param.watch(lambda e, s=spec: _edit(state, s, e.new), "value_throttled"
                          if "value_throttled" in w.param else "value")
            w.css_classes = ["field-" + spec.path.replace(".", "-")]
            widgets.append(shown)
        if widgets:
            cards.append(pn.Card(*widgets, title=title, collapsed=True,
                                 sizing_mode="stretch_width"))
    return cards


def _edit(state: AppState, spec: FieldSpec, value) -> None:
    overrides = dict(state.overrides)
    if value == spec.value:
        overrides.pop(spec.path, None)
    else:
        overrides[spec.path] = value
    state.overrides = overrides


def sidebar(state: AppState) -> list:
    """Scenario, strategies, run settings and the edited parameters, top to bottom."""
    upload = dropper(state.upload, YAML_TYPES, MAX_BYTES, label="upload a scenario (YAML)",
                     css_classes=["upload"], sizing_mode="stretch_width")
    strategies = pn.widgets.MultiChoice.from_param(state.param.strategies, label="strategies",
                                                   css_classes=["strategies"])
    custom = pn.widgets.TextAreaInput.from_param(
        state.param.custom_strategy, label="your own strategy (dotted.path: value per line)",
        placeholder="levers.premature_churn_multiplier: 0.8", height=80,
        css_classes=["custom-strategy"])
    settings = [pn.widgets.IntInput.from_param(state.param.customers, css_classes=["customers"]),
                pn.widgets.FloatInput.from_param(state.param.years, step=0.5),
                pn.widgets.IntInput.from_param(state.param.reps, label="replications"),
                pn.widgets.IntInput.from_param(state.param.seed, css_classes=["seed"]),
                pn.widgets.Checkbox.from_param(state.param.by_mechanic,
                                               label="split by mechanic (one run more per "
                                               "mechanic)")]
    params = pn.Column(*parameter_cards(state), sizing_mode="stretch_width")
    state.param.watch(lambda e: params.__setattr__("objects", parameter_cards(state)),
                      "preset")
    return [pn.widgets.Select.from_param(state.param.preset, label="scenario",
                                         css_classes=["preset"]),
            upload, message(state, "upload_error"),
            strategies, custom, message(state, "strategy_error"),
            *settings, "#### Parameters", message(state, "parameter_error"), params]
