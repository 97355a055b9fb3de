from django.urls import path

from apps.chat import views

app_name = "slack"
urlpatterns = [path("interactivity", views.slack_interactivity, name="interactivity")]
