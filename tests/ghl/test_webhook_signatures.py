"""GHL webhook signatures: Ed25519 first, RSA-SHA256 legacy second, nothing unsigned."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from leadflow.ghl.webhooks import GHL_ED25519_PUBLIC_KEY, GHL_RSA_PUBLIC_KEY, SignatureVerifier

BODY = b'{"type":"ContactCreate","locationId":"loc1","webhookId":"w1","timestamp":"2026-12-04T12:00:00.000Z"}'


def _pem(public_key) -> str:  # type: ignore[no-untyped-def]
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def test_published_keys_load() -> None:
    SignatureVerifier(ed25519_pem=GHL_ED25519_PUBLIC_KEY, rsa_pem=GHL_RSA_PUBLIC_KEY)


def test_ed25519_then_rsa_then_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ed = Ed25519PrivateKey.generate()
    legacy = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = tmp_path / "ed.pem"
    key_file.write_text(_pem(ed.public_key()))
    verifier = SignatureVerifier(ed25519_pem=str(key_file), rsa_pem=_pem(legacy.public_key()))
    ed_sig = base64.b64encode(ed.sign(BODY)).decode()
    rsa_sig = base64.b64encode(legacy.sign(BODY, padding.PKCS1v15(), hashes.SHA256())).decode()

    assert verifier.verify(BODY, {"X-GHL-Signature": ed_sig}).scheme == "ed25519"
    assert verifier.verify(BODY, {"x-wh-signature": rsa_sig}).ok
    # a forged Ed25519 header is not rescued by a valid legacy one
    assert not verifier.verify(BODY, {"X-GHL-Signature": rsa_sig[:88], "X-WH-Signature": rsa_sig}).ok
    assert not verifier.verify(BODY + b" ", {"X-GHL-Signature": ed_sig}).ok
    assert not verifier.verify(BODY, {"X-GHL-Signature": "not base64!"}).ok
    unsigned = verifier.verify(BODY, {})
    assert not unsigned.ok
    assert "no X-GHL-Signature" in unsigned.reason
