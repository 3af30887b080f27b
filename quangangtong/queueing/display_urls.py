from django.urls import path

from quangangtong.queueing import display_views

urlpatterns = [
    # quangangtong.asgi serves this path itself under ASGI (live.EVENTS_PATH); keep the two in step.
    path("live/<slug:site>/events", display_views.live_events, name="live-events"),
    path("display/<slug:site>/", display_views.board, name="display-board"),
    path("display/<slug:site>/board.json", display_views.board_json, name="display-board-json"),
    path("display/<slug:site>/strip/", display_views.strip, name="display-strip"),
    path("display/<slug:site>/strip.json", display_views.strip_json, name="display-strip-json"),
]
