from django.urls import path

from quangangtong.planner import views

urlpatterns = [
    path("", views.planner_home, name="planner-home"),
    path("runs/new/<slug:kind>/", views.planner_run_create, name="planner-run-create"),
    path("runs/<int:run_id>/", views.planner_run, name="planner-run"),
    path("runs/<int:run_id>/status.json", views.planner_run_status, name="planner-run-status"),
    path("runs/<int:run_id>/scenario.yaml", views.planner_run_scenario_download, name="planner-run-scenario"),
    path("scenarios/", views.planner_scenarios, name="planner-scenarios"),
    path("scenarios/new/", views.planner_scenario_create, name="planner-scenario-create"),
    path("scenarios/calibrate/", views.planner_scenario_calibrate, name="planner-scenario-calibrate"),
    path("scenarios/<int:scenario_id>/", views.planner_scenario, name="planner-scenario"),
    path("scenarios/<int:scenario_id>.yaml", views.planner_scenario_download, name="planner-scenario-download"),
]
