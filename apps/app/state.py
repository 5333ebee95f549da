"""What the person on the page has chosen: the scenario, its edits, the strategies and
the run settings. Plain `param` state: widgets are views of it, the URL mirrors it, and
`request()` turns it into a validated `RunRequest` or a message for the right input."""

import param
import yaml

from apps.app.request import RunRequest
from scenarios.errors import InputError
from scenarios.loader import preset_names, read_text
from scenarios.yaml_source import MAX_BYTES

DEFAULT_PRESET = "baby_food"
DEFAULT_STRATEGIES = {"baby_food": ["baseline", "retention_plus", "loyalty_programme",
                                    "crm_programme"]}
MAX_STRATEGIES_BY_DEFAULT = 4
UPLOAD = "(uploaded file)"
CUSTOM = "custom"


class AppState(param.Parameterized):
    preset = param.Selector(default=DEFAULT_PRESET, objects=[*preset_names(), UPLOAD],
                            doc="built-in scenario (or the uploaded file)")
    strategies = param.ListSelector(default=[], objects=[], doc="strategies compared "
                                    "(the baseline is always included)")
    customers = param.Integer(20_000, bounds=(100, 5_000_000), doc="customers on day 0 "
                              "(the daily inflow scales with it)")
    years = param.Number(3.0, bounds=(1 / 12, 10), doc="years simulated (365 days each)")
    reps = param.Integer(5, bounds=(1, 50), doc="replications per strategy")
    seed = param.Integer(42, bounds=(0, 2**31), doc="random seed: same seed, same results")
    overrides = param.Dict(default={}, doc="edited parameters: dotted path -> value")
    custom_strategy = param.String("", doc="overrides of a strategy of your own, as YAML "
                                   "lines `dotted.path: value`")
    by_mechanic = param.Boolean(False, doc="split each strategy's effect by mechanic")
    upload_error = param.String("")
    parameter_error = param.String("")
    strategy_error = param.String("")

    def __init__(self, **params):
        super().__init__(**params)
        self._upload: tuple[str, str] | None = None
        self._on_preset()

    @param.depends("preset", watch=True)
    def _on_preset(self) -> None:
        """A new scenario: its strategies become the choice, earlier edits are dropped."""
        if self.preset == UPLOAD and self._upload is None:
            return
        try:
            names = self.scenario_file().strategy_names
        except InputError as e:
            self.upload_error = e.message
            return
        default = DEFAULT_STRATEGIES.get(self.preset, names[:MAX_STRATEGIES_BY_DEFAULT])
        chosen = [s for s in self.strategies if s in names] if self.strategies else []
        self.param.strategies.objects = names
        self.param.update(overrides={},
                          strategies=chosen or [s for s in default if s in names])

    def text(self) -> tuple[str, str]:
        """(YAML text, label) of the chosen scenario."""
        if self.preset == UPLOAD and self._upload is not None:
            return self._upload
        return read_text(self.preset)

    def scenario_file(self):
        from scenarios.loader import ScenarioFile

        return ScenarioFile.from_text(*self.text())

    def upload(self, data: bytes, filename: str) -> bool:
        """Take an uploaded scenario if it is valid; otherwise show why and keep the
        scenario (and the results) there were."""
        from scenarios.loader import ScenarioFile

        if len(data) > MAX_BYTES:       # the CLI's limit for a file
            self.upload_error = (f"{filename}: the scenario is {len(data):,} bytes; at most "
                                 f"{MAX_BYTES // 1024} KiB is allowed")
            return False
        try:
            text = data.decode("utf-8")
            ScenarioFile.from_text(text, filename)
        except UnicodeDecodeError as e:
            self.upload_error = (f"{filename}: cannot read the file: it is not UTF-8 text "
                                 f"(byte {e.object[e.start]:#04x} at offset {e.start})")
            return False
        except InputError as e:
            self.upload_error = e.message
            return False
        self._upload, self.upload_error = (text, filename), ""
        if self.preset == UPLOAD:
            self._on_preset()
        else:
            self.preset = UPLOAD
        return True

    def request(self) -> RunRequest | None:
        """The validated request, or None with the CLI's message beside the input at
        fault (the upload, the edited parameters or the strategies)."""
        text, label = self.text()
        try:
            text, label = self._with_custom(text, label)
        except InputError as e:
            self.strategy_error = e.message
            return None
        names = [*self.strategies, *([CUSTOM] if self.custom_strategy.strip() else [])]
        request = RunRequest(text, label, self.customers, max(1, round(self.years * 365)),
                             self.reps, self.seed, tuple(names) or ("baseline",),
                             tuple(sorted(self.overrides.items())), self.by_mechanic)
        try:
            request.scenario_file()
        except InputError as e:
            self.parameter_error = e.message
            return None
        self.parameter_error = ""
        try:
            request.prepare()
        except InputError as e:
            self.strategy_error = e.message
            return None
        self.strategy_error = ""
        return request

    def _with_custom(self, text: str, label: str) -> tuple[str, str]:
        """The scenario text with the custom strategy added (if one is written)."""
        if not self.custom_strategy.strip():
            return text, label
        where = "custom strategy"
        try:
            overrides = yaml.safe_load(self.custom_strategy)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            line = f":{mark.line + 1}" if mark else ""
            raise InputError(f"{where}{line}: YAML syntax error: "
                             f"{getattr(e, 'problem', None) or e}") from None
        if not isinstance(overrides, dict) or not overrides:
            raise InputError(f"{where}: write one `dotted.path: value` per line, e.g. "
                             "levers.premature_churn_multiplier: 0.8")
        data = yaml.safe_load(text)
        data.setdefault("strategies", {"baseline": {}})[CUSTOM] = {
            "description": "edited in the app", "overrides": overrides}
        return yaml.safe_dump(data, sort_keys=False), f"{label} + {where}"
