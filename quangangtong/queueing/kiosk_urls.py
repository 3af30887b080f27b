from django.urls import path

from quangangtong.queueing import kiosk_views

urlpatterns = [
    path("kiosk/<slug:site>/", kiosk_views.kiosk_home, name="kiosk"),
    path("kiosk/<slug:site>/take/", kiosk_views.kiosk_take, name="kiosk-take"),
    path("kiosk/<slug:site>/large-type/", kiosk_views.kiosk_large_type, name="kiosk-large-type"),
    path("kiosk/<slug:site>/tickets/<str:token>/", kiosk_views.kiosk_ticket, name="kiosk-ticket"),
    path("t/<str:token>/", kiosk_views.ticket_public, name="ticket-public"),
    path("t/<str:token>/print/", kiosk_views.ticket_print, name="ticket-print"),
    path("staff/guide/<slug:site>/", kiosk_views.guide_issue, name="guide-issue"),
    path("staff/guide/<slug:site>/requeue/", kiosk_views.guide_requeue, name="guide-requeue"),
]
