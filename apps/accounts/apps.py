from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"

    def ready(self) -> None:
        from apps.accounts import middleware, token_cache, user_cache

        token_cache.connect()
        middleware.connect()
        user_cache.connect()
