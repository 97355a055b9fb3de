from django.urls import path

from apps.changes import views

app_name = "changes"

urlpatterns = [
    path("", views.change_list, name="change_list"),
    path("new/", views.change_create, name="change_create"),
    path("form/hosts/", views.form_hosts, name="form_hosts"),
    path("form/host-search/", views.host_search, name="host_search"),
    path("form/collisions/", views.form_collisions, name="form_collisions"),
    path("form/kind-guidance/", views.kind_guidance, name="kind_guidance"),
    path("<int:pk>/", views.change_detail, name="change_detail"),
    path("<int:pk>/edit/", views.change_edit, name="change_edit"),
    path("<int:pk>/clone/", views.change_clone, name="change_clone"),
    path("<int:pk>/transition/", views.change_transition, name="change_transition"),
    path("<int:pk>/comment/", views.change_comment, name="change_comment"),
    path("<int:pk>/hosts/state/", views.change_host_states, name="change_host_states"),
]
