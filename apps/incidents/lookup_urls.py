"""/bridge/: what changed on a host, from the navigation's search box."""

from django.urls import path

from apps.incidents import views

app_name = "bridge"

urlpatterns = [
    path("lookup/", views.lookup, name="lookup"),
    path("search/", views.host_search, name="host_search"),
    path("hosts/<str:hostname>/", views.host_suspects, name="host_suspects"),
]
