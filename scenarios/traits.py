"""Schema of a customer trait: a plain number or a distribution, with its unit.

Every trait accepts a plain number (the same for every customer, so closed forms can
be checked exactly) or one of the distributions of the buy-till-you-die literature.
"""

from typing import Annotated, Union

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, model_validator

from models.bounds import MAX_MONEY
from models import traits


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class GammaParams(_Strict):
    shape: PositiveFloat = Field(description="shape r (dimensionless)")
    rate: PositiveFloat = Field(description="rate alpha (in the trait's time unit: days)")


class GammaTrait(_Strict):
    """Gamma(shape, rate): mean shape/rate."""

    gamma: GammaParams

    def encode(self):
        return traits.encode(traits.GAMMA, self.gamma.shape, self.gamma.rate)


class BetaParams(_Strict):
    a: PositiveFloat = Field(description="Beta a (dimensionless)")
    b: PositiveFloat = Field(description="Beta b (dimensionless)")


class BetaTrait(_Strict):
    """Beta(a, b): mean a/(a+b)."""

    beta: BetaParams

    def encode(self):
        return traits.encode(traits.BETA, self.beta.a, self.beta.b)


class UniformTrait(_Strict):
    """Uniform between two bounds."""

    uniform: tuple[float, float] = Field(description="[low, high], low < high, low >= 0")

    @model_validator(mode="after")
    def _ordered(self):
        lo, hi = self.uniform
        if not 0 <= lo < hi:
            raise ValueError(f"uniform needs 0 <= low < high (got [{lo}, {hi}])")
        return self

    def encode(self):
        return traits.encode(traits.UNIFORM, *self.uniform)


class GammaGammaParams(_Strict):
    p: PositiveFloat = Field(description="shape of the spend of one order (dimensionless)")
    q: float = Field(gt=1, description="shape of the customer's spend rate nu (> 1)")
    gamma: PositiveFloat = Field(le=MAX_MONEY, description="rate of nu (currency)")


class GammaGammaSpend(_Strict):
    """Gamma-Gamma spend (Fader, Hardie & Lee 2005): mean order value p*gamma/(q-1)."""

    gamma_gamma: GammaGammaParams

    def mean(self) -> float:
        g = self.gamma_gamma
        return g.p * g.gamma / (g.q - 1)


def encode_number(value: float):
    return traits.encode(traits.CONSTANT, float(value))


Rate = Annotated[Union[Annotated[float, Field(ge=0)], GammaTrait], Field(
    description="purchases per day: a number, or {gamma: {shape, rate}} (rate in days)")]
Probability = Annotated[Union[Annotated[float, Field(ge=0, le=1)], BetaTrait], Field(
    description="probability (0-1): a number, or {beta: {a, b}}")]
Days = Annotated[Union[Annotated[float, Field(gt=0)], GammaTrait, UniformTrait], Field(
    description="days: a number, {gamma: {shape, rate}} or {uniform: [low, high]}")]
Spend = Annotated[Union[Annotated[float, Field(gt=0, le=MAX_MONEY)], GammaGammaSpend], Field(
    description="currency per order: a fixed check, or {gamma_gamma: {p, q, gamma}}")]


def encode(trait) -> "traits.np.ndarray":
    """The kernel encoding of any trait value accepted by the schema."""
    if isinstance(trait, (int, float)):
        return encode_number(trait)
    return trait.encode()
