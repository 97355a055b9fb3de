from django.urls import path

from apps.inventory import views

app_name = "inventory"

urlpatterns = [
    path("", views.host_list, name="host_list"),
    path("import/", views.host_import, name="host_import"),
    path("<str:hostname>/", views.host_detail, name="host_detail"),
]
