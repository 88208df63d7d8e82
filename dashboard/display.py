"""How the dashboard writes a figure: counts with thousands separators, durations in the two
largest units, shares as percentages, and the change against the previous period."""

from decimal import Decimal

MISSING = "–"


def count(value) -> str:
    return MISSING if value is None else f"{int(value):,}"


def duration(seconds) -> str:
    """4m 10s, 2h 5m, 3d 4h; under a minute 42s (or 0.4s)."""
    if seconds is None:
        return MISSING
    seconds = float(seconds)
    if seconds < 10:
        return f"{seconds:.1f}s".replace(".0s", "s")
    whole = round(seconds)
    for unit, size, smaller, smaller_size in (("d", 86400, "h", 3600), ("h", 3600, "m", 60), ("m", 60, "s", 1)):
        if whole >= size:
            return f"{whole // size}{unit} {whole % size // smaller_size}{smaller}"
    return f"{whole}s"


def share(value) -> str:
    """A fraction as a percentage: 0.5 -> 50%, 0.8333 -> 83.3%."""
    if value is None:
        return MISSING
    return f"{float(value) * 100:.1f}%".replace(".0%", "%")


def share_change(current, previous) -> dict:
    """The change of a share in percentage points (a relative change of a percentage reads wrong:
    50% -> 75% is +25 pts, not +50%); higher is better."""
    if current is None or previous is None:
        return {"text": "no previous figure" if previous is None else MISSING, "direction": "none", "good": None}
    points = (Decimal(str(current)) - Decimal(str(previous))) * 100
    if abs(points) < Decimal("0.05"):
        return {"text": "±0 pts", "direction": "flat", "good": None}
    direction = "up" if points > 0 else "down"
    return {"text": f"{points:+.1f} pts".replace(".0 pts", " pts"), "direction": direction, "good": points > 0}


def change(current, previous, *, lower_is_better: bool = False) -> dict:
    """{text, direction: up/down/flat/none, good: True/False/None} of current against previous."""
    if current is None or previous is None:
        return {"text": "no previous figure" if previous is None else MISSING, "direction": "none", "good": None}
    current, previous = Decimal(str(current)), Decimal(str(previous))
    if previous == 0:
        if current == 0:
            return {"text": "±0", "direction": "flat", "good": None}
        return {"text": "new", "direction": "up", "good": not lower_is_better}
    percent = (current - previous) / previous * 100
    if abs(percent) < Decimal("0.05"):
        return {"text": "±0%", "direction": "flat", "good": None}
    direction = "up" if percent > 0 else "down"
    return {"text": f"{percent:+.1f}%", "direction": direction, "good": (direction == "down") == lower_is_better}
