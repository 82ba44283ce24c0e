"""Billing's KPIs as facts for the analytics app (carebond/core/kpis.py, docs/billing.md,
"KPIs"): the statements that went to patients, and how long billing questions waited for an
answer. Like a statement itself, no fact names a provider, a place or anything clinical: a
statement has no location, and the dimensions are the patient's language and age band (and,
for questions, the channel they came by).

- statements sent: one per statement, on its statement date, unless it was cancelled or is
  still with the insurer (the patient has not been billed yet). An insurer's answer can come
  weeks later and turns a statement into one the patient got, so a day's count may grow for
  ``STATEMENT_SETTLE_DAYS``;
- billing question answer time: messaging's time to answer a question on the billing topic
  (carebond/messaging/kpi_selectors.py, ``topic_answer_time_facts``), in office hours.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from carebond.billing.models import BillingStatement, StatementStatus
from carebond.billing.selectors import TOPIC
from carebond.core.kpis import Kpi, KpiFact, KpiKind
from carebond.messaging.kpi_selectors import topic_answer_time_facts
from carebond.people.kpi_selectors import age_band, language_of

STATEMENT_SETTLE_DAYS = 30
_NOT_SENT = (StatementStatus.CANCELLED, StatementStatus.WITH_INSURER)


def statements_sent_facts(organization_id: int, first: date, last: date) -> Iterator[KpiFact]:
    rows = (
        BillingStatement.objects.filter(
            organization_id=organization_id, statement_date__range=(first, last)
        )
        .exclude(status__in=_NOT_SENT)
        .values(
            "statement_date", "patient_id", "patient__birth_date", "patient__preferred_language"
        )
        .order_by()
    )
    for row in rows.iterator(chunk_size=5000):
        day = row["statement_date"]
        yield KpiFact(
            day=day,
            location_id=None,
            dimensions={
                "language": language_of(row["patient__preferred_language"] or ""),
                "age_band": age_band(row["patient__birth_date"], day),
            },
            n=0.0,
            x=1.0,
            person_id=row["patient_id"],
        )


question_answer_time_facts = topic_answer_time_facts(TOPIC)


def billing_kpis() -> list[Kpi]:
    """Billing's KPIs, in the order the overview shows them."""
    return [
        Kpi(
            key="billing.statements_sent",
            title="Statements sent",
            unit="statements",
            definition=(
                "Patients' billing statements dated in the period, by statement date: not "
                "cancelled, and no longer only with the insurer (one still with the insurer "
                "counts once the insurer has said what the patient owes)."
            ),
            kind=KpiKind.COUNT,
            facts=statements_sent_facts,
            app_label="billing",
            group="Billing",
            dimensions=("language", "age_band"),
            higher_is_better=None,
            settle_days=STATEMENT_SETTLE_DAYS,
            order=35,
        ),
        Kpi(
            key="billing.question_answer_time",
            title="Billing question answer time",
            unit="office hours",
            definition=(
                "Office hours from a billing question coming into the inbox to staff answering "
                "it (their first reply in the conversation, or closing it), on average, counted "
                "on the day it came in. Questions not answered within 14 days are not in the "
                "average."
            ),
            kind=KpiKind.MEAN,
            facts=question_answer_time_facts,
            app_label="billing",
            group="Billing",
            dimensions=("channel", "language", "age_band"),
            higher_is_better=False,
            settle_days=15,
            order=36,
        ),
    ]
