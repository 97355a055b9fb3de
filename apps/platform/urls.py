from django.urls import path

from apps.platform import views

app_name = "platform"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
]
