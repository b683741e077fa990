"""Receipt codes: entropy, readability, forgiving input, slow salted storage."""

from __future__ import annotations

import re

import pytest

from storage.receipts import (
    ALPHABET,
    FAST_PREFIX,
    RECEIPT_BITS,
    format_receipt,
    hash_receipt,
    lookup_id,
    new_receipt,
    normalize,
    verify_receipt,
)

KEY = b"k" * 32


def test_receipt_has_at_least_80_bits_in_an_unambiguous_alphabet() -> None:
    assert RECEIPT_BITS >= 80
    assert len(ALPHABET) == 32 and not set("ILOU") & set(ALPHABET)
    codes = {new_receipt() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) * 5 >= 80 and set(code) <= set(ALPHABET)


def test_format_groups_by_four() -> None:
    assert re.fullmatch(r"([0-9A-Z]{4}-){3}[0-9A-Z]{4}", format_receipt(new_receipt()))


def test_normalize_forgives_case_separators_and_lookalikes() -> None:
    code = "7KQ2MX9D41B0ZR8W"
    assert normalize("7kq2 mx9d-4lb o zr8w") == code
    assert normalize(" 7KQ2-MX9D-4IBO-ZR8W\n") == code
    assert normalize(format_receipt(code)) == code


def test_normalize_rejects_wrong_length_and_symbols() -> None:
    assert normalize("7KQ2-MX9D-41B0") is None
    assert normalize("7KQ2-MX9D-41B0-ZR8W-X") is None
    assert normalize("7KQ2-MX9D-41B0-ZR8U") is None  # U is not in the alphabet
    assert normalize("") is None


def test_stored_hash_verifies_only_the_right_code() -> None:
    code = new_receipt()
    stored = hash_receipt(code, KEY)
    assert code.encode() not in stored.hash + stored.salt + stored.lookup
    assert verify_receipt(code, stored)
    other = new_receipt()
    assert not verify_receipt(other, stored)
    assert not verify_receipt(None, stored)
    assert not verify_receipt(code, None)


def test_hash_is_salted_and_lookup_depends_on_the_key() -> None:
    code = new_receipt()
    first, second = hash_receipt(code, KEY), hash_receipt(code, KEY)
    assert first.salt != second.salt and first.hash != second.hash
    assert first.lookup == second.lookup == lookup_id(code, KEY)
    assert lookup_id(code, b"x" * 32) != first.lookup


def test_a_fast_hash_verifies_only_the_right_code_and_says_what_it_is() -> None:
    code = new_receipt()
    stored = hash_receipt(code, KEY, slow=False)
    assert stored.hash.startswith(FAST_PREFIX) and len(stored.hash) == 33
    assert code.encode() not in stored.hash + stored.salt + stored.lookup
    assert verify_receipt(code, stored, slow=False)
    assert not verify_receipt(new_receipt(), stored, slow=False)
    assert not verify_receipt(None, stored, slow=False)
    assert not verify_receipt(code, None, slow=False)
    again = hash_receipt(code, KEY, slow=False)
    assert again.salt != stored.salt and again.hash != stored.hash  # salted


def test_a_code_hashed_slowly_before_still_verifies_where_codes_are_now_hashed_fast() -> None:
    code = new_receipt()
    legacy = hash_receipt(code, KEY)  # scrypt, as deletion codes were stored at first
    assert not legacy.hash.startswith(FAST_PREFIX)
    assert verify_receipt(code, legacy, slow=False)
    assert not verify_receipt(new_receipt(), legacy, slow=False)



def test_a_slow_hash_that_happens_to_start_like_a_fast_one_is_still_checked_slowly(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A scrypt hash is random bytes: one in 256 starts with the fast hashes' prefix byte.
    # This salt (found by search) gives this code such a hash.
    import storage.receipts as receipts

    code = "7KQ2MX9D4T1BZR8W"
    monkeypatch.setattr(receipts.secrets, "token_bytes", lambda n: (58).to_bytes(n, "big"))
    stored = hash_receipt(code, KEY)
    assert stored.hash.startswith(FAST_PREFIX) and len(stored.hash) == 32
    assert verify_receipt(code, stored)
    assert verify_receipt(code, stored, slow=False)
    assert not verify_receipt(new_receipt(), stored, slow=False)
