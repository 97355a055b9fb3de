from django.urls import path

from apps.incidents.api import findings, views

urlpatterns = [
    path("hosts/<str:hostname>/suspects", views.HostSuspectsView.as_view(), name="api-host-suspects"),
    path("incidents/<int:pk>/suspects", views.IncidentSuspectsView.as_view(), name="api-incident-suspects"),
    path("incidents/<int:pk>/findings", findings.IncidentFindingsView.as_view(), name="api-incident-findings"),
    path(
        "incidents/<int:pk>/findings/<int:finding_id>",
        findings.IncidentFindingView.as_view(),
        name="api-incident-finding",
    ),
    path(
        "incidents/<int:pk>/findings/<int:finding_id>/withdraw",
        findings.WithdrawFindingView.as_view(),
        name="api-incident-finding-withdraw",
    ),
    path("changes/<int:pk>/findings", findings.ChangeFindingsView.as_view(), name="api-change-findings"),
]
