"""The pure agenda engine against the rule table (no database): table-driven."""

from datetime import date

import pytest

from companion.prevention import RuleError, load_rules, parse
from companion.services.agenda import Facts, History, add_months, agenda

RULES = load_rules()


def statuses(birth, sex, today, history=None):
    items = agenda(Facts(birth, sex), RULES, history or {}, today)
    return {it.id: it for it in items}


DAY = date(2026, 11, 23)

CASES = [
    # (who, birth, sex, today, history, {rule: expected status})
    ("woman born 1973: screenings due, 45-50 check-up passed", date(1973, 3, 12), "F", DAY, {},
     {"DO_BREAST": "due", "DO_COLORECTAL": "due", "MBP_45_50": "passed", "DO_CERVICAL_HPV": "due",
      "DO_CERVICAL_CYTO": "passed", "MBP_60_65": "coming", "ADU_FLU": "coming"}),
    ("man of 67: flu in season, shingles, pneumococcal, 65 booster", date(1959, 5, 4), "M", DAY, {},
     {"ADU_FLU": "due", "ADU_ZOSTER": "due", "ADU_PNEUMO": "due", "ADU_DTP_65": "overdue",
      "DO_BREAST": "not_applicable", "DO_COLORECTAL": "due", "MBP_70_75": "coming", "MBP_60_65": "passed"}),
    ("man of 67 out of flu season: flu is coming", date(1959, 5, 4), "M", date(2026, 6, 1), {},
     {"ADU_FLU": "coming", "ADU_ZOSTER": "due", "ADU_PNEUMO": "due"}),
    ("turning 65 during the flu campaign: flu opens on the birthday", date(1961, 12, 1), "M", DAY, {},
     {"ADU_FLU": "coming", "ADU_PNEUMO": "coming"}),
    ("infant of 4 months, nothing recorded", date(2026, 7, 10), "F", DAY, {},
     {"NRS_HEXA_1": "overdue", "NRS_PCV_1": "overdue", "NRS_MENB_1": "overdue",
      "NRS_HEXA_2": "coming", "NRS_MENACWY_1": "coming", "DO_BREAST": "coming"}),
    ("infant of 4 months, 2-month doses done", date(2026, 7, 10), "F", DAY,
     {"NRS_HEXA_1": History(done_on=date(2026, 9, 12)), "NRS_PCV_1": History(done_on=date(2026, 9, 12)),
      "NRS_MENB_1": History(done_on=date(2026, 10, 12))},
     {"NRS_HEXA_1": "done", "NRS_HEXA_2": "due", "NRS_PCV_2": "due", "NRS_MENB_2": "coming"}),
    ("cervical: cytology at 29", date(1997, 11, 24), "F", DAY, {},
     {"DO_CERVICAL_CYTO": "due", "DO_CERVICAL_HPV": "coming"}),
    ("cervical: HPV test from the 30th birthday", date(1996, 11, 23), "F", DAY, {},
     {"DO_CERVICAL_CYTO": "passed", "DO_CERVICAL_HPV": "due"}),
    ("breast: the day before the 50th birthday", date(1976, 11, 24), "F", DAY, {}, {"DO_BREAST": "coming"}),
    ("breast: on the 50th birthday", date(1976, 11, 23), "F", DAY, {}, {"DO_BREAST": "due"}),
    ("breast: last day at 74 (max inclusive)", date(1951, 11, 24), "F", DAY, {}, {"DO_BREAST": "due"}),
    ("breast: on the 75th birthday", date(1951, 11, 23), "F", DAY, {}, {"DO_BREAST": "passed"}),
    ("born 29 February: window opens 28 February", date(1976, 2, 29), "F", date(2026, 2, 28), {},
     {"DO_BREAST": "due"}),
    ("man: no breast or cervical screening", date(1970, 1, 1), "M", DAY, {},
     {"DO_BREAST": "not_applicable", "DO_CERVICAL_HPV": "not_applicable"}),
    ("pregnancy items are situational", date(1990, 1, 1), "F", DAY, {}, {"PREG_PERTUSSIS": "not_applicable"}),
    ("not for me", date(1973, 3, 12), "F", DAY, {"DO_BREAST": History(dismissed=True, reason="mastectomy")},
     {"DO_BREAST": "not_for_me"}),
    ("snoozed", date(1973, 3, 12), "F", DAY, {"DO_BREAST": History(snoozed_until=date(2027, 1, 1))},
     {"DO_BREAST": "snoozed", "DO_COLORECTAL": "due"}),
    ("no birth date: nothing applies", None, "F", DAY, {}, {"DO_BREAST": "not_applicable"}),
]


@pytest.mark.parametrize("who,birth,sex,today,history,expected", CASES, ids=[c[0] for c in CASES])
def test_agenda_statuses(who, birth, sex, today, history, expected):
    items = statuses(birth, sex, today, history)
    got = {rid: items[rid].status for rid in expected}
    assert got == expected


@pytest.mark.parametrize("rule,done,today,status,next_due", [
    ("DO_BREAST", date(2026, 1, 10), DAY, "done", date(2028, 1, 10)),  # every 2 years from the date done
    ("DO_BREAST", date(2024, 10, 1), DAY, "due", None),  # done over 2 years ago: due again
    ("DO_BREAST", date(2024, 6, 1), date(2026, 9, 2), "overdue", None),  # 3 months late
    ("ADU_FLU", date(2026, 10, 20), DAY, "done", date(2027, 10, 15)),  # yearly, next campaign
    ("ADU_FLU", date(2025, 11, 2), DAY, "due", None),  # last season's shot: due again in this campaign
    ("DO_COLORECTAL", date(2025, 3, 1), DAY, "done", date(2027, 3, 1)),
    ("DO_CERVICAL_HPV", date(2026, 2, 1), DAY, "done", date(2031, 2, 1)),  # every 5 years
    # Fixed ages 75, 85, 95 (calendar 2025, P5): done at 75 and a month, the next is on the 85th birthday.
    ("ADU_DTP_10Y", date(2034, 6, 1), date(2035, 1, 1), "done", date(2044, 5, 4)),
])
def test_done_dates_move_recurring_items(rule, done, today, status, next_due):
    birth = date(1959, 5, 4) if rule in ("ADU_FLU", "ADU_DTP_10Y") else date(1973, 3, 12)
    sex = "M" if rule in ("ADU_FLU", "ADU_DTP_10Y") else "F"
    item = statuses(birth, sex, today, {rule: History(done_on=done)})[rule]
    assert (item.status, item.next_due_on) == (status, next_due)


def test_hpv_test_comes_three_years_after_last_cytology():
    items = statuses(date(1996, 6, 1), "F", DAY, {"DO_CERVICAL_CYTO": History(done_on=date(2025, 5, 1))})
    assert items["DO_CERVICAL_HPV"].status == "coming"
    assert items["DO_CERVICAL_HPV"].due_on == date(2028, 5, 1)


def test_second_dose_waits_for_the_first_and_keeps_spacing():
    items = statuses(date(2026, 7, 10), "F", DAY, {})
    assert items["NRS_MENB_2"].waits_for == "NRS_MENB_1"
    late = statuses(date(2026, 7, 10), "F", DAY, {"NRS_MENB_1": History(done_on=date(2026, 11, 1))})
    assert late["NRS_MENB_2"].due_on == date(2027, 1, 1)  # 2 months after dose 1, not at 5 months


def test_add_months_clamps_month_ends():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)


def test_every_rule_has_a_source_and_checked_date():
    for rule in RULES.values():
        assert rule.source and rule.checked.year >= 2025 and rule.label_fr and rule.label_en


HEADER = ("rule_id,kind,label_fr,label_en,sex,min_age,max_age,hard_max,ages,interval,dose,after,covered_by,"
          "note_fr,note_en,status,source,verified,season,checked\n")


@pytest.mark.parametrize("row,message", [
    ("X,vaccine,a,b,all,2q,,,,,,,,,,s,S1,yes,,2026-01-01", "min_age"),
    ("X,vaccine,a,b,all,50y,40y,,,,,,,,,s,S1,yes,,2026-01-01", "below"),
    ("X,vaccine,a,b,all,2m,,,,P0Y,,,,,,s,S1,yes,,2026-01-01", "interval"),
    ("X,vaccine,a,b,all,2m,,,,every year,,,,,,s,S1,yes,,2026-01-01", "interval"),
    ("X,potion,a,b,all,2m,,,,,,,,,,s,S1,yes,,2026-01-01", "kind"),
    ("X,vaccine,a,b,all,2m,,,,,,NOPE+2m,,,,s,S1,yes,,2026-01-01", "unknown rule"),
    ("X,vaccine,a,b,all,2m,,,,,,,,,,s,S1,yes,02-30/03-01,2026-01-01", "day"),
    ("X,vaccine,a,b,all,2m,,,,,,,,,,s,S1,yes,,yesterday", "checked"),
])
def test_loader_refuses_bad_rows(row, message):
    with pytest.raises((RuleError, ValueError), match=message):
        parse((HEADER + row + "\n").splitlines(keepends=True))


@pytest.mark.parametrize("row,message", [
    ("X,vaccine,a,b,all,15y,26y,maybe,,,,,,,,s,S1,yes,,2026-01-01", "hard_max"),
    ("X,vaccine,a,b,all,15y,,yes,,,,,,,,s,S1,yes,,2026-01-01", "hard_max needs"),
    ("X,vaccine,a,b,all,75y,,,85y;75y,,,,,,,s,S1,yes,,2026-01-01", "ages must go up"),
    ("X,vaccine,a,b,all,75y,,,75y;85y,P10Y,,,,,,s,S1,yes,,2026-01-01", "not both"),
    ("X,vaccine,a,b,all,65y,,,,,3/2,,,,,s,S1,yes,,2026-01-01", "dose"),
    ("X,vaccine,a,b,all,65y,,,,,2/2,,,,,s,S1,yes,,2026-01-01", "needs `after`"),
    ("X,vaccine,a,b,all,65y,,,,,,,NOPE,,,s,S1,yes,,2026-01-01", "covered_by"),
    ("X,vaccine,a,b,all,65y,,,,,,,X,,,s,S1,yes,,2026-01-01", "covered_by"),
    ("X,vaccine,a,b,all,65y,,,,,2/2,Y+2m,,,,s,S1,yes,,2026-01-01\n"
     "Y,vaccine,a,b,all,65y,,,,,1/2,,,,,s,S1,yes,,2026-01-01", "must come above"),
])
def test_loader_refuses_bad_links_and_series(row, message):
    with pytest.raises(RuleError, match=message):
        parse((HEADER + row + "\n").splitlines(keepends=True))


def test_loader_reads_series_links_and_notes_in_both_languages():
    zoster2, hpv3 = RULES["ADU_ZOSTER_2"], RULES["HPV_CATCHUP_3"]
    assert zoster2.dose == (2, 2) and zoster2.after == (("ADU_ZOSTER", 2),)
    assert hpv3.after == (("HPV_CATCHUP", 6), ("HPV_CATCHUP_2", 3)) and hpv3.covered_by == ("ADO_HPV",)
    assert RULES["HPV_CATCHUP"].hard_max and RULES["ADU_DTP_10Y"].ages == (900, 1020, 1140, 1260)
    assert all(bool(r.note_fr) == bool(r.note_en) for r in RULES.values())
    assert zoster2.note("fr").startswith("2 à 6 mois") and zoster2.note("en").startswith("2 to 6 months")


def test_loader_refuses_unknown_columns():
    with pytest.raises(RuleError, match="columns"):
        parse(["rule_id,kind,colour\n", "X,vaccine,red\n"])


def test_flu_opens_on_a_birthday_inside_the_campaign_and_next_october_otherwise():
    assert statuses(date(1961, 12, 1), "M", DAY)["ADU_FLU"].due_on == date(2026, 12, 1)
    assert statuses(date(1961, 4, 1), "M", date(2026, 3, 15))["ADU_FLU"].due_on == date(2026, 10, 15)
