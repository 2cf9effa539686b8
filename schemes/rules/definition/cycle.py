"""The cycle: how time is cut into periods, which bound scopes and reminder anchors each model has, and
which date of the candidate each model counts from."""

from __future__ import annotations

from ..fields import Enum, Int, LocalText, Nullable, Obj, Text, frame, spec
from ..messages import Message, gettext_noop, problem

# Which bound scopes and reminder anchors each cycle model has: a window is a single period (the cycle),
# anniversary years have no enclosing cycle, and a fixed cycle has both yearly periods and the cycle.
SCOPES_BY_MODEL = {"anniversary": ("period",), "window": ("cycle",), "fixed_cycle": ("period", "cycle")}
ANCHORS_BY_MODEL = {
    "anniversary": ("period_end",),
    "window": ("cycle_end", "recertification_date"),
    "fixed_cycle": ("period_end", "cycle_end"),
}


@frame
class Renewal:
    """N consecutive compliant periods extend the certificate's expiry by M years."""

    consecutive_periods: int = spec(Int(1))
    extends_by_years: int = spec(Int(1))


@frame
class Cycle:
    """How time is cut into periods. See docs/rules-engine.md for the exact boundaries of each model."""

    model: str = spec(Enum(*SCOPES_BY_MODEL))
    years: int | None = spec(Nullable(Int(1)), default=None)
    period_label: LocalText | None = spec(Nullable(Text()), default=None)
    cycle_label: LocalText | None = spec(Nullable(Text()), default=None)
    renewal: Renewal | None = spec(Nullable(Obj(Renewal)), default=None)

    def problems(self) -> list[tuple[str, Message]]:
        scopes = SCOPES_BY_MODEL[self.model]
        problems = []
        if (self.years is None) == (self.model != "anniversary"):
            problems.append(("years", problem(
                gettext_noop("The %(model)s model needs a number of years.") if self.years is None
                else gettext_noop("The %(model)s model does not use a number of years."), model=self.model)))
        for scope, text in (("period", self.period_label), ("cycle", self.cycle_label)):
            if (text is None) == (scope in scopes):
                problems.append((f"{scope}_label", problem(
                    gettext_noop("The %(model)s model needs a %(scope)s label.") if text is None
                    else gettext_noop("The %(model)s model has no %(scope)s label."), model=self.model, scope=scope)))
        if self.renewal is not None and self.model != "anniversary":
            problems.append(
                ("renewal", problem(
                    gettext_noop("Only the anniversary model extends a certificate by consecutive periods.")
                ))
            )
        return problems

    @property
    def scope_label(self) -> LocalText | None:
        """The label of the scope a report's headline refers to: the CPD year (anniversary), else the cycle."""
        return self.period_label if self.model == "anniversary" else self.cycle_label
