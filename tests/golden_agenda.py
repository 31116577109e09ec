"""The golden table: people, what they had done and when, a day -> exactly what the agenda says.

Each case was written from the calendar text (the source codes are those of
companion/prevention/SOURCES.md: S1 the 2025 vaccination calendar as restated by the GP reference site,
with its section; P1-P9 the official notices; M1-M3 the screening programmes; B1 Mon bilan prévention;
D1 M'T dents) and is compared as whole sets, so an item showing up where it should not fails too:
- late: "overdue"; due: "to do now"; done: done, or counted as done through the item that covers it;
- upcoming: "coming" and opening within 12 months of the day (a dose waiting for the one before it
  counts from its own opening age), as the page's "Coming in the next 12 months";
- not_recommended: past a hard upper age of the calendar, or a later dose of a series never started
  in time: never late, never reminded.
Items in none of these are "passed" (window closed), "not applicable" (sex, pregnancy) or later in life.
"""

from dataclasses import dataclass, field
from datetime import date

D = date.fromisoformat
# Every later-life item a person past 27 with no HPV or MenACWY dose sees as no longer recommended.
TEEN_STOPPED = "ADO_HPV ADO_HPV_2 ADO_MENACWY ADO_MENACWY_CATCHUP HPV_CATCHUP HPV_CATCHUP_2 HPV_CATCHUP_3"


@dataclass(frozen=True)
class Case:
    key: str
    sex: str
    birth: str
    today: str
    source: str  # the calendar's words and where they are
    done: dict = field(default_factory=dict)  # rule id -> ISO date it was done
    late: str = ""
    due: str = ""
    upcoming: str = ""
    done_items: str = ""
    not_recommended: str = ""
    next_due: dict = field(default_factory=dict)  # rule id -> ISO date of the next one, when it matters


CASES = [
    # --- HPV: 2 doses at 11-14, catch-up 3 doses from 15 to 26 inclusive, then nothing ---
    Case("hpv_woman_26_last_day", "F", "1999-11-24", "2026-11-23",
         "P3 (service-public A18252): HPV catch-up 'jusqu'à 26 ans révolus' for everyone since 2025; "
         "S2 'Vaccination HPV': 3 doses M0-M2-M6 from 15 years. On the last day of 26 it is still due.",
         late="ADU_DTCAP_25", due="DO_CERVICAL_CYTO HPV_CATCHUP",
         upcoming="DO_CERVICAL_CYTO_2 HPV_CATCHUP_2 HPV_CATCHUP_3",
         not_recommended="ADO_HPV ADO_HPV_2 ADO_MENACWY ADO_MENACWY_CATCHUP"),
    Case("hpv_woman_27th_birthday", "F", "1999-11-23", "2026-11-23",
         "P3: the catch-up stops at 26 inclusive: from the 27th birthday no HPV dose is recommended "
         "(the push sent to a woman of 31 in issue 13 is the bug this prevents).",
         late="ADU_DTCAP_25", due="DO_CERVICAL_CYTO", upcoming="DO_CERVICAL_CYTO_2",
         not_recommended=TEEN_STOPPED),
    Case("hpv_woman_31", "F", "1995-06-01", "2026-11-23",
         "P3: no HPV catch-up at 31; M2 (arrêté 2020-08-15): from 30, an HPV test every 5 years.",
         due="DO_CERVICAL_HPV", not_recommended=TEEN_STOPPED),
    Case("man_19_nothing", "M", "2007-06-01", "2026-11-23",
         "S1 'Âges limites du rattrapage': MenACWY up to 24, single dose if not given at 11-14 (P4); "
         "P3 HPV catch-up for boys too; the 11-14 doses are replaced by their catch-ups, not late; "
         "B1 bilan 18-25; D1 M'T dents every year to 24.",
         due="ADO_MENACWY_CATCHUP HPV_CATCHUP MBP_18_25 MTD_ANNUAL", upcoming="HPV_CATCHUP_2 HPV_CATCHUP_3",
         not_recommended="ADO_HPV ADO_HPV_2 ADO_MENACWY"),
    Case("man_19_teen_doses", "M", "2007-06-01", "2026-11-23",
         "S1 table '11-14 ans: HPV Gardasil9 M0-M6, Méningo ACWY': both done at 12-13, so no catch-up "
         "(a dose given covers the catch-up of it).",
         done={"ADO_HPV": "2019-09-01", "ADO_HPV_2": "2020-04-01", "ADO_MENACWY": "2020-04-01",
               "ADO_DTCAP": "2019-09-01"},
         due="MBP_18_25 MTD_ANNUAL",
         done_items="ADO_DTCAP ADO_HPV ADO_HPV_2 ADO_MENACWY ADO_MENACWY_CATCHUP HPV_CATCHUP HPV_CATCHUP_2 "
                    "HPV_CATCHUP_3"),
    Case("girl_16_hpv_dose1_at_14", "F", "2010-06-01", "2026-11-23",
         "S1 'Rattrapage vaccinal': 'il n'est pas nécessaire de recommencer... reprendre au stade où il a "
         "été interrompu': dose 1 at 14, dose 2 still due at 16; no 3-dose catch-up.",
         done={"ADO_HPV": "2025-03-01"}, late="ADO_DTCAP", due="ADO_HPV_2 ADO_MENACWY_CATCHUP MTD_ANNUAL",
         done_items="ADO_HPV HPV_CATCHUP HPV_CATCHUP_2 HPV_CATCHUP_3", not_recommended="ADO_MENACWY"),
    Case("girl_12_nothing", "F", "2014-05-10", "2026-11-23",
         "S1 table: 11-13 dTcaPolio; 11-14 HPV (2 doses 6 months apart) and MenACWY; D1 M'T dents.",
         due="ADO_DTCAP ADO_HPV ADO_MENACWY MTD_ANNUAL", upcoming="ADO_HPV_2"),
    Case("boy_11th_birthday", "M", "2015-11-23", "2026-11-23",
         "S1 table: the 11-14 vaccines open on the 11th birthday.",
         done={"ENF_DTCAP_6": "2021-12-01", "MTD_ANNUAL": "2026-01-10"},
         due="ADO_DTCAP ADO_HPV ADO_MENACWY", upcoming="ADO_HPV_2", done_items="ENF_DTCAP_6 MTD_ANNUAL",
         next_due={"MTD_ANNUAL": "2027-01-10"}),
    Case("boy_eve_of_15", "M", "2011-11-24", "2026-11-23",
         "S1 table: HPV and MenACWY at 11-14: on the last day of 14 still due; catch-ups open tomorrow.",
         late="ADO_DTCAP", due="ADO_HPV ADO_MENACWY MTD_ANNUAL",
         upcoming="ADO_HPV_2 ADO_MENACWY_CATCHUP HPV_CATCHUP HPV_CATCHUP_2 HPV_CATCHUP_3"),
    Case("boy_15th_birthday", "M", "2011-11-23", "2026-11-23",
         "P3/S2: from 15 the HPV schedule is 3 doses (catch-up); P4: MenACWY catch-up from 15.",
         late="ADO_DTCAP", due="ADO_MENACWY_CATCHUP HPV_CATCHUP MTD_ANNUAL",
         upcoming="HPV_CATCHUP_2 HPV_CATCHUP_3", not_recommended="ADO_HPV ADO_HPV_2 ADO_MENACWY"),
    Case("hpv_catchup_dose1_at_26y10m", "F", "1999-09-01", "2026-11-23",
         "P3 catch-up begun at 26; S1 'Rattrapage vaccinal': a series begun is completed, not restarted: "
         "dose 2 (M2) is due after the 27th birthday, dose 3 waits for it.",
         done={"HPV_CATCHUP": "2026-07-01"}, late="ADU_DTCAP_25", due="DO_CERVICAL_CYTO HPV_CATCHUP_2",
         upcoming="DO_CERVICAL_CYTO_2 HPV_CATCHUP_3", done_items="HPV_CATCHUP",
         not_recommended="ADO_HPV ADO_HPV_2 ADO_MENACWY ADO_MENACWY_CATCHUP"),
    Case("man_40_teen_hpv_dose1_only", "M", "1986-06-01", "2026-11-23",
         "P3: no HPV vaccination after 26: a teen series left at dose 1 is not resumed at 40 (the "
         "dose 2 shown due, and reminded, for life would be wrong); the dose still covers the catch-up.",
         done={"ADO_HPV": "2000-09-01", "ADU_DTCAP_25": "2011-07-01"},
         done_items="ADO_HPV ADU_DTCAP_25 HPV_CATCHUP HPV_CATCHUP_2 HPV_CATCHUP_3",
         not_recommended="ADO_HPV_2 ADO_MENACWY ADO_MENACWY_CATCHUP"),
    Case("hpv_catchup_dose3_spacing", "M", "2010-01-15", "2026-11-10",
         "S2 'Vaccination HPV' M0-M2-M6, and at least 3 months between doses 2 and 3: dose 2 given late "
         "on 20 August moves dose 3 to 20 November (not 1 November, 6 months after dose 1).",
         done={"HPV_CATCHUP": "2026-05-01", "HPV_CATCHUP_2": "2026-08-20"}, late="ADO_DTCAP",
         due="ADO_MENACWY_CATCHUP MTD_ANNUAL", upcoming="HPV_CATCHUP_3",
         done_items="HPV_CATCHUP HPV_CATCHUP_2",
         not_recommended="ADO_HPV ADO_HPV_2 ADO_MENACWY"),
    # --- MenACWY catch-up up to 24 ---
    Case("menacwy_eve_of_25", "F", "2001-11-24", "2026-11-23",
         "S1 'Âges limites du rattrapage': Méningocoque ACWY 24 ans: still due on the last day of 24.",
         done={"HPV_CATCHUP": "2017-01-10", "HPV_CATCHUP_2": "2017-03-10", "HPV_CATCHUP_3": "2017-07-10"},
         due="ADO_MENACWY_CATCHUP MBP_18_25 MTD_ANNUAL",
         upcoming="ADU_DTCAP_25 DO_CERVICAL_CYTO DO_CERVICAL_CYTO_2",
         done_items="HPV_CATCHUP HPV_CATCHUP_2 HPV_CATCHUP_3",
         not_recommended="ADO_HPV ADO_HPV_2 ADO_MENACWY"),
    Case("menacwy_25th_birthday", "M", "2001-11-23", "2026-11-23",
         "S1/P4: the MenACWY catch-up stops at 24: no longer recommended at 25; P5 dTcaPolio at 25.",
         due="ADU_DTCAP_25 HPV_CATCHUP MBP_18_25", upcoming="HPV_CATCHUP_2 HPV_CATCHUP_3",
         not_recommended="ADO_HPV ADO_HPV_2 ADO_MENACWY ADO_MENACWY_CATCHUP"),
    # --- dTPolio: 25, 45, 65, then 75, 85, 95 (fixed ages) ---
    Case("dtp_eve_of_25", "M", "2001-11-24", "2026-11-23",
         "P5 / S1 table '25 ans dTcaPolio': at 24 the booster is coming, from the birthday.",
         done={"ADO_MENACWY_CATCHUP": "2020-01-01"}, due="HPV_CATCHUP MBP_18_25 MTD_ANNUAL",
         upcoming="ADU_DTCAP_25 HPV_CATCHUP_2 HPV_CATCHUP_3", done_items="ADO_MENACWY_CATCHUP",
         not_recommended="ADO_HPV ADO_HPV_2 ADO_MENACWY"),
    Case("man_45th_birthday", "M", "1981-11-23", "2026-11-23",
         "P5 / S1 table '45 ans dTPolio'; B1 bilan 45-50.",
         done={"ADU_DTCAP_25": "2006-12-01"}, due="ADU_DTP_45 MBP_45_50", done_items="ADU_DTCAP_25",
         not_recommended=TEEN_STOPPED),
    Case("dtp_80_none_since_65", "M", "1946-03-01", "2026-11-23",
         "P5: after 65 a booster at 75, 85...: the one of 75 was missed, it is to do now. P6 pneumococcal "
         "and P7 shingles from 65, P8 RSV from 75, P9 flu and COVID in the autumn campaign.",
         done={"ADU_DTP_65": "2011-03-15"},
         due="ADU_COVID_AUTUMN ADU_DTP_10Y ADU_FLU ADU_PNEUMO ADU_RSV_75 ADU_ZOSTER",
         upcoming="ADU_COVID_SPRING ADU_ZOSTER_2", done_items="ADU_DTP_65", not_recommended=TEEN_STOPPED),
    Case("dtp_done_at_80_now_82", "F", "1944-05-02", "2026-11-23",
         "P5 fixed ages 75, 85, 95: a booster done late at 80 is followed by the one at 85, not at 90.",
         done={"ADU_DTP_10Y": "2024-06-01"},
         due="ADU_COVID_AUTUMN ADU_FLU ADU_PNEUMO ADU_RSV_75 ADU_ZOSTER",
         upcoming="ADU_COVID_SPRING ADU_ZOSTER_2", done_items="ADU_DTP_10Y", not_recommended=TEEN_STOPPED,
         next_due={"ADU_DTP_10Y": "2029-05-02"}),
    Case("dtp_done_at_80_eve_of_85", "M", "1941-11-24", "2026-11-23",
         "P5: done at 80, the next booster is on the 85th birthday, tomorrow.",
         done={"ADU_DTP_10Y": "2021-12-01"},
         due="ADU_COVID_AUTUMN ADU_FLU ADU_PNEUMO ADU_RSV_75 ADU_ZOSTER",
         upcoming="ADU_COVID_SPRING ADU_ZOSTER_2", done_items="ADU_DTP_10Y", not_recommended=TEEN_STOPPED,
         next_due={"ADU_DTP_10Y": "2026-11-24"}),
    Case("dtp_done_at_80_85th_birthday", "M", "1941-11-23", "2026-11-23",
         "P5: on the 85th birthday the booster is to do now.",
         done={"ADU_DTP_10Y": "2021-12-01"},
         due="ADU_COVID_AUTUMN ADU_DTP_10Y ADU_FLU ADU_PNEUMO ADU_RSV_75 ADU_ZOSTER",
         upcoming="ADU_COVID_SPRING ADU_ZOSTER_2", not_recommended=TEEN_STOPPED),
    Case("woman_80_covid_spring", "F", "1946-02-02", "2026-05-10",
         "P9: spring COVID booster from 80 (April-June); P5: a booster done on time at 75 is next at 85.",
         done={"ADU_COVID_SPRING": "2025-04-20", "ADU_DTP_10Y": "2021-03-01"},
         due="ADU_COVID_SPRING ADU_PNEUMO ADU_RSV_75 ADU_ZOSTER",
         upcoming="ADU_COVID_AUTUMN ADU_FLU ADU_ZOSTER_2", done_items="ADU_DTP_10Y",
         not_recommended=TEEN_STOPPED, next_due={"ADU_DTP_10Y": "2031-02-02"}),
    # --- Shingles: 2 doses 2 months apart from 65 ---
    Case("zoster_dose1_a_month_ago", "M", "1960-02-01", "2026-11-23",
         "P7 (HAS 2024-02-29) / S1 'Shingrix M0-M2': dose 2 two months after dose 1. P5: the booster "
         "of 65 missed is late, not too late.",
         done={"ADU_ZOSTER": "2026-10-20"}, late="ADU_DTP_65",
         due="ADU_COVID_AUTUMN ADU_FLU ADU_PNEUMO DO_COLORECTAL", upcoming="ADU_ZOSTER_2",
         done_items="ADU_ZOSTER", not_recommended=TEEN_STOPPED),
    Case("zoster_eve_of_dose2", "F", "1960-02-01", "2026-11-19",
         "P7: two months after 20 September is 20 November: the day before, dose 2 is still coming.",
         done={"ADU_ZOSTER": "2026-09-20"}, late="ADU_DTP_65",
         due="ADU_COVID_AUTUMN ADU_FLU ADU_PNEUMO DO_BREAST DO_COLORECTAL", upcoming="ADU_ZOSTER_2",
         done_items="ADU_ZOSTER", not_recommended=TEEN_STOPPED),
    Case("zoster_dose2_day", "F", "1960-02-01", "2026-11-20",
         "P7: on the day two months after dose 1, dose 2 is to do now.",
         done={"ADU_ZOSTER": "2026-09-20"}, late="ADU_DTP_65",
         due="ADU_COVID_AUTUMN ADU_FLU ADU_PNEUMO ADU_ZOSTER_2 DO_BREAST DO_COLORECTAL",
         done_items="ADU_ZOSTER", not_recommended=TEEN_STOPPED),
    Case("zoster_both_done", "M", "1958-01-01", "2026-11-23",
         "P7: 2 doses and nothing more.",
         done={"ADU_ZOSTER": "2025-01-10", "ADU_ZOSTER_2": "2025-03-20"}, late="ADU_DTP_65",
         due="ADU_COVID_AUTUMN ADU_FLU ADU_PNEUMO DO_COLORECTAL", done_items="ADU_ZOSTER ADU_ZOSTER_2",
         not_recommended=TEEN_STOPPED),
    # --- Cervical screening: 25-29 two cytologies a year apart then every 3 years; 30-65 HPV test ---
    Case("cervical_eve_of_25", "F", "2001-11-24", "2026-11-23",
         "M2/M3 (arrêté 2020-08-15): cytology from 25: coming tomorrow.",
         due="ADO_MENACWY_CATCHUP HPV_CATCHUP MBP_18_25 MTD_ANNUAL",
         upcoming="ADU_DTCAP_25 DO_CERVICAL_CYTO DO_CERVICAL_CYTO_2 HPV_CATCHUP_2 HPV_CATCHUP_3",
         not_recommended="ADO_HPV ADO_HPV_2 ADO_MENACWY"),
    Case("cervical_25th_birthday", "F", "2001-11-23", "2026-11-23",
         "M2: first cytology from the 25th birthday; the second waits for it.",
         due="ADU_DTCAP_25 DO_CERVICAL_CYTO HPV_CATCHUP MBP_18_25",
         upcoming="DO_CERVICAL_CYTO_2 HPV_CATCHUP_2 HPV_CATCHUP_3",
         not_recommended="ADO_HPV ADO_HPV_2 ADO_MENACWY ADO_MENACWY_CATCHUP"),
    Case("cervical_26_eve_of_second_cyto", "F", "2000-05-01", "2026-05-31",
         "M2: 'deux examens cytologiques à un an d'intervalle': the second one a year after the first.",
         done={"DO_CERVICAL_CYTO": "2025-06-01"}, late="ADU_DTCAP_25", due="HPV_CATCHUP",
         upcoming="DO_CERVICAL_CYTO_2 HPV_CATCHUP_2 HPV_CATCHUP_3", done_items="DO_CERVICAL_CYTO",
         not_recommended="ADO_HPV ADO_HPV_2 ADO_MENACWY ADO_MENACWY_CATCHUP"),
    Case("cervical_26_second_cyto_due", "F", "2000-05-01", "2026-11-23",
         "M2: the second cytology, a year after the first, is to do now.",
         done={"DO_CERVICAL_CYTO": "2025-06-01"}, late="ADU_DTCAP_25", due="DO_CERVICAL_CYTO_2 HPV_CATCHUP",
         upcoming="HPV_CATCHUP_2 HPV_CATCHUP_3", done_items="DO_CERVICAL_CYTO",
         not_recommended="ADO_HPV ADO_HPV_2 ADO_MENACWY ADO_MENACWY_CATCHUP"),
    Case("cervical_27_two_cytos", "F", "1999-08-01", "2026-11-23",
         "M2: 'puis 3 ans après si normaux': counted from the second cytology (September 2025 -> 2028).",
         done={"DO_CERVICAL_CYTO": "2024-09-01", "DO_CERVICAL_CYTO_2": "2025-09-05"}, late="ADU_DTCAP_25",
         done_items="DO_CERVICAL_CYTO DO_CERVICAL_CYTO_2", not_recommended=TEEN_STOPPED,
         next_due={"DO_CERVICAL_CYTO": "2028-09-05"}),
    Case("cervical_30th_birthday_last_cyto_28", "F", "1996-11-23", "2026-11-23",
         "M2: from 30, the HPV test comes 3 years after the last normal cytology (Feb 2024 -> Feb 2027).",
         done={"DO_CERVICAL_CYTO": "2023-01-05", "DO_CERVICAL_CYTO_2": "2024-02-01"}, late="ADU_DTCAP_25",
         upcoming="DO_CERVICAL_HPV", done_items="DO_CERVICAL_CYTO DO_CERVICAL_CYTO_2",
         not_recommended=TEEN_STOPPED),
    Case("cervical_30th_birthday_none", "F", "1996-11-23", "2026-11-23",
         "M2: from the 30th birthday, an HPV test; the cytologies of 25-29 are past.",
         late="ADU_DTCAP_25", due="DO_CERVICAL_HPV", not_recommended=TEEN_STOPPED),
    # --- Infants (S1 table '2 mois', '3 mois', '4 mois'...; P1 MenB and MenACWY since 2025) ---
    Case("baby_4_months_nothing", "F", "2026-07-10", "2026-11-23",
         "S1 table: 2 months DTCaP-Hib-HB, pneumococcal, rotavirus; 3 months MenB (P1): a month past "
         "their date they are late; the 4-month doses wait for them.",
         late="NRS_HEXA_1 NRS_MENB_1 NRS_PCV_1 NRS_ROTA",
         upcoming="NRS_HEXA_2 NRS_HEXA_R NRS_MENACWY_1 NRS_MENACWY_R NRS_MENB_2 NRS_MENB_R NRS_PCV_2 "
                  "NRS_PCV_R NRS_ROR_1 NRS_ROR_2"),
    Case("baby_4_months_2m_doses", "M", "2026-07-10", "2026-11-23",
         "S1 table '4 mois': second doses at least 2 months after the first; MenB 2 two months after "
         "the first, given late in October (P1).",
         done={"NRS_HEXA_1": "2026-09-12", "NRS_PCV_1": "2026-09-12", "NRS_ROTA": "2026-09-12",
               "NRS_MENB_1": "2026-10-12"},
         due="NRS_HEXA_2 NRS_PCV_2",
         upcoming="NRS_HEXA_R NRS_MENACWY_1 NRS_MENACWY_R NRS_MENB_2 NRS_MENB_R NRS_PCV_R NRS_ROR_1 "
                  "NRS_ROR_2",
         done_items="NRS_HEXA_1 NRS_MENB_1 NRS_PCV_1 NRS_ROTA"),
    Case("child_6", "F", "2020-09-01", "2026-11-23",
         "S1 table '6 ans DTCaPolio'; D1 M'T dents every year.",
         done={"NRS_HEXA_1": "2020-11-01", "NRS_HEXA_2": "2021-01-01", "NRS_HEXA_R": "2021-08-01",
               "NRS_PCV_1": "2020-11-01", "NRS_PCV_2": "2021-01-01", "NRS_PCV_R": "2021-08-01",
               "NRS_ROR_1": "2021-09-02", "NRS_ROR_2": "2022-01-05", "NRS_ROTA": "2020-11-01",
               "NRS_MENB_1": "2020-12-01", "NRS_MENB_2": "2021-02-01", "NRS_MENB_R": "2021-09-02",
               "NRS_MENACWY_1": "2021-03-01", "NRS_MENACWY_R": "2021-09-02", "MTD_ANNUAL": "2026-02-01"},
         due="ENF_DTCAP_6",
         done_items="MTD_ANNUAL NRS_HEXA_1 NRS_HEXA_2 NRS_HEXA_R NRS_MENACWY_1 NRS_MENACWY_R NRS_MENB_1 "
                    "NRS_MENB_2 NRS_MENB_R NRS_PCV_1 NRS_PCV_2 NRS_PCV_R NRS_ROR_1 NRS_ROR_2 NRS_ROTA"),
    # --- Adults: screening programmes, check-ups, 65+ ---
    Case("woman_52", "F", "1974-03-12", "2026-11-23",
         "M1 mammography every 2 years 50-74; S3 colorectal FIT every 2 years 50-74 (done 2025); "
         "M2 HPV test every 5 years (done 2024).",
         done={"DO_COLORECTAL": "2025-03-14", "DO_CERVICAL_HPV": "2024-02-01"}, due="DO_BREAST",
         done_items="DO_CERVICAL_HPV DO_COLORECTAL", not_recommended=TEEN_STOPPED,
         next_due={"DO_COLORECTAL": "2027-03-14", "DO_CERVICAL_HPV": "2029-02-01"}),
    Case("woman_50th_birthday", "F", "1976-11-23", "2026-11-23",
         "M1 and S3: breast and colorectal screening open on the 50th birthday.",
         done={"DO_CERVICAL_HPV": "2023-01-01", "ADU_DTP_45": "2021-12-01", "MBP_45_50": "2022-01-01"},
         due="DO_BREAST DO_COLORECTAL", done_items="ADU_DTP_45 DO_CERVICAL_HPV MBP_45_50",
         not_recommended=TEEN_STOPPED),
    Case("born_29_february", "F", "1976-02-29", "2026-02-28",
         "M1: from 50; born on 29 February, the birthday is 28 February in other years. P5: the booster "
         "of 45 missed is late.",
         late="ADU_DTP_45", due="DO_BREAST DO_CERVICAL_HPV DO_COLORECTAL MBP_45_50",
         not_recommended=TEEN_STOPPED),
    Case("man_67_flu_season", "M", "1959-05-04", "2026-11-23",
         "P9 flu and COVID mid-October to end of February; P6 pneumococcal and P7 shingles from 65; "
         "P5 booster of 65 missed: late.",
         late="ADU_DTP_65", due="ADU_COVID_AUTUMN ADU_FLU ADU_PNEUMO ADU_ZOSTER DO_COLORECTAL",
         upcoming="ADU_ZOSTER_2", not_recommended=TEEN_STOPPED),
    Case("man_67_june", "M", "1959-05-04", "2026-06-01",
         "P9: out of the campaign, flu and COVID are coming on 15 October.",
         late="ADU_DTP_65", due="ADU_PNEUMO ADU_ZOSTER DO_COLORECTAL",
         upcoming="ADU_COVID_AUTUMN ADU_FLU ADU_ZOSTER_2", not_recommended=TEEN_STOPPED),
    Case("man_65th_birthday_in_campaign", "M", "1961-11-23", "2026-11-23",
         "P5 booster at 65, P6, P7, P9: all open on the 65th birthday inside the campaign; B1 bilan 60-65.",
         due="ADU_COVID_AUTUMN ADU_DTP_65 ADU_FLU ADU_PNEUMO ADU_ZOSTER DO_COLORECTAL MBP_60_65",
         upcoming="ADU_ZOSTER_2", not_recommended=TEEN_STOPPED),
    Case("woman_eve_of_75", "F", "1951-11-24", "2026-11-23",
         "M1/S3: screening to 74 inclusive, the next one would fall after 75, so none; P5 booster at 75 "
         "and P8 RSV from 75: coming tomorrow.",
         done={"DO_BREAST": "2025-01-15", "DO_COLORECTAL": "2025-02-01", "ADU_ZOSTER": "2025-01-05",
               "ADU_ZOSTER_2": "2025-03-05", "ADU_PNEUMO": "2025-01-05", "ADU_FLU": "2026-10-20",
               "ADU_COVID_AUTUMN": "2026-10-20", "ADU_DTP_65": "2016-12-01", "MBP_70_75": "2023-05-01"},
         upcoming="ADU_DTP_10Y ADU_RSV_75",
         done_items="ADU_COVID_AUTUMN ADU_DTP_65 ADU_FLU ADU_PNEUMO ADU_ZOSTER ADU_ZOSTER_2 DO_BREAST "
                    "DO_COLORECTAL MBP_70_75",
         not_recommended=TEEN_STOPPED, next_due={"ADU_FLU": "2027-10-15"}),
    Case("woman_75th_birthday", "F", "1951-11-23", "2026-11-23",
         "M1/S3: no organised screening from 75 (passed); P5 booster at 75; B1 bilan 70-75 still open.",
         done={"DO_BREAST": "2025-01-15", "DO_COLORECTAL": "2025-02-01"},
         due="ADU_COVID_AUTUMN ADU_DTP_10Y ADU_FLU ADU_PNEUMO ADU_RSV_75 ADU_ZOSTER MBP_70_75",
         upcoming="ADU_ZOSTER_2", done_items="DO_BREAST DO_COLORECTAL", not_recommended=TEEN_STOPPED),
]
