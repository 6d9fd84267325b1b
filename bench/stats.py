"""Figures (median of several runs, with min and max) and the table of them."""

import statistics
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Figure:
    """The median, min and max of repeated measurements of one quantity."""

    median: float
    low: float
    high: float
    unit: str
    runs: int

    @classmethod
    def of(cls, values, unit):
        values = [float(value) for value in values]
        return cls(
            statistics.median(values), min(values), max(values), unit, len(values)
        )

    def __str__(self):
        if self.runs == 1:
            return f"{_number(self.median)} {self.unit}"
        return (
            f"{_number(self.median)} {self.unit} "
            f"[{_number(self.low)}..{_number(self.high)}] n={self.runs}"
        )


def _number(value):
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def ratio(measured, reference):
    """Return measured/reference of two medians, or None if either is missing."""
    if not isinstance(measured, Figure) or not isinstance(reference, Figure):
        return None
    if reference.median == 0:
        return None
    return measured.median / reference.median


@dataclass
class Row:
    """One line of the table: a figure, its reference, and the target."""

    name: str
    measured: object
    reference: object = ""
    ratio: float | None = None
    target: str = ""
    met: bool | None = None

    def cells(self):
        verdict = {True: "met", False: "MISSED", None: ""}[self.met]
        shown_ratio = "" if self.ratio is None else f"{self.ratio:.2f}x"
        return [
            self.name,
            str(self.measured),
            str(self.reference),
            shown_ratio,
            self.target,
            verdict,
        ]


@dataclass
class Section:
    """A titled group of rows, with notes printed under its table."""

    title: str
    rows: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def add(self, *args, **kwargs):
        row = Row(*args, **kwargs)
        self.rows.append(row)
        return row


HEADER = ["figure", "measured", "reference", "ratio", "target", ""]


def render(sections, preamble):
    """Return the whole report as Markdown."""
    lines = list(preamble)
    for section in sections:
        lines += ["", f"### {section.title}", ""]
        lines.append("| " + " | ".join(HEADER) + " |")
        lines.append("|" + "---|" * len(HEADER))
        for row in section.rows:
            cells = [cell.replace("|", "/") for cell in row.cells()]
            lines.append("| " + " | ".join(cells) + " |")
        if section.notes:
            lines.append("")
            lines += [f"- {note}" for note in section.notes]
    return "\n".join(lines) + "\n"
