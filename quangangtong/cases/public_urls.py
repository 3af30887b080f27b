from django.urls import path

from quangangtong.cases import public_views

urlpatterns = [
    path("progress/", public_views.progress, name="case-progress"),
    path("progress/t/<str:token>/", public_views.progress_by_token, name="case-progress-token"),
]
