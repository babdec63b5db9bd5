"""Near-duplicates planted in a demo database, and the ground truth to judge a finder by.

Each planted record copies a chosen customer the way a second visit to the desk would:
the name mistyped (one letter wrong, missing, doubled or swapped), its words swapped
(surname first), a middle name dropped or added, sometimes in capitals; the phone typed
in another form (``0803 …``, ``+234 …``, ``234…``) or a new number; the date of birth
given again or left out. It is added through ``addProviderCustomer`` itself, so every
value passes the operations' own rules (the phone is stored in E.164 as it would be).
Every planted record shares a phone or a date of birth with its original: that is the
issue's definition of a pair to find.

Ground truth: the planted pairs, plus the demo's own records that are one person by any
evidence a person could use: the same name key and the same date of birth (the demo
draws names from short lists, so a few exist). Records are grouped by those links
(a planted copy of someone who already has a twin is the twin's duplicate too); a pair
found is right when both records are in one group. Anything else the finder reports
among the demo's own records (relatives sharing a phone with similar names) counts
against its precision.
"""

from __future__ import annotations

import datetime as dt
import random
import string
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from pharmdesk.controllers.session import DeskSession
from pharmdesk.controllers.validation import search_key
from pharmdesk.demo import DEFAULT_SEED, demo_phone
from pharmdesk.errors import DUPLICATE, PharmDeskError
from pharmdesk.resources import load_json
from pharmdesk.store.schema import Customer

PHONE_FORMS = ("0{p} {a} {b}", "0{p}{a}{b}", "+234 {p} {a} {b}", "234{p}{a}{b}", "0{p}-{a}-{b}")
NEW_PHONES_FROM = 9_000_000  # demo phones are numbered from 1; these are never used


@dataclass(frozen=True)
class Planted:
    original: int
    copy: int
    kind: str  # how the name was changed


@dataclass(frozen=True)
class Score:
    found: int
    planted_found: int
    planted: int
    right: int

    @property
    def recall(self) -> float:
        return self.planted_found / self.planted if self.planted else 1.0

    @property
    def precision(self) -> float:
        return self.right / self.found if self.found else 1.0


def typo(word: str, rng: random.Random) -> str:
    """One slip of the finger, never on the first letter."""
    while True:
        at = rng.randrange(1, len(word))
        kind = rng.choice(("swap", "drop", "double", "wrong"))
        if kind == "swap" and at < len(word) - 1:
            made = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
        elif kind == "drop":
            made = word[:at] + word[at + 1 :]
        elif kind == "double":
            made = word[:at] + word[at] + word[at:]
        else:
            made = word[:at] + rng.choice(string.ascii_lowercase) + word[at + 1 :]
        if made.lower() != word.lower():
            return made


def vary_name(name: str, rng: random.Random, middle_names: list[str]) -> tuple[str, str]:
    words = name.split()
    kind = rng.choices(("typo", "swap", "middle", "swapTypo"), (45, 25, 15, 15))[0]
    if kind in ("typo", "swapTypo"):
        long_words = [i for i, w in enumerate(words) if len(w) >= 4]
        at = rng.choice(long_words) if long_words else 0
        words[at] = typo(words[at], rng)
    if kind in ("swap", "swapTypo"):
        words = [words[-1], *words[:-1]]
    if kind == "middle":
        if len(words) > 2:
            del words[1]
        else:
            extra = rng.choice([m for m in middle_names if m.lower() not in name.lower()])
            words.insert(1, extra)
    made = " ".join(words)
    if rng.random() < 0.1:
        made = made.upper()
    return made, kind


def plant(desk: DeskSession, count: int, seed: int = 11) -> list[Planted]:
    """Add ``count`` near-duplicates of distinct active customers; returns the pairs."""
    rng = random.Random(seed)
    with desk.db.transaction() as tx:
        people = tx.execute(
            select(Customer.id, Customer.name, Customer.phone, Customer.date_of_birth)
            .where(Customer.archived.is_(False))
            .order_by(Customer.id)
        ).all()
    names = load_json("demo-names.json")["firstNames"]
    middle_names = sorted({n for pool in names.values() for n in pool})
    planted = []
    for number, person in enumerate(rng.sample(people, count)):
        planted.append(_plant_one(desk, person, number, rng, middle_names))
    return planted


def _plant_one(
    desk: DeskSession, person: Any, number: int, rng: random.Random, middle_names: list[str]
) -> Planted:
    for _attempt in range(20):
        name, kind = vary_name(person.name, rng, middle_names)
        evidence = rng.choices(("both", "phone", "birth"), (40, 30, 30))[0]
        if person.date_of_birth is None:
            evidence = "phone"
        digits = person.phone.removeprefix("+234")
        prefix, mid, last = digits[:3], digits[3:6], digits[6:]
        if evidence == "birth":
            prefix, mid, last = demo_phone(NEW_PHONES_FROM + number, DEFAULT_SEED)
        params: dict[str, Any] = {
            "name": name,
            "phone": rng.choice(PHONE_FORMS).format(p=prefix, a=mid, b=last),
        }
        if evidence != "phone":
            params["dateOfBirth"] = person.date_of_birth.isoformat()
        try:
            answer = desk.call("addProviderCustomer", params)
        except PharmDeskError as exc:
            if exc.code != DUPLICATE:  # the variant is a relative's name on that phone
                raise
            continue
        return Planted(person.id, int(answer["customerId"][5:]), kind)
    raise AssertionError("no variant of this name could be added")


def truth_groups(desk: DeskSession, planted: list[Planted]) -> dict[int, int]:
    """Each customer's group (the lowest id of the records that are one person)."""
    parent: dict[int, int] = {}

    def root(n: int) -> int:
        while parent.get(n, n) != n:
            n = parent[n]
        return n

    def join(a: int, b: int) -> None:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    copies = {p.copy for p in planted}
    twins: dict[tuple[str, dt.date], list[int]] = defaultdict(list)
    with desk.db.transaction() as tx:
        rows = tx.execute(
            select(Customer.id, Customer.name_key, Customer.date_of_birth).where(
                Customer.archived.is_(False), Customer.date_of_birth.is_not(None)
            )
        )
        for number, key, birth in rows:
            if number not in copies:
                twins[(search_key(key), birth)].append(number)
    for members in twins.values():
        for other in members[1:]:
            join(members[0], other)
    for p in planted:
        join(p.original, p.copy)
    members = {n for group in twins.values() if len(group) > 1 for n in group}
    members |= {n for p in planted for n in (p.original, p.copy)}
    return {n: root(n) for n in members}


def judge(pairs: list[tuple[int, int]], planted: list[Planted], groups: dict[int, int]) -> Score:
    found = set(pairs)
    wanted = {(min(p.original, p.copy), max(p.original, p.copy)) for p in planted}
    right = sum(1 for a, b in found if a in groups and groups[a] == groups.get(b))
    return Score(len(found), len(found & wanted), len(wanted), right)
