"""The onboarding profile step writes the person's own birth date and sex: owners only ("manage")."""

from . import Case

CASES = [
    Case("onboarding.profile_step", "manage"),
    Case("onboarding.profile_step", "manage", method="POST",
         data=lambda world: {"birth_date": "1960-02-03", "sex": "F"}),
    Case("onboarding.resume", "manage"),
]
