"""The agent and channel lists as CSV: `?format=csv` on GET /api/v1/summaries/agents and
/summaries/channels, and the dashboard's download of its tables, both written here from the
serializer's output, so the two files are the same bytes for the same query.

Columns are the serializer's fields in order, a nested duration flattened to `<metric>_<figure>`
(first_response_p50_seconds, the names `ordering` takes); null is an empty cell.
"""

import csv
import io

from rest_framework import renderers, serializers


def columns(serializer_class) -> list[str]:
    names = []
    for name, field in serializer_class().fields.items():
        if isinstance(field, serializers.Serializer):
            names.extend(f"{name}_{figure}" for figure in field.fields)
        else:
            names.append(name)
    return names


def flat(row: dict) -> dict:
    cells = {}
    for name, value in row.items():
        if isinstance(value, dict):
            cells.update({f"{name}_{figure}": figure_value for figure, figure_value in value.items()})
        else:
            cells[name] = value
    return cells


def rows_csv(serializer_class, rows: list[dict]) -> str:
    """`rows` as serialized by `serializer_class` (many=True), one line each, with a header."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns(serializer_class), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(flat(row))
    return out.getvalue()


class FiguresCsvRenderer(renderers.BaseRenderer):
    """Every row of the list (no pagination) as CSV; chosen by `?format=csv` or `Accept: text/csv`."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        view = renderer_context["view"]
        return rows_csv(view.get_serializer_class(), data).encode()
