"""Signatures as receivers check them: the helper and the README's snippet agree on every case."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from api.webhooks.signing import SignatureError, digest, new_secret, signature_header, verify

README = Path(__file__).resolve().parents[2] / "README.md"
SECRET = "whsec_test-secret"
BODY = b'{"id":"0190","type":"ping","data":{}}'
NOW = 1_790_000_000


def readme_snippet() -> Callable[..., bool]:
    """The verification function of the README's Webhooks section, run as a receiver would copy it."""
    section = README.read_text().split("## Webhooks", 1)[1].split("\n## ", 1)[0]
    [code] = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    namespace: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own documentation
    function: Callable[..., bool] = namespace["verify_resonance_signature"]
    return function


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body_in_hex() -> None:
    import hashlib
    import hmac

    expected = hmac.new(SECRET.encode(), b"1790000000." + BODY, hashlib.sha256).hexdigest()

    assert digest(SECRET, NOW, BODY) == expected
    assert signature_header(SECRET, BODY, NOW) == f"t=1790000000,v1={expected}"


CASES: dict[str, tuple[str, bytes, float, bool]] = {
    "valid": (signature_header(SECRET, BODY, NOW), BODY, NOW, True),
    "valid 299 s later": (signature_header(SECRET, BODY, NOW), BODY, NOW + 299, True),
    "valid 300 s later": (signature_header(SECRET, BODY, NOW), BODY, NOW + 300, True),
    "301 s later": (signature_header(SECRET, BODY, NOW), BODY, NOW + 301, False),
    "301 s early": (signature_header(SECRET, BODY, NOW), BODY, NOW - 301, False),
    "body changed": (signature_header(SECRET, BODY, NOW), BODY + b" ", NOW, False),
    "other secret": (signature_header("whsec_other", BODY, NOW), BODY, NOW, False),
    "timestamp changed": (
        signature_header(SECRET, BODY, NOW).replace("t=1790000000", "t=1790000001"),
        BODY,
        NOW,
        False,
    ),
    "one of two signatures matches": (
        f"t={NOW},v1={'0' * 64},v1={digest(SECRET, NOW, BODY)}",
        BODY,
        NOW,
        True,
    ),
    "no signature": (f"t={NOW}", BODY, NOW, False),
    "no timestamp": (f"v1={digest(SECRET, NOW, BODY)}", BODY, NOW, False),
    "empty header": ("", BODY, NOW, False),
}


@pytest.mark.parametrize(("header", "body", "now", "valid"), CASES.values(), ids=list(CASES))
def test_the_helper_and_the_readme_snippet_accept_and_refuse_the_same_deliveries(
    header: str, body: bytes, now: float, valid: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    snippet = readme_snippet()
    monkeypatch.setattr("time.time", lambda: now)

    assert snippet(SECRET, header, body) is valid
    if valid:
        assert verify(SECRET, header, body, now=now) == NOW
    else:
        with pytest.raises(SignatureError):
            verify(SECRET, header, body, now=now)


def test_secrets_are_prefixed_and_never_repeat() -> None:
    secrets = {new_secret() for _ in range(100)}

    assert len(secrets) == 100
    assert all(secret.startswith("whsec_") and len(secret) == 49 for secret in secrets)
