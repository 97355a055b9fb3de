from django.urls import path

from apps.incidents.api import views

urlpatterns = [
    path("hosts/<str:hostname>/suspects", views.HostSuspectsView.as_view(), name="api-host-suspects"),
    path("incidents/<int:pk>/suspects", views.IncidentSuspectsView.as_view(), name="api-incident-suspects"),
]
