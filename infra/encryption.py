"""Secrets at rest: inbox passwords and webhook signing secrets, encrypted with Fernet.

``EncryptedCharField`` is a CharField whose database column holds a Fernet token
(AES-128-CBC with an HMAC-SHA256, from pyca ``cryptography``) instead of the value: it
encrypts on the way in and decrypts on the way out, so the rest of the code reads and
writes plain strings. The empty string is stored as is ("no password" stays visible
and cheap to test); every other value is a fresh token, so equal values do not look
equal in the database and lookups other than ``= ""`` find nothing.

Keys come from ``FIELD_ENCRYPTION_KEYS`` (comma-separated Fernet keys): the first
encrypts, every one of them decrypts (a ``MultiFernet``). Rotation: put a new key
first, run ``manage.py rotate_field_keys`` (every token is re-encrypted with the new
key), then drop the old key.

Without ``FIELD_ENCRYPTION_KEYS`` a key is derived from ``SECRET_KEY`` (and one more
per ``SECRET_KEY_FALLBACKS`` entry, for decrypting). That is for the demo, development
and tests only: the deployment check ``jengu.E040`` stops ``manage.py setup`` when
DEBUG is off and no key is set, because a derived key ties the passwords to the
session-signing secret and to whoever knows it.

A value that none of the keys decrypts raises ``SecretUndecryptable`` (a
misconfiguration: the key it was written with is missing), never returns the token.
"""

from __future__ import annotations

import base64
import functools
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

DEV_KEY_LABEL = b"jengu field encryption, development only:"


class SecretUndecryptable(ImproperlyConfigured):
    """A stored secret that none of FIELD_ENCRYPTION_KEYS decrypts (the message never holds the value)."""


def derived_dev_keys() -> list[str]:
    """Keys derived from SECRET_KEY and its fallbacks: what encrypts when FIELD_ENCRYPTION_KEYS is unset."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [base64.urlsafe_b64encode(hashlib.sha256(DEV_KEY_LABEL + s.encode()).digest()).decode() for s in secrets]


def configured_keys() -> list[str]:
    """The keys in force, current first."""
    return list(getattr(settings, "FIELD_ENCRYPTION_KEYS", None) or derived_dev_keys())


@functools.lru_cache(maxsize=8)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet(extra_keys: tuple[str, ...] = ()) -> MultiFernet:
    """The MultiFernet of the keys in force (settings are read each time: tests override them)."""
    return _multi_fernet(tuple(configured_keys()) + tuple(extra_keys))


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str, *, what: str = "a stored secret") -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUndecryptable(
            f"{what} cannot be decrypted with FIELD_ENCRYPTION_KEYS: the key it was encrypted with is not among "
            "them (add it back after the current key, then run `manage.py rotate_field_keys`)."
        ) from None


def is_token(value: str, extra_keys: tuple[str, ...] = ()) -> bool:
    """Whether ``value`` is a token the keys in force can decrypt (used by the data migrations)."""
    try:
        fernet(extra_keys).decrypt(value.encode())
    except InvalidToken:
        return False
    return True


class EncryptedCharField(models.CharField):
    """A CharField stored encrypted; ``max_length`` limits the plain value, the column is text.

    A Fernet token is about 1.4 times the value plus 60 characters, so the column is
    ``text`` whatever ``max_length`` says.
    """

    def get_internal_type(self):
        return "TextField"

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return decrypt(value, what=f"{self.model._meta.label}.{self.name}")

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value  # None and "" stay as they are
        return encrypt(value)

    def value_to_string(self, obj):
        """What dumpdata writes: the ciphertext, so a backup never holds the secret in clear."""
        value = self.value_from_object(obj)
        return encrypt(value) if value else value

    def to_python(self, value):
        """What loaddata reads back: a token the keys in force decrypt becomes the secret again."""
        value = super().to_python(value)
        if value and value.startswith("gAAAA") and is_token(value):
            return decrypt(value, what=f"{self.model._meta.label}.{self.name}")
        return value


def encrypted_fields() -> list[EncryptedCharField]:
    """Every encrypted field of every installed model (what rotate_field_keys walks)."""
    from django.apps import apps

    return [
        field
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedCharField)
    ]


# --- whole columns: the data migrations and key rotation ---------------------------------


def _raw_values(model, name: str):
    """(pk, token) of every row with a value, read past the field's decryption."""
    from django.db.models.functions import Cast

    rows = model._default_manager.annotate(_raw=Cast(name, output_field=models.TextField()))
    return rows.exclude(**{name: ""}).exclude(**{f"{name}__isnull": True}).values_list("pk", "_raw").iterator()


def _write_raw(model, name: str, pk, raw: str) -> None:
    # a Value with a plain text output field is written as given, not encrypted again
    model._default_manager.filter(pk=pk).update(**{name: models.Value(raw, output_field=models.TextField())})


def encrypt_column(model, name: str) -> int:
    """Encrypt the plain values of one column (forward data migration); tokens already there are kept."""
    done = 0
    for pk, raw in list(_raw_values(model, name)):
        if not is_token(raw):
            _write_raw(model, name, pk, encrypt(raw))
            done += 1
    return done


def decrypt_column(model, name: str) -> int:
    """Back to plain values (reverse data migration)."""
    done = 0
    for pk, raw in list(_raw_values(model, name)):
        if is_token(raw):
            _write_raw(model, name, pk, decrypt(raw))
            done += 1
    return done


def rotate_column(model, name: str, *, extra_keys: tuple[str, ...] = ()) -> tuple[int, list]:
    """Re-encrypt every value of one column with the current key; returns (rotated, pks it could not read)."""
    keys = fernet(extra_keys)
    rotated, unreadable = 0, []
    for pk, raw in list(_raw_values(model, name)):
        try:
            token = keys.rotate(raw.encode()).decode()
        except InvalidToken:
            unreadable.append(pk)
            continue
        _write_raw(model, name, pk, token)
        rotated += 1
    return rotated, unreadable
