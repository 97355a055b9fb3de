from django.urls import path

from apps.changes import views

app_name = "changes"

urlpatterns = [
    path("", views.change_list, name="change_list"),
    path("<int:pk>/", views.change_detail, name="change_detail"),
    path("<int:pk>/transition/", views.change_transition, name="change_transition"),
    path("<int:pk>/comment/", views.change_comment, name="change_comment"),
]
