"""DKIM keys: generated with OpenSSL (through `cryptography`), kept encrypted at rest.

Private keys are encrypted with Fernet under keys derived from FIELD_ENCRYPTION_KEY
(HKDF-SHA256, so any string will do and SECRET_KEY serves as the default). Several keys
may be given: the first encrypts, every one decrypts, which lets an operator rotate.

`cryptography` is imported by the functions that use it: the models import this module
at every start, and most processes (a cron pass, a web request) decrypt nothing.
"""

import base64
from functools import cache
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet
    from cryptography.hazmat.primitives.asymmetric import rsa

KEY_BITS = 2048
HKDF_INFO = b"rassylka field encryption v1"


class KeyUnusable(Exception):
    """A stored secret cannot be decrypted: FIELD_ENCRYPTION_KEY changed or lost."""


def _fernet_key(secret: str) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(
        secret.encode()
    )
    return base64.urlsafe_b64encode(derived)


@cache
def _fernet(secrets: tuple[str, ...]) -> "MultiFernet":
    from cryptography.fernet import Fernet, MultiFernet

    return MultiFernet([Fernet(_fernet_key(secret)) for secret in secrets])


def field_cipher() -> "MultiFernet":
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEY))


def encrypt(plain: bytes) -> str:
    return field_cipher().encrypt(plain).decode("ascii")


def decrypt(token: str) -> bytes:
    from cryptography.fernet import InvalidToken

    try:
        return field_cipher().decrypt(token.encode("ascii"))
    except (InvalidToken, ValueError) as error:
        raise KeyUnusable(
            "The stored key cannot be decrypted: FIELD_ENCRYPTION_KEY is not the key it "
            "was encrypted with."
        ) from error


def rsa_key_generate() -> "rsa.RSAPrivateKey":
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)


def private_key_pem(key: "rsa.RSAPrivateKey") -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def private_key_load(pem: bytes) -> "rsa.RSAPrivateKey":
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyUnusable("The stored DKIM key is not an RSA key.")
    return key


def public_key_base64(key: "rsa.RSAPrivateKey") -> str:
    """The p= of a DKIM record: the DER SubjectPublicKeyInfo, base64."""
    from cryptography.hazmat.primitives import serialization

    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode("ascii")
