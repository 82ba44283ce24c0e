"""The demo's billing: the practice-management system's statement export of the last four
months, imported through the same CSV import as the page (patients by MRN; a few open, most
paid, some partly paid, a couple overdue or with the insurer), the front desk named to answer
billing questions, and two billing questions in the inbox by text, one in Spanish: the first
answered by the front desk after a while, the other still waiting."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from carebond.accounts.models import User
from carebond.billing.actions import check_set_billing_handlers
from carebond.billing.import_actions import check_import_statements
from carebond.billing.models import BillingStatement
from carebond.core import clock
from carebond.core.models import Organization
from carebond.demo.messaging import CLINIC_LINE
from carebond.demo.people import DemoPeople
from carebond.messaging.actions import check_reply
from carebond.messaging.inbound_actions import do_receive_text
from carebond.messaging.models import Conversation, Message, Sender, TopicQuestion
from carebond.people.actions import MRN_SYSTEM
from carebond.people.models import ContactSystem, Identifier, Person
from carebond.people.selectors import contact_address, people_reached_at

HEADER = "statement_id,patient_mrn,statement_date,amount_billed,amount_due,status"
CHARGES = (Decimal("95.00"), Decimal("145.00"), Decimal("180.00"), Decimal("240.00"))
# How the statements stand, by weight: most are paid by the time the next export runs.
STATUSES = (("paid", 10), ("open", 5), ("partially_paid", 3), ("overdue", 2), ("with_insurer", 2))
QUESTIONS = (
    ("Hi, I got a statement for $145 but I thought my copay was $25. Can someone check?", 95),
    ("Hola, ¿puedo pagar mi saldo en línea? Gracias", None),
)


def build_billing(
    organization: Organization, *, rng: random.Random, people: DemoPeople, users: dict[str, User]
) -> None:
    if BillingStatement.objects.filter(organization=organization).exists():
        return  # built before: the demo is built once
    check_set_billing_handlers(
        organization, user_ids=[users["frontdesk"].pk], acting_user=users["manager"]
    )
    result = check_import_statements(
        organization,
        statement_export(organization, rng=rng, patients=people.patients).encode(),
        acting_user=users["frontdesk"],
    )
    assert not result.errors, result.errors[:3]
    _billing_questions(organization, rng=rng, patients=people.patients, desk=users["frontdesk"])


def statement_export(
    organization: Organization, *, rng: random.Random, patients: list[Person]
) -> str:
    """The CSV a practice-management system exports: one to three statements for about half
    of the patients, dated over the last four months."""
    mrns = dict(
        Identifier.objects.filter(
            organization=organization, system=MRN_SYSTEM, person__in=patients
        ).values_list("person_id", "value")
    )
    today = clock.now().date()
    lines = [HEADER]
    number = 0
    for patient in patients:
        if patient.pk not in mrns or rng.random() < 0.5:
            continue
        for _ in range(rng.randint(1, 3)):
            number += 1
            day = today - timedelta(days=rng.randint(3, 120))
            lines.append(_line(rng, f"RB-ST-{number:05d}", mrns[patient.pk], day))
    return "\n".join(lines) + "\n"


def _line(rng: random.Random, statement_id: str, mrn: str, day: date) -> str:
    billed = rng.choice(CHARGES)
    status = rng.choices([s for s, _ in STATUSES], weights=[w for _, w in STATUSES])[0]
    share = (billed * Decimal(rng.choice((10, 20, 30))) / 100).quantize(Decimal("0.01"))
    due = {
        "paid": Decimal("0.00"),
        "partially_paid": (share / 2).quantize(Decimal("0.01")),
        "with_insurer": None,
    }.get(status, share)
    return f"{statement_id},{mrn},{day.isoformat()},{billed},{'' if due is None else due},{status}"


def _billing_questions(
    organization: Organization, *, rng: random.Random, patients: list[Person], desk: User
) -> None:
    """Two patients nobody else in the inbox writes for (an English speaker, a Spanish one) ask
    about their bills; the front desk answered the first after it had waited a while (played
    out: the question is moved back to when it came in)."""
    line = Sender.objects.get(organization=organization, address=CLINIC_LINE)
    taken = set(
        Conversation.objects.filter(organization=organization).values_list("person", flat=True)
    )
    shuffled = rng.sample(patients, k=len(patients))
    english = next(p for p in shuffled if p.preferred_language == "en" and _texts_alone(p, taken))
    taken.add(english.pk)
    spanish = next(
        (p for p in shuffled if p.preferred_language.startswith("es") and _texts_alone(p, taken)),
        None,
    ) or next(p for p in shuffled if _texts_alone(p, taken))
    askers = [english, spanish]
    for index, (patient, (words, answered_after)) in enumerate(zip(askers, QUESTIONS, strict=True)):
        text = do_receive_text(
            line,
            from_number=contact_address(patient, system=ContactSystem.PHONE),
            body=words,
            provider_id=f"SMdemo-billing-{index}",
        )
        if answered_after is None or text.conversation is None:
            continue
        came_in = clock.now() - timedelta(minutes=answered_after)
        Message.objects.filter(pk=text.pk).update(
            created_at=came_in, sent_at=came_in, recorded_at=came_in
        )
        TopicQuestion.objects.filter(message=text).update(asked_at=came_in)
        check_reply(
            text.conversation,
            body=f"Hello {patient.given_name}, you are right: your copay is $25. We have "
            "corrected the statement; the new one is on its way. Jordan, front desk",
            acting_user=desk,
            key="demo-billing-answer",
        )


def _texts_alone(person: Person, taken: set[int]) -> bool:
    """Someone with a phone of their own, not yet in the inbox."""
    phone = contact_address(person, system=ContactSystem.PHONE)
    return (
        person.pk not in taken
        and bool(phone)
        and people_reached_at(person.organization_id, system=ContactSystem.PHONE, value=phone)
        == [person]
    )
