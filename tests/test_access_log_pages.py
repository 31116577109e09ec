"""The access log's pages by position (keyset on the entry id, services/access_log.page): entries written
at the same instant are each shown once, in order; entries pruned between two pages (the retention
job) neither break the next page nor come back; every page costs the same statements."""

import re
from datetime import timedelta

from companion.extensions import db
from companion.models.types import utcnow
from companion.services import access_log, accounts, audit

from .cast import make_person, sign_up
from .conftest import Browser
from .statements import counted

OLDER = re.compile(r'href="([^"]+)" rel="next"')


def _labels(html: str) -> list[int]:
    return [int(n) for n in re.findall(r"entrée n°(\d+)", html)]


def _log(ctx, pid: int, numbers, at) -> None:
    with ctx():
        for n in numbers:
            audit.record(actor=None, actor_role="system", action="profile.view", profile_id=pid,
                         object_label=f"entrée n°{n}", at=at)
        db.session.commit()


def test_entries_of_one_instant_each_show_once_and_pruned_ones_do_not_break_the_next_page(app, ctx):
    louis = Browser(app.test_client())
    pid = sign_up(louis, ctx, "louis")
    _log(ctx, pid, range(1, 61), utcnow() - timedelta(days=800))  # past a year's retention
    _log(ctx, pid, range(61, 131), utcnow() - timedelta(hours=1))  # 70 at the very same instant
    first = louis.get(f"/p/{pid}/access-log").get_data(as_text=True)
    assert _labels(first) == list(range(130, 80, -1))
    with ctx():  # the retention job runs between the two pages
        assert access_log.prune(12) >= 60
        db.session.commit()
    seen, url = _labels(first), OLDER.search(first).group(1)
    while url:
        html = louis.get(url.replace("&amp;", "&")).get_data(as_text=True)
        seen += _labels(html)
        found = OLDER.search(html)
        url = found and found.group(1)
    assert seen == list(range(130, 60, -1))  # each recent entry once, in order; nothing pruned comes back


def test_every_page_of_a_long_log_costs_the_same_statements(app, ctx):
    louis = Browser(app.test_client())
    pid = sign_up(louis, ctx, "louis")
    _log(ctx, pid, range(1, 261), utcnow() - timedelta(hours=2))
    url, costs = f"/p/{pid}/access-log", []
    while url:
        louis.get(url)
        with counted(app) as sql:
            html = louis.get(url).get_data(as_text=True)
        costs.append(len(sql))
        found = OLDER.search(html)
        url = found and found.group(1).replace("&amp;", "&")
    assert len(costs) >= 6 and len(set(costs[1:-1])) == 1, costs


def test_a_profiles_log_and_its_accounts_are_merged_newest_first_each_entry_once(app, ctx):
    """Her profile's entries and her account's security events are read as two ranges and merged: the
    pages both ways show every entry once, in order, an entry that names both included."""
    with ctx():
        anna = make_person("anna")
        pid, uid = accounts.own_profile(anna).id, anna.id
        at = utcnow() - timedelta(hours=1)
        for n in range(1, 131):
            whose = [{"profile_id": pid}, {"account_id": uid}, {"profile_id": pid, "account_id": uid}][n % 3]
            audit.record(actor=None, actor_role="system", action="profile.view", object_label=f"n{n}",
                         at=at, **whose)
        audit.record(actor=None, actor_role="system", action="profile.view", profile_id=pid + 1, at=at)
        db.session.commit()
        mine = access_log.Filters(profile_ids=(pid,), account_id=uid)
        pages, before = [], None
        while True:
            found = access_log.page(mine, before=before, size=50)
            pages.append([e.object_label for e in found.events])
            if not found.older:
                break
            before = found.older
        assert [len(p) for p in pages] == [50, 50, 30]
        assert sum(pages, []) == [f"n{n}" for n in range(130, 0, -1)]
        back = access_log.page(mine, after=found.events[0].id, size=50)  # "newer" from the last page
        assert [e.object_label for e in back.events] == pages[1] and back.newer and back.older
        top = access_log.page(mine, after=back.events[0].id, size=50)  # "newer" again: the first page
        assert [e.object_label for e in top.events] == pages[0] and top.newer is None and top.older
        assert access_log.page(mine, size=50).newer is None
        exactly = access_log.page(mine, before=back.events[-1].id, size=30)
        assert len(exactly.events) == 30 and exactly.older is None  # the last 30: nothing older


def test_the_who_filter_lists_each_person_once_by_the_name_they_now_bear(app, ctx):
    with ctx():
        anna, louis, karim = make_person("anna"), make_person("louis"), make_person("karim")
        pid = accounts.own_profile(anna).id
        for actor, role in ((louis, "caregiver"), (karim, "mediator"), (louis, "caregiver")):
            audit.record(actor=actor, actor_role=role, action="profile.view", profile_id=pid)
        louis.display_name = "Louis Martin-Durand"  # renamed since his first entries
        audit.record(actor=louis, actor_role="caregiver", action="profile.view", profile_id=pid)
        audit.record(actor=None, actor_role="system", action="profile.view", profile_id=pid)
        audit.record(actor=anna, actor_role="owner", action="account.login", account_id=anna.id)
        audit.record(actor=karim, actor_role="mediator", action="profile.view", profile_id=pid + 1)
        db.session.commit()
        listed = access_log.actors(access_log.Filters(profile_ids=(pid,), account_id=anna.id))
        assert {a for a, _ in listed} == {anna.id, louis.id, karim.id}
        assert dict(listed)[louis.id] == "Louis Martin-Durand"
        assert [n.lower() for _, n in listed] == sorted(n.lower() for _, n in listed)  # by name
        assert len(listed) == 3  # each once; the system's entries name nobody
        assert access_log.actors(access_log.Filters(profile_ids=(pid,))) == sorted(
            [(louis.id, "Louis Martin-Durand"), (karim.id, karim.display_name)], key=lambda r: r[1].lower())
