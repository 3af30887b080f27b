from django.urls import path

from quangangtong.cases import office_views

urlpatterns = [
    path("staff/office/inbox/", office_views.inbox, name="office-inbox"),
    path("staff/office/cases/<str:number>/", office_views.case_detail, name="office-case"),
    path("staff/office/cases/<str:number>/<slug:action>/", office_views.case_action, name="office-case-action"),
    path("staff/office/supervision/", office_views.supervision_list, name="office-supervision"),
    path("staff/office/ledger/", office_views.ledger, name="office-ledger"),
    path("staff/office/ledger.xlsx", office_views.ledger_export, name="office-ledger-export"),
]
