"""After an action the page opens at the item it changed, with the message in that item (issue 14):
no message lost above the screen, no item jumping far below; an upload says "document added"."""



from .cast import sign_up
from .conftest import csrf_from
from .documents_support import PDF, _empty_document_store, upload  # noqa: F401


def _item(html: str, anchor: str) -> str:
    start = html.index(f'id="{anchor}"')
    return html[start:html.index("</li>", start)]


def _top(html: str) -> str:
    return html[html.index('<main'):html.index("<h1")]


def _anchor(ctx, rule_id: str) -> str:
    from companion.services import agenda_refs

    with ctx():
        return agenda_refs.anchor(rule_id)


def test_c_est_fait_opens_the_agenda_at_the_item_with_the_message_in_it(web, ctx, claire):
    url = f"/p/{claire}/agenda"
    resp = web.post(f"{url}/DO_BREAST/done", {"done_on": "2026-01-05"}, from_url=url)
    assert resp.location.endswith(f"{url}#{_anchor(ctx, 'DO_BREAST')}")
    html = web.get(url).get_data(as_text=True)
    assert 'data-rule="DO_BREAST"' in _item(html, _anchor(ctx, "DO_BREAST"))
    assert "C’est noté comme fait. Merci\u00a0!" in _item(html, _anchor(ctx, "DO_BREAST"))
    assert "Merci" not in _top(html)
    assert "Merci" not in web.get(url).get_data(as_text=True)  # shown once


def test_the_offline_queue_is_told_where_to_open_the_page(client, ctx, claire):
    url = f"/p/{claire}/agenda"
    token = csrf_from(client.get(url).get_data(as_text=True))
    headers = {"X-CSRFToken": token, "Idempotency-Key": "m" * 20, "Accept": "application/json"}
    resp = client.post(f"{url}/DO_COLORECTAL/done", json={"done_on": "2026-02-01"}, headers=headers)
    assert resp.get_json()["url"] == f"{url}#{_anchor(ctx, 'DO_COLORECTAL')}"


def test_a_new_reminder_opens_the_agenda_at_it_with_the_message(web, claire):
    url = f"/p/{claire}/agenda"
    resp = web.post(f"{url}/reminders/new", {"kind": "appointment", "title": "Dentiste", "day": "2030-01-02",
                                             "at": "09:00", "repeat": ""}, from_url=f"{url}/reminders/new")
    assert resp.status_code == 302 and "#reminder-" in resp.location
    anchor = resp.location.split("#")[1]
    html = web.get(url).get_data(as_text=True)
    assert "Rappel ajouté." in _item(html, anchor) and "Rappel ajouté." not in _top(html)


def test_an_upload_by_script_still_says_document_added(web, ctx):
    pid = sign_up(web, ctx)
    resp = upload(web, pid, PDF, json=True)
    assert resp.status_code == 201
    assert "Document ajouté." in web.get(resp.get_json()["url"]).get_data(as_text=True)


def test_the_workers_copy_of_a_page_does_not_take_the_message_the_person_is_about_to_read(web, ctx, claire):
    """Right after "C'est fait", the phone's worker may be copying the card, the counter or the agenda for
    offline use (it says so with X-Companion-Copy). That copy shows no message and leaves it for the page
    the person opens; nor is the message kept in the offline copy."""
    url = f"/p/{claire}/agenda"
    web.post(f"{url}/DO_BREAST/done", {"done_on": "2026-01-05"}, from_url=url)
    for copied in (f"/p/{claire}/emergency", f"/p/{claire}/counter", url):
        page = web.get(copied, headers={"X-Companion-Copy": "any"}).get_data(as_text=True)
        assert "Merci" not in page, copied
    assert "C’est noté comme fait. Merci\u00a0!" in _item(web.get(url).get_data(as_text=True),
                                                     _anchor(ctx, "DO_BREAST"))
