"""GET /api/v1/summaries/heatmap: conversations created per weekday and hour of day (selector:
analytics.heatmap)."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response

from analytics import heatmap, params
from analytics.summary_serializers import RangeFieldsMixin
from analytics.summary_views import BAD_PARAMETER, RANGE_PARAMETERS, SummaryView


class HeatmapCellSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=1, max_value=7, help_text="ISO weekday: Monday 1 to Sunday 7.")
    hour = serializers.IntegerField(min_value=0, max_value=23, help_text="Hour of day in `tz`.")
    conversations = serializers.IntegerField(help_text="Conversations created in that weekday and hour.")


class HeatmapSerializer(RangeFieldsMixin, serializers.Serializer):
    tz = serializers.CharField(help_text="The zone of weekdays, hours and offsets.")
    cells = HeatmapCellSerializer(many=True, help_text="All 168 cells, by weekday then hour, 0 where none.")


@extend_schema(
    summary="Traffic heatmap",
    description="Conversations created in the range per weekday and hour of day of `tz`, every cell present "
    "(0 where none). Each UTC hour of the summaries counts in the weekday and hour in which it starts. "
    "Conversations have no agent: with `agent` every cell is 0.",
    parameters=RANGE_PARAMETERS,
    responses={200: HeatmapSerializer, **BAD_PARAMETER},
    examples=[
        OpenApiExample(
            "heatmap",
            value={
                "from": "2026-11-27T00:00:00+00:00",
                "to": "2026-12-04T00:00:00+00:00",
                "tz": "UTC",
                "cells": [{"weekday": 1, "hour": 0, "conversations": 3}],
            },
            response_only=True,
        )
    ],
)
class HeatmapView(SummaryView, generics.RetrieveAPIView):
    serializer_class = HeatmapSerializer

    def summarize(self):
        window = params.parse_window(self.request.query_params, workspace=self.workspace)
        self.tz = window.tz
        return {
            "from": window.start,
            "to": window.end,
            "tz": window.tz.key,
            "cells": heatmap.heatmap(workspace=self.workspace, window=window),
        }

    def retrieve(self, request, *args, **kwargs):
        return Response(self.get_serializer(self.get_object()).data)
