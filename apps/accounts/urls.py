from django.contrib.auth import views as auth_views
from django.urls import path

from apps.accounts import saved_view_views, token_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.ThrottledLoginView.as_view(), name="login"),
    # Shadows admin.site's own login (this URLconf is included before admin/) so it is throttled too.
    path("admin/login/", views.AdminLoginView.as_view(), name="admin_login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/", token_views.api_tokens, name="api_tokens"),
    path("profile/tokens/<int:pk>/revoke/", token_views.api_token_revoke, name="api_token_revoke"),
    path("profile/feed-token/regenerate/", views.feed_token_regenerate, name="feed_token_regenerate"),
    path("profile/feed-token/revoke/", views.feed_token_revoke, name="feed_token_revoke"),
    path("profile/views/", saved_view_views.saved_view_create, name="saved_view_create"),
    path("profile/views/<int:pk>/delete/", saved_view_views.saved_view_delete, name="saved_view_delete"),
    path("teams/", views.team_list, name="team_list"),
    path("teams/<slug:slug>/", views.team_detail, name="team_detail"),
]
