"""AES-GCM key ring: round trips, random nonces, failing closed, parsing the ring."""

from __future__ import annotations

import base64

import pytest

from careloop.lib.keyring import DecryptionError, KeyRingError, new_key_spec, parse_key_ring

AAD = "accounts_patient.display_name"
KEY_A = base64.b64encode(bytes(range(32))).decode()
KEY_B = base64.b64encode(bytes(range(32, 64))).decode()


@pytest.mark.parametrize("plaintext", ["Ownpatient Quill", "مريم الحسيني", "feeling 😔 then 🙂", ""])
def test_it_round_trips_text(plaintext: str) -> None:
    ring = parse_key_ring(new_key_spec("k1"))
    stored = ring.encrypt(plaintext, AAD)
    assert stored.startswith("v1:k1:")
    assert ring.decrypt(stored, AAD) == plaintext


def test_it_never_stores_the_plaintext_and_uses_a_fresh_nonce_each_time() -> None:
    ring = parse_key_ring(new_key_spec("k1"))
    first, second = ring.encrypt("Ownpatient Quill", AAD), ring.encrypt("Ownpatient Quill", AAD)
    assert first != second
    assert "Quill" not in first
    assert base64.b64decode(first.split(":")[2])[:12] != base64.b64decode(second.split(":")[2])[:12]


def _flip_one_bit(stored: str) -> str:
    version, kid, token = stored.split(":")
    raw = bytearray(base64.b64decode(token))
    raw[-1] ^= 0x01
    return f"{version}:{kid}:{base64.b64encode(bytes(raw)).decode()}"


def test_it_refuses_tampered_ciphertext() -> None:
    ring = parse_key_ring(new_key_spec("k1"))
    with pytest.raises(DecryptionError):
        ring.decrypt(_flip_one_bit(ring.encrypt("secret", AAD)), AAD)


def test_it_refuses_other_associated_data() -> None:
    ring = parse_key_ring(new_key_spec("k1"))
    with pytest.raises(DecryptionError):
        ring.decrypt(ring.encrypt("secret", AAD), "access_breakglassgrant.reason")


def test_it_refuses_a_value_under_an_unknown_key() -> None:
    writer, reader = parse_key_ring(new_key_spec("k1")), parse_key_ring(new_key_spec("k2"))
    with pytest.raises(DecryptionError, match="k1"):
        reader.decrypt(writer.encrypt("secret", AAD), AAD)


def test_it_refuses_a_value_under_a_different_key_with_the_same_id() -> None:
    writer, reader = parse_key_ring(new_key_spec("k1")), parse_key_ring(new_key_spec("k1"))
    with pytest.raises(DecryptionError):
        reader.decrypt(writer.encrypt("secret", AAD), AAD)


@pytest.mark.parametrize("stored", [
    "", "plaintext", "v1:k1", "v2:k1:AAAA", "v1:k1:not base64!", "v1:k1:", "v1:k1:AAAA",
    "v1:k1:" + base64.b64encode(b"\x00" * 40).decode(),
])
def test_it_refuses_malformed_values_without_returning_them(stored: str) -> None:
    ring = parse_key_ring(f"k1:{KEY_A}")
    with pytest.raises(DecryptionError):
        ring.decrypt(stored, AAD)


def test_the_first_key_is_current_and_older_keys_still_decrypt() -> None:
    old = parse_key_ring(f"k1:{KEY_A}")
    ring = parse_key_ring(f"k2:{KEY_B}, k1:{KEY_A}")
    assert ring.current_kid == "k2"
    stored_under_k1 = old.encrypt("kept", AAD)
    assert ring.decrypt(stored_under_k1, AAD) == "kept"
    assert ring.needs_rotation(stored_under_k1)
    assert not ring.needs_rotation(ring.encrypt("kept", AAD))


@pytest.mark.parametrize(("spec", "message"), [
    ("", "no keys"),
    (" , ", "no keys"),
    ("k1:not*base64", "not valid base64"),
    (f"k1:{base64.b64encode(b'short').decode()}", "must be 32 bytes, got 5"),
    (f"k1:{KEY_A},k1:{KEY_B}", "appears twice"),
    (f":{KEY_A}", "non-empty"),
    (f"k-1:{KEY_A}", "alphanumeric"),
])
def test_it_rejects_malformed_rings(spec: str, message: str) -> None:
    with pytest.raises(KeyRingError, match=message):
        parse_key_ring(spec)


def test_new_key_specs_parse_and_differ() -> None:
    first, second = new_key_spec("n1"), new_key_spec("n1")
    assert first != second
    assert parse_key_ring(first).current_kid == "n1"
