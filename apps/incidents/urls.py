from django.urls import path

from apps.incidents import views

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="incident_list"),
    path("new/", views.incident_create, name="incident_create"),
    path("form/hosts/", views.form_hosts, name="form_hosts"),
    path("form/host-search/", views.picker_search, name="picker_search"),
    path("<int:pk>/", views.incident_detail, name="incident_detail"),
    path("<int:pk>/live/", views.incident_live, name="incident_live"),
    path("<int:pk>/status/", views.set_status, name="set_status"),
    path("<int:pk>/notes/", views.add_note, name="add_note"),
    path("<int:pk>/suspects/<int:change_pk>/mark/", views.mark_suspect, name="mark_suspect"),
    path("<int:pk>/suspects/<int:change_pk>/backout/", views.start_backout, name="start_backout"),
    path("<int:pk>/backouts/<int:backout_pk>/rollback/", views.record_rollback, name="record_rollback"),
    path("<int:pk>/backouts/<int:backout_pk>/complete/", views.complete_backout, name="complete_backout"),
    path("<int:pk>/findings/", views.record_finding, name="record_finding"),
    path("<int:pk>/findings/<int:finding_pk>/withdraw/", views.withdraw_finding, name="withdraw_finding"),
]
