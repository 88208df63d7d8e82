"""The admin of business schedule versions: list them, add one (the same rules as the API), never
change or delete one (versions are append-only, analytics/business/services.py)."""

from django import forms
from django.contrib import admin
from django.contrib.postgres.forms import SimpleArrayField

from analytics.business import services
from analytics.business.models import BusinessSchedule, SlaPolicy
from core.models import validate_timezone


def parse_intervals(text: str) -> list[tuple[int, int, int]]:
    """Lines "1 09:00-19:00" (ISO weekday, local opening and closing) -> [(1, 540, 1140)]."""
    intervals = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            weekday, hours = line.split()
            start, end = hours.split("-")
            intervals.append((int(weekday), services.minutes_of(start), services.minutes_of(end)))
        except ValueError:
            raise forms.ValidationError(
                f"Line {number}: write it as `1 09:00-19:00` (weekday 1-7, HH:MM-HH:MM)."
            ) from None
    return intervals


class BusinessScheduleForm(forms.ModelForm):
    intervals = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 7}),
        required=False,
        help_text="One line per open interval: ISO weekday (1 = Monday ... 7 = Sunday) and local HH:MM-HH:MM, "
        "such as `1 09:00-19:00`. None: never open.",
    )
    holidays = SimpleArrayField(
        forms.DateField(), required=False, help_text="Local dates closed all day, comma-separated YYYY-MM-DD."
    )

    class Meta:
        model = BusinessSchedule
        fields = ["effective_from", "time_zone", "holidays"]

    def clean_time_zone(self):
        zone = self.cleaned_data["time_zone"]
        validate_timezone(zone)
        return zone

    def clean_intervals(self):
        intervals = parse_intervals(self.cleaned_data["intervals"])
        problem = services.intervals_problem(intervals)
        if problem is not None:
            raise forms.ValidationError(problem)
        return intervals

    def clean_effective_from(self):
        effective_from = self.cleaned_data["effective_from"]
        earliest = services.earliest_effective_from()
        if effective_from < earliest:
            raise forms.ValidationError(
                f"Must not be before {earliest.isoformat()}: conversations already measured keep their version."
            )
        return effective_from

    def save(self, commit=True):
        schedule = super().save(commit=False)
        ordered = sorted(self.cleaned_data["intervals"])
        schedule.weekdays = [weekday for weekday, _, _ in ordered]
        schedule.start_minutes = [start for _, start, _ in ordered]
        schedule.end_minutes = [end for _, _, end in ordered]
        schedule.holidays = sorted(set(self.cleaned_data.get("holidays") or []))
        if commit:
            schedule.save()
        return schedule


class BusinessScheduleInline(admin.TabularInline):
    """A workspace's business schedule versions, on its admin page (a model with a composite
    primary key cannot have an admin page of its own): existing versions read-only, a new one
    added with the API's rules; none changed or deleted (versions are append-only)."""

    model = BusinessSchedule
    form = BusinessScheduleForm
    fields = ["effective_from", "time_zone", "intervals", "holidays"]
    extra = 0
    can_delete = False
    ordering = ["-effective_from"]

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Open hours")
    def intervals(self, schedule) -> str:
        return ", ".join(
            f"{weekday} {services.clock(start)}-{services.clock(end)}"
            for weekday, start, end in zip(schedule.weekdays, schedule.start_minutes, schedule.end_minutes, strict=True)
        )


class SlaPolicyForm(forms.ModelForm):
    class Meta:
        model = SlaPolicy
        fields = [
            "effective_from",
            "first_response_seconds",
            "first_response_business",
            "resolution_seconds",
            "resolution_business",
        ]

    def clean_effective_from(self):
        effective_from = self.cleaned_data["effective_from"]
        earliest = services.earliest_effective_from()
        if effective_from < earliest:
            raise forms.ValidationError(
                f"Must not be before {earliest.isoformat()}: conversations already measured keep their targets."
            )
        return effective_from

    def clean(self):
        cleaned = super().clean()
        for name in ("first_response_seconds", "resolution_seconds"):
            value = cleaned.get(name)
            if value is not None and not 1 <= value <= services.MAX_TARGET_SECONDS:
                self.add_error(name, f"Between 1 and {services.MAX_TARGET_SECONDS} seconds, or empty for none.")
        return cleaned


class SlaPolicyInline(admin.TabularInline):
    """A workspace's SLA policy versions on its admin page, like BusinessScheduleInline."""

    model = SlaPolicy
    form = SlaPolicyForm
    extra = 0
    can_delete = False
    ordering = ["-effective_from"]

    def has_change_permission(self, request, obj=None):
        return False
