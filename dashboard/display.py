"""How the dashboard writes a figure: counts with thousands separators, durations in the two
largest units, and the change against the previous period."""

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
