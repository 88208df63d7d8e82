"""The dashboard's pages, rendered on the server. Every figure comes from the selectors the API's
read endpoints call (analytics.summaries, analytics.heatmap) with the same parsed parameters
(analytics.params), so a page and the endpoint with the same query string show the same numbers.

The filters live in the query string (from, to, tz, channel, agent, and per page metric,
granularity, ordering, customer): a link shows the same view. An empty form field is dropped by
a redirect to the URL without it, since the API's parsers refuse empty values.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import cache, partial
from html import escape
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.views import View
from rest_framework.exceptions import ValidationError

from analytics import heatmap, params, settling, summaries
from analytics.catalogue.selectors import catalogue_entries
from analytics.figures_csv import rows_csv
from analytics.summary_serializers import (
    AgentSummarySerializer,
    ChannelSummarySerializer,
    LabelSummarySerializer,
    TeamSummarySerializer,
)
from core.auth import token_create
from core.exceptions import flatten_errors
from core.pagination import positive_int
from dashboard import charts, display, selectors

FILTERS = ("from", "to", "tz", "channel", "agent", "business_hours")
RANGES = (("Today", 1), ("7 days", 7), ("30 days", 30), ("90 days", 90))
COUNT_CARDS = (
    ("conversations_created", "Conversations created"),
    ("resolutions", "Resolutions"),
    ("agent_replies", "Agent replies"),
)
DURATION_CARDS = (
    ("first_response", "First response time", "conversations"),
    ("resolution", "Resolution time", "conversations"),
    ("reply_time", "Reply time", "replies"),
)
DURATION_FIGURES = (("avg_seconds", "avg"), ("p50_seconds", "p50"), ("p90_seconds", "p90"))
CSAT_CARD_FIGURES = (("satisfied_share", "satisfied (4-5)"), ("response_rate", "rated / resolved"))
LIVE_TILES = (("open_now", "Open"), ("unassigned_now", "Unassigned"), ("unanswered_now", "Unanswered"))
SLA_TILES = (("breaching_within_hour_now", "Breaching within 1 h"), ("overdue_now", "Overdue"))
"""Live SLA tiles, shown when the workspace has an SLA policy: pending targets due within the next
hour, and those already past due (conversation_due)."""
SLA_CARD_FIGURES = (
    ("first_response", "first response breaches"),
    ("resolution", "resolution breaches"),
)
CHART_METRICS = {
    "conversations_created": "Conversations created",
    "conversations_assigned": "Conversations assigned",
    "agent_replies": "Agent replies",
    "customer_replies": "Customer replies",
    "resolutions": "Resolutions",
    "reopens": "Reopens",
    "avg_first_response_seconds": "Average first response time",
    "avg_resolution_seconds": "Average resolution time",
    "reply_count": "Customer messages answered",
    "avg_reply_seconds": "Average reply time",
    "csat_ratings": "CSAT ratings",
    "csat_satisfied_share": "CSAT satisfied share",
}
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
TABLE_ROWS = 100
"""Rows of an agents or channels table per page: 100 rows of every figure stay far under the
page weight limit (300 KB) whatever the size of the desk; the CSV has every row."""
CATALOGUE_ROWS = 100
NESTED_GROUPS = (*summaries.DURATIONS, summaries.REPLY_TIME, "csat", "sla")
"""The figures an agent or channel row nests ({"first_response": {"avg_seconds": ..}})."""


# Long lists are written here rather than by template loops: a table of 200 agents x 22 figures
# took about 80 ms of template rendering per page on this machine.


@cache
def zone_options() -> str:
    return format_html_join("", '<option value="{}">', ((zone,) for zone in sorted(params.known_timezones())))


def choice_options(choices: list[dict], selected: str | None) -> str:
    """<option>s of the agents or channels (every page has both lists): escaped once each, as in table_body."""
    return mark_safe(
        "".join(
            f'<option value="{escape(choice["id"])}"{" selected" if choice["id"] == selected else ""}>'
            f"{escape(choice['label'])}</option>"
            for choice in choices
        )
    )


def table_body(rows: list[dict], columns: list["Column"]) -> str:
    """The rows of an agents or channels table. A cell's column is its header's (th
    a[data-column]); data-value is the figure as the API's JSON has it, shown as display writes it.
    Written as plain strings in one pass, only the text columns escaped (a figure is a number, and
    display's text of it needs no escaping): format_html per cell took longer than the agent list's
    query for 200 agents, and a dict per cell with every value escaped 6.5 ms for 100 (now 4 ms)."""
    return mark_safe("".join("<tr>" + "".join(column.cell(row) for column in columns) + "</tr>" for row in rows))


@dataclass(frozen=True)
class Column:
    """A column of an agents or channels table: where its figure is in a serialized row (`group`
    for a nested figure: row[group][key]) and how it is shown."""

    group: str | None
    key: str
    show: Callable[[object], str]
    text: bool

    def cell(self, row: dict) -> str:
        value = row[self.group][self.key] if self.group else row.get(self.key)
        if self.text:
            shown = escape(self.show(value))
            return f'<td data-value="{"" if value is None else escape(str(value))}">{shown}</td>'
        return f'<td data-value="{"" if value is None else value}">{self.show(value)}</td>'


def redirect_without(request, dropped) -> HttpResponse:
    """A redirect to this page's URL without the query parameters for which dropped(name, value) is true."""
    kept = [(name, value) for name, value in request.GET.items() if not dropped(name, value)]
    return redirect(f"{request.path}?{urlencode(kept)}" if kept else request.path)


def html_page(response: HttpResponse) -> HttpResponse:
    """Marks a page that core.exceptions.JsonErrorsMiddleware must leave as HTML (a 400 or 404 of
    the dashboard is a page for a person, not the API's JSON)."""
    response.html_page = True
    return response


class LoginView(auth_views.LoginView):
    template_name = "dashboard/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


class HomeView(LoginRequiredMixin, View):
    """The first of the user's workspaces, or a page saying they have none."""

    def get(self, request):
        workspaces = selectors.page_frame(user=request.user, slug=None).workspaces
        if workspaces:
            return redirect("dashboard:overview", slug=workspaces[0].slug)
        return render(request, "dashboard/no_workspace.html", {"workspaces": []})


class WorkspacePage(LoginRequiredMixin, View):
    """A page of one workspace the user is a member of (404 otherwise). Subclasses compute their
    context in figures(query); a ValidationError from a parser is shown on the page as a 400."""

    template_name: str
    page: str
    extra_parameters: tuple[str, ...] = ()
    dimensionless = False
    """True for a page whose figures have no channel or agent: the filter form leaves them out."""
    filter_form_shown = True
    """False for a view without the filter form (no channel and agent choices to read)."""
    needs_has_events = False
    """True for a page with an empty state (whether the workspace has any event is read)."""
    business_hours_shown = False
    """True for a page whose durations business_hours=true switches to business time: the filter
    form offers the switch and the page reads it."""
    needs_has_sla = False
    """True for a page that shows SLA figures only when the workspace has an SLA policy."""

    def dispatch(self, request, *args, slug, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        # One query for the page's workspace, the switcher's list, the filter choices and whether
        # the workspace has events. Not a member: the same 404 as for no such workspace, so a
        # workspace's existence does not show.
        self.frame = selectors.page_frame(
            user=request.user,
            slug=slug,
            choices=self.filter_form_shown and not self.dimensionless,
            events=self.needs_has_events,
            sla=self.needs_has_sla,
        )
        self.workspace = self.frame.workspace
        if self.workspace is None:
            context = {"workspaces": self.frame.workspaces}
            return html_page(render(request, "dashboard/not_found.html", context, status=404))
        # Every event acknowledged before the page is in its figures (analytics/settling.py); a settle
        # that moved events may have given the workspace its first.
        if settling.settle_for_read(self.workspace.pk) and self.needs_has_events and not self.frame.has_events:
            self.frame = selectors.page_frame(
                user=request.user,
                slug=slug,
                choices=self.filter_form_shown and not self.dimensionless,
                events=True,
                sla=self.needs_has_sla,
            )
        if request.method == "GET" and any(value == "" for value in request.GET.values()):
            return redirect_without(request, lambda name, value: value == "")
        return super().dispatch(request, *args, **kwargs)

    def figures(self, query) -> dict | HttpResponse:
        raise NotImplementedError

    def get(self, request, **kwargs):
        try:
            context = self.figures(request.GET)
        except ValidationError as error:
            context, status = {"errors": list(flatten_errors(error.detail))}, 400
        else:
            if isinstance(context, HttpResponse):
                return context
            status = 200
        return self.page_response(context, status=status)

    def page_response(self, context: dict, *, status: int = 200) -> HttpResponse:
        query = self.request.GET
        kept = [(name, query[name]) for name in FILTERS if name in query]
        context = {
            "workspace": self.workspace,
            "workspaces": self.frame.workspaces,
            "page": self.page,
            "filter_query": urlencode(kept),
            "filter_items": kept,
            "form": self.filter_form(context.get("window")),
            **context,
        }
        return html_page(render(self.request, self.template_name, context, status=status))

    def filter_form(self, window) -> dict:
        query, workspace = self.request.GET, self.workspace
        tz = window.tz if window is not None else None
        choices = self.frame.choices
        form = {
            "from": query.get("from") or (window.start.astimezone(tz).date().isoformat() if window else ""),
            "to": query.get("to") or (window.end.astimezone(tz).date().isoformat() if window else ""),
            "tz": query.get("tz") or workspace.timezone,
            "channels": choice_options(choices["channel"], query.get("channel")),
            "agents": choice_options(choices["agent"], query.get("agent")),
            "zones": zone_options(),
            "extra": [(name, query[name]) for name in self.extra_parameters if name in query],
            "dimensionless": self.dimensionless,
            "business_hours_shown": self.business_hours_shown,
            "business_hours": window is not None and window.business_hours,
        }
        if tz is not None:
            today = timezone.now().astimezone(tz).date()
            kept = ("tz", "channel", "agent", "business_hours", *self.extra_parameters)
            others = [(name, query[name]) for name in kept if name in query]
            form["ranges"] = [
                (
                    label,
                    urlencode(
                        [
                            ("from", (today - timedelta(days=days - 1)).isoformat()),
                            ("to", (today + timedelta(days=1)).isoformat()),
                            *others,
                        ]
                    ),
                )
                for label, days in RANGES
            ]
        return form


def figure_card(key: str, label: str, value, before, *, show, change) -> dict:
    return {
        "key": key,
        "label": label,
        "value": "" if value is None else float(value),
        "shown": show(value),
        "previous": show(before),
        "change": change(value, before),
    }


def with_changes(current: dict, previous: dict, *, business_hours: bool = False, sla: bool = False) -> dict:
    """The overview's cards: counts, durations (first response and resolution in business time
    with `business_hours`; reply time is always calendar time), CSAT and, with `sla`, the SLA
    breaches, each against the previous period."""
    cards = []
    for key, label in COUNT_CARDS:
        cards.append(
            {
                "key": key,
                "label": label,
                "value": current[key],
                "shown": display.count(current[key]),
                "previous": display.count(previous[key]),
                "change": display.change(current[key], previous[key]),
            }
        )
    groups = []
    for metric, label, unit in DURATION_CARDS:
        if business_hours and metric in summaries.DURATIONS:
            label = f"{label} (business hours)"
        figures = [
            figure_card(
                f"{metric}.{figure}",
                figure_label,
                current[metric][figure],
                previous[metric][figure],
                show=display.duration,
                change=partial(display.change, lower_is_better=True),
            )
            for figure, figure_label in DURATION_FIGURES
        ]
        groups.append(
            {
                "key": f"{metric}.count",
                "label": label,
                "count": current[metric]["count"],
                "unit": unit,
                "figures": figures,
            }
        )
    figures = [
        figure_card(
            f"csat.{figure}",
            figure_label,
            current["csat"][figure],
            previous["csat"][figure],
            show=display.share,
            change=display.share_change,
        )
        for figure, figure_label in CSAT_CARD_FIGURES
    ]
    groups.append(
        {
            "key": "csat.ratings",
            "label": "Customer satisfaction",
            "count": current["csat"]["ratings"],
            "unit": "ratings",
            "figures": figures,
        }
    )
    if sla:
        groups.append(sla_card(current["sla"], previous["sla"]))
    return {"cards": cards, "groups": groups}


def sla_card(current: dict, previous: dict) -> dict:
    """Breaches of the first response and resolution targets: the count, of how many responses
    and resolutions held to a target, against the previous period (fewer is better)."""
    figures = []
    for metric, label in SLA_CARD_FIGURES:
        breaches, targeted = current[f"{metric}_breaches"], current[f"{metric}_targeted"]
        card = figure_card(
            f"sla.{metric}_breaches",
            label,
            breaches,
            previous[f"{metric}_breaches"],
            show=display.count,
            change=partial(display.change, lower_is_better=True),
        )
        card["value"], card["shown"] = breaches, f"{display.count(breaches)} of {display.count(targeted)}"
        figures.append(card)
    return {
        "key": "sla.first_response_targeted",
        "label": "SLA",
        "count": current["first_response_targeted"],
        "unit": "first responses held to a target",
        "figures": figures,
    }


class OverviewPage(WorkspacePage):
    template_name = "dashboard/overview.html"
    page = "overview"
    extra_parameters = ("metric", "granularity")
    needs_has_events = True
    business_hours_shown = True
    needs_has_sla = True

    def figures(self, query):
        if not self.frame.has_events:
            return empty_context(self.request, self.workspace, key=None)
        window = params.parse_window(query, workspace=self.workspace, business_hours=True)
        overview = summaries.overview(workspace=self.workspace, window=window)
        sla = bool(self.frame.has_sla)
        metric = params.parse_choice(query, "metric", tuple(CHART_METRICS), default="conversations_created")
        granularity = params.parse_granularity(query)
        series_window = params.parse_window(
            query, workspace=self.workspace, granularity=granularity, business_hours=True
        )
        points = summaries.timeseries(workspace=self.workspace, window=series_window, metric=metric)
        show = (
            display.duration
            if metric.startswith("avg_")
            else display.share
            if metric.endswith("_share")
            else display.count
        )
        return {
            "window": window,
            "overview": overview,
            **with_changes(overview, overview["previous"], business_hours=window.business_hours, sla=sla),
            "live": [
                {"key": key, "label": label, "value": overview[key]}
                for key, label in (*LIVE_TILES, *(SLA_TILES if sla else ()))
            ],
            "live_url": reverse("dashboard:live", kwargs={"slug": self.workspace.slug})
            + (f"?{urlencode({'channel': window.channel})}" if window.channel else ""),
            "live_seconds": settings.TALLY_DASHBOARD_REFRESH_SECONDS,
            "chart": charts.bar_chart(points, tz=window.tz, granularity=granularity, show_value=show),
            "metric": metric,
            "metrics": CHART_METRICS.items(),
            "granularity": granularity,
            "granularities": params.GRANULARITIES,
        }


class LiveView(WorkspacePage):
    """The live counters as JSON, for the overview's tiles to refresh without a reload."""

    filter_form_shown = False

    def get(self, request, **kwargs):
        try:
            window = params.parse_window(request.GET, workspace=self.workspace)
        except ValidationError as error:
            return JsonResponse({"errors": list(flatten_errors(error.detail))}, status=400)
        overview = summaries.overview(workspace=self.workspace, window=window)
        return JsonResponse({key: overview[key] for key, _ in (*LIVE_TILES, *SLA_TILES)})


def empty_context(request, workspace, *, key: str | None) -> dict:
    """The empty state: a curl that sends a first event (with `key` once a token was made), and simulate."""
    return {
        "empty": True,
        "key": key,
        "now": timezone.now().replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "events_url": request.build_absolute_uri(reverse("events")),
        "simulate": f".venv/bin/python manage.py simulate --workspace {workspace.slug}",
    }


class TokenPage(WorkspacePage):
    """POST (from the empty state): a new ingest token of the workspace, shown once in its curl."""

    template_name = "dashboard/overview.html"
    page = "overview"
    http_method_names = ["post"]

    def post(self, request, **kwargs):
        _, key = token_create(workspace=self.workspace, scopes=["ingest"], name=f"dashboard: {request.user}")
        return self.page_response(empty_context(request, self.workspace, key=key))


class DimensionPage(WorkspacePage):
    """Agents or channels: the API list's rows in a sortable table paged by the database, and
    every row as CSV (`?format=csv`)."""

    template_name = "dashboard/table.html"
    extra_parameters = ("ordering",)
    business_hours_shown = True
    dimension: str
    serializer_class: type
    orderings: tuple[str, ...]

    def figures(self, query):
        window = params.parse_window(query, workspace=self.workspace, business_hours=self.business_hours_shown)
        choices = (*self.orderings, *(f"-{name}" for name in self.orderings))
        ordering = params.parse_choice(query, "ordering", choices, default="id")
        rows = self.rows(window, ordering)
        if query.get("format") == "csv":
            data = self.serializer_class(rows[:], many=True, context={"tz": window.tz}).data
            response = HttpResponse(rows_csv(self.serializer_class, data), content_type="text/csv; charset=utf-8")
            name = f"{self.workspace.slug}-{self.page}-{window.start.date()}-{window.end.date()}.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        row_count = len(rows)
        pages = max(1, -(-row_count // TABLE_ROWS))
        page = positive_int(query, "page", maximum=pages) or 1
        data = self.serializer_class(
            rows[(page - 1) * TABLE_ROWS : page * TABLE_ROWS], many=True, context={"tz": window.tz}
        ).data
        kept = [(n, v) for n, v in query.items() if n not in ("format", "page")]
        return {
            "window": window,
            "header": self.header(ordering),
            "column_count": len(self.names()),
            "row_count": row_count,
            "body": table_body(data, self.cell_columns()),
            "csv_query": urlencode([*kept, ("format", "csv")]),
            "paging": paging(kept, page=page, pages=pages, rows=row_count),
        }

    def rows(self, window, ordering: str) -> summaries.SqlRows:
        return summaries.dimension_rows(
            workspace=self.workspace, window=window, dimension=self.dimension, ordering=ordering
        )

    def names(self) -> tuple[str, ...]:
        """The table's columns: the CSV's, in its order (a nested figure flattened to <group>_<figure>)."""
        sla = (f"sla_{figure}" for figure in summaries.SLA_FIGURES)
        return ("id", "name", *summaries.FIGURES, *summaries.QUALITY_FIGURES, *sla, *self.live_columns())

    def header(self, ordering: str) -> str:
        """The table's header cells: each column's name links to the table sorted by it, the rest of
        the query kept. Written as a string, as the body is (a template loop over the 38 columns of
        channels, each with its own urlencode of the query: 0.7 ms, now 0.03); a column's name and
        label are letters, digits and underscores, and an ordering needs no percent-encoding."""
        query = [
            (name, value) for name, value in self.request.GET.items() if name not in ("ordering", "format", "page")
        ]
        kept = escape(f"{urlencode(query)}&") if query else ""
        descending = ordering.startswith("-")
        cells = []
        for name in self.names():
            current = ordering.removeprefix("-") == name
            # A click sorts a figure largest first and a name A to Z; a second click reverses.
            if current:
                next_ordering = name if descending else f"-{name}"
            else:
                next_ordering = name if name in ("id", "name") else f"-{name}"
            label = name.replace("_seconds", "").replace("_", " ")
            sort, arrow = "", ""
            if current:
                sort = f' aria-sort="{"descending" if descending else "ascending"}"'
                arrow = " ▼" if descending else " ▲"
            cells.append(
                f'<th{sort}><a href="?{kept}ordering={next_ordering}" data-column="{name}">{label}{arrow}</a></th>'
            )
        return mark_safe("".join(cells))

    def live_columns(self) -> tuple[str, ...]:
        return (*summaries.LIVE, *summaries.SLA_LIVE) if self.dimension == "channel" else ()

    def cell_columns(self) -> list[Column]:
        columns = []
        for name in self.names():
            group = next((g for g in NESTED_GROUPS if name.startswith(f"{g}_")), None)
            key = name.removeprefix(f"{group}_") if group else name
            text = name in ("id", "name")
            if name == "id" and self.page == "teams":
                show = team_cell
            elif text:
                show = text_cell
            elif name.endswith("_seconds"):
                show = display.duration
            elif name.endswith(("_share", "_rate")):
                show = display.share
            else:
                show = display.count
            columns.append(Column(group=group, key=key, show=show, text=text))
        return columns


class TeamsPage(DimensionPage):
    """Every team with a figure in the range (GET /api/v1/summaries/teams). Team figures are not
    kept per channel or agent: a link from a filtered page lands on the page without those filters."""

    page = "teams"
    serializer_class = TeamSummarySerializer
    orderings = summaries.TEAM_ORDERING
    dimensionless = True

    def get(self, request, **kwargs):
        if "channel" in request.GET or "agent" in request.GET:
            return redirect_without(request, lambda name, value: name in ("channel", "agent"))
        return super().get(request, **kwargs)

    def rows(self, window, ordering: str) -> summaries.SqlRows:
        return summaries.team_rows(workspace=self.workspace, window=window, ordering=ordering)

    def names(self) -> tuple[str, ...]:
        return summaries.TEAM_ORDERING


class LabelsPage(TeamsPage):
    """Every label with a figure in the range (GET /api/v1/summaries/labels), a conversation under
    each label it has now; like teams, without channel or agent."""

    page = "labels"
    serializer_class = LabelSummarySerializer
    orderings = summaries.LABEL_ORDERING

    def rows(self, window, ordering: str) -> summaries.SqlRows:
        return summaries.label_rows(workspace=self.workspace, window=window, ordering=ordering)

    def names(self) -> tuple[str, ...]:
        return summaries.LABEL_ORDERING


def paging(query: list[tuple[str, str]], *, page: int, pages: int, rows: int) -> dict | None:
    """Links to the previous and next page of a table, keeping its query; None on a single page."""
    if pages == 1:
        return None
    first = (page - 1) * TABLE_ROWS + 1
    return {
        "text": f"rows {first}-{min(page * TABLE_ROWS, rows)} of {rows}",
        "previous": urlencode([*query, ("page", page - 1)]) if page > 1 else None,
        "next": urlencode([*query, ("page", page + 1)]) if page < pages else None,
    }


def text_cell(value) -> str:
    return value or ""


def team_cell(value) -> str:
    return value or "(no team)"


class AgentsPage(DimensionPage):
    page = "agents"
    dimension = "agent"
    serializer_class = AgentSummarySerializer
    orderings = summaries.AGENT_ORDERING


class ChannelsPage(DimensionPage):
    page = "channels"
    dimension = "channel"
    serializer_class = ChannelSummarySerializer
    orderings = summaries.CHANNEL_ORDERING


class HeatmapPage(WorkspacePage):
    template_name = "dashboard/heatmap.html"
    page = "heatmap"

    def figures(self, query):
        window = params.parse_window(query, workspace=self.workspace)
        cells = heatmap.heatmap(workspace=self.workspace, window=window)
        return {"window": window, "body": heatmap_body(cells), "hours": [str(hour) for hour in range(24)]}


def heatmap_body(cells: list[dict]) -> str:
    """The heatmap's rows, a weekday each. Written as plain strings, as table_body is (format_html
    per cell took 2-10 ms for 168 cells): every value is a count, an hour or a weekday of WEEKDAYS,
    none needs escaping."""
    top = max((cell["conversations"] for cell in cells), default=0) or 1
    by_day = {day: [] for day in range(1, len(WEEKDAYS) + 1)}
    for cell in cells:
        by_day[cell["weekday"]].append(cell)
    rows = []
    for (day, hours), label in zip(by_day.items(), WEEKDAYS, strict=True):
        tds = "".join(
            f'<td style="--shade: {c["conversations"] / top:.2f}" data-weekday="{day}" data-hour="{c["hour"]}"'
            f' data-value="{c["conversations"]}" title="{label} {c["hour"]}:00: {c["conversations"]}">'
            f"{c['conversations']}</td>"
            for c in hours
        )
        total = sum(c["conversations"] for c in hours)
        rows.append(f'<tr><th>{label}</th>{tds}<td class="total">{total}</td></tr>')
    return mark_safe("".join(rows))


def day_range(window: params.Window) -> params.DayRange:
    """The window as the day-range selectors take it: the same half-open instants."""
    return params.DayRange(start=window.start, end=window.end, tz=window.tz)


class CustomersPage(WorkspacePage):
    template_name = "dashboard/customers.html"
    page = "customers"
    extra_parameters = ("customer",)

    def figures(self, query):
        window = params.parse_window(query, workspace=self.workspace)
        customer = params.parse_text(query, "customer", max_length=64)
        context = {"window": window, "customer": customer}
        if customer is not None:
            context["found"] = summaries.customer_exists(workspace=self.workspace, customer_id=customer)
            if context["found"]:
                rows = summaries.customer_interactions(
                    workspace=self.workspace, customer_id=customer, days=day_range(window)
                )
                context["interactions"] = rows
                context["total"] = sum(row["interactions"] for row in rows)
        return context


class EventsPage(WorkspacePage):
    template_name = "dashboard/events.html"
    page = "events"
    extra_parameters = ("granularity", "name", "search")

    def figures(self, query):
        granularity = params.parse_granularity(query)
        window = params.parse_window(query, workspace=self.workspace, granularity=granularity)
        name = params.parse_text(query, "name", max_length=100)
        points = summaries.timeseries(workspace=self.workspace, window=window, metric="events", name=name)
        days = day_range(window)
        trend = summaries.event_trend(workspace=self.workspace, days=days)
        names = sorted({row["name"] for row in trend})
        by_day = {}
        for row in trend:
            by_day.setdefault(row["day"], {})[row["name"]] = row["events"]
        return {
            "window": window,
            "name": name,
            "granularity": granularity,
            "granularities": params.GRANULARITIES,
            "chart": charts.bar_chart(points, tz=window.tz, granularity=granularity, show_value=display.count),
            "frequency": summaries.event_frequency(workspace=self.workspace, days=days, name=None),
            "trend_names": names,
            "trend": [(day, [counts.get(n, 0) for n in names]) for day, counts in sorted(by_day.items())],
            **catalogue_context(self.workspace, query, tz=window.tz),
        }


def local_time(moment, tz) -> str:
    return "" if moment is None else moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def catalogue_context(workspace, query, *, tz) -> dict:
    """The event catalogue (analytics.catalogue.selectors, as GET /api/v1/catalogue/events/ lists
    it): defined and observed names with their lifetime figures, the first CATALOGUE_ROWS by name,
    narrowed by `search` as the API's is."""
    search = params.parse_text(query, "search", max_length=100)
    entries = catalogue_entries(workspace=workspace, search=search)
    total = len(entries)
    kept = [(n, v) for n, v in query.items() if n in FILTERS or n == "granularity"]
    rows = [
        {
            **entry,
            "first_seen": local_time(entry["first_seen_at"], tz),
            "last_seen": local_time(entry["last_seen_at"], tz),
            "query": urlencode([*kept, ("name", entry["name"])]),
            "keys": [p["key"] for p in entry["properties"]],
        }
        for entry in entries[:CATALOGUE_ROWS]
    ]
    return {"catalogue": rows, "catalogue_total": total, "search": search or ""}
