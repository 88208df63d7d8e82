from rest_framework import generics


class EventIngestView(generics.CreateAPIView):
    pass
