from django.urls import path

from apps.chat import views

app_name = "chat"
urlpatterns = [
    path("", views.channel_list, name="channel_list"),
    path("new/", views.channel_form, name="channel_new"),
    path("<int:pk>/", views.channel_form, name="channel_edit"),
    path("<int:pk>/active/", views.channel_active, name="channel_active"),
    path("<int:pk>/deliveries/", views.channel_deliveries, name="channel_deliveries"),
    path("slack-link/", views.slack_link, name="slack_link"),
]
