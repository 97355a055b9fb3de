from django.urls import path

from apps.metrics import views

app_name = "metrics"

urlpatterns = [
    path("", views.metrics_page, name="page"),
    path("definitions/", views.definitions, name="definitions"),
    path("changes/<slug:name>/", views.metrics_list, name="list"),
    path("<slug:slug>.csv", views.metrics_csv, name="csv"),
]
