"""Generated secrets: random, unambiguous characters (no 0/O, 1/l/I)."""

from __future__ import annotations

import secrets

UNAMBIGUOUS = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def password_generate(length: int = 12) -> str:
    while True:
        password = "".join(secrets.choice(UNAMBIGUOUS) for _ in range(length))
        # At least one letter of each case and a digit, so every validator accepts it.
        if (any(c.islower() for c in password) and any(c.isupper() for c in password)
                and any(c.isdigit() for c in password)):
            return password
