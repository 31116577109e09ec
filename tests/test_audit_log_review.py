"""Access log filters: extreme dates typed in the address bar give the log, not a server error."""

import pytest

from .cast import own_profile_id, registered

EXTREMES = ["until=9999-12-31", "since=0001-01-01", "since=0001-01-01&until=9999-12-31"]


@pytest.mark.parametrize("query", EXTREMES)
def test_extreme_dates_in_the_filter_still_show_the_log(app, ctx, query):
    claire = registered(app, "claire")
    pid = own_profile_id(ctx, "claire")
    page = claire.get(f"/p/{pid}/access-log?{query}")
    assert page.status_code == 200
    assert "Claire Martin (vous)" in page.get_data(as_text=True)
    csv = claire.get(f"/p/{pid}/access-log.csv?{query}")
    assert csv.status_code == 200 and "Claire Martin" in csv.get_data(as_text=True)
