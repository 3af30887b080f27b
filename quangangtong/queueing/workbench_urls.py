from django.urls import path

from quangangtong.hall import views as hall_views
from quangangtong.queueing import workbench_views

urlpatterns = [
    path("staff/workbench/", workbench_views.workbench, name="workbench"),
    path("staff/workbench/state.json", workbench_views.workbench_state, name="workbench-state"),
    path("staff/workbench/<slug:action>/", workbench_views.workbench_action, name="workbench-action"),
    path("staff/floor/<slug:site>/", hall_views.floor_config, name="floor-config"),
    path("staff/floor/<slug:site>/rules/", hall_views.floor_rules_save, name="floor-rules"),
    path("staff/floor/<slug:site>/windows/", hall_views.floor_window_save, name="floor-window-add"),
    path("staff/floor/<slug:site>/windows/<int:window_id>/", hall_views.floor_window_save, name="floor-window"),
    path("staff/floor/<slug:site>/categories/", hall_views.floor_category_add, name="floor-category-add"),
    path("staff/floor/<slug:site>/categories/<int:category_id>/", hall_views.floor_category, name="floor-category"),
    path("staff/floor/<slug:site>/skills/", hall_views.skills_matrix, name="skills-matrix"),
    path("staff/floor/<slug:site>/skills/set/", hall_views.skill_set, name="skill-set"),
    path("staff/floor/<slug:site>/skills/<int:skill_id>/remove/", hall_views.skill_remove, name="skill-remove"),
]
