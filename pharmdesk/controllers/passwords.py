"""The password rule (NIST SP 800-63B), in one place for init, staff and changes.

At least 15 characters, up to 1,024, any characters (NFKC-normalised), no composition
rules; refused when it is on the bundled list of common or breached passwords, is one
character repeated, or is just the username.
"""

from __future__ import annotations

import secrets
import unicodedata
from functools import cache

from pharmdesk.errors import PharmDeskError, validation
from pharmdesk.resources import resource_path

MIN_LENGTH = 15
MAX_LENGTH = 1024
ONE_TIME_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no l/1, o/0: read aloud or off paper
ONE_TIME_GROUPS = 4
ONE_TIME_GROUP_LEN = 4
RULE = (
    f"Use at least {MIN_LENGTH} characters. A few unrelated words with spaces make a good "
    "password; any characters are allowed. Common passwords are refused."
)


@cache
def common_passwords() -> frozenset[str]:
    path = resource_path("common-passwords.txt")
    with path.open(encoding="utf-8") as handle:
        return frozenset(
            line.strip().casefold() for line in handle if line.strip() and not line.startswith("#")
        )


def check_new_password(password: str, *, username: str = "", field: str = "password") -> str:
    """Return the normalised password or raise a ``VALIDATION_ERROR`` on ``field``."""
    if not isinstance(password, str):
        raise validation("The password must be text.", field)
    normalised = unicodedata.normalize("NFKC", password)
    if len(normalised) < MIN_LENGTH:
        raise validation(
            f"The password is too short: use at least {MIN_LENGTH} characters "
            f"(it has {len(normalised)}).",
            field,
        )
    if len(normalised) > MAX_LENGTH:
        raise validation(f"The password is too long: at most {MAX_LENGTH} characters.", field)
    folded = normalised.casefold()
    if folded in common_passwords():
        raise validation(
            "That password is on the list of common or leaked passwords. Choose another.",
            field,
        )
    if len(set(folded)) <= 2:
        raise validation("The password repeats the same characters. Choose another.", field)
    if username and folded.replace(" ", "") in {username.casefold() * n for n in range(1, 10)}:
        raise validation("The password cannot be your username. Choose another.", field)
    return normalised


def generate_one_time_password() -> str:
    """Four groups of four (about 79 bits), easy to read out: ``k7qm-x2pa-9fhz-wd3e``."""
    while True:
        groups = [
            "".join(secrets.choice(ONE_TIME_ALPHABET) for _ in range(ONE_TIME_GROUP_LEN))
            for _ in range(ONE_TIME_GROUPS)
        ]
        candidate = "-".join(groups)
        try:
            return check_new_password(candidate)
        except PharmDeskError:  # astronomically unlikely (e.g. one repeated letter)
            continue
