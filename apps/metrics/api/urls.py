from django.urls import path

from apps.metrics.api import views

urlpatterns = [
    path("metrics", views.MetricsView.as_view(), name="api-metrics"),
    path("metrics/changes/<slug:name>", views.MetricChangesView.as_view(), name="api-metric-changes"),
    path("metrics/<slug:metric>", views.MetricView.as_view(), name="api-metric"),
]
