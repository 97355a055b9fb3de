"""Chat webhook URLs are secrets (anyone holding one may post to the channel): stored encrypted, shown masked.

The key is derived from SECRET_KEY (HKDF-SHA256, a purpose of its own so it is not the key Django signs with);
SECRET_KEY_FALLBACKS are tried on decryption, so a key rotation done the Django way keeps the URLs readable.
"""

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PURPOSE = b"changeportal.chat.webhook-url"


class UndecryptableURL(Exception):
    """The URL was encrypted under a SECRET_KEY that is gone: the channel's URL must be entered again."""


def _fernet(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=PURPOSE).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _keys() -> MultiFernet:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet(secret) for secret in secrets])


def encrypt(value: str) -> str:
    return _keys().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _keys().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise UndecryptableURL("The stored URL cannot be decrypted (SECRET_KEY changed?); enter it again.") from exc


def mask(url: str) -> str:
    """What the page shows: scheme, host and the last four characters (enough to tell two channels apart)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    tail = url[-4:] if len(url) > 12 else ""
    return f"{parts.scheme}://{parts.hostname or '?'}/…{tail}"
