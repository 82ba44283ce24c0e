"""Which inbound messages are billing questions: the words people use about a bill, in English
and Spanish, matched as whole words with accents and case folded ("¿Cuánto es mi SALDO?").

A word alone is enough: a question that mentions a bill goes to those who answer bills, and a
wrong guess costs a colleague a glance. The everyday Spanish phrases that use two of the words
for something else ("me di cuenta": I realised; "estoy seguro": I am sure) are left out.
"""

from __future__ import annotations

import re
import unicodedata

BILLING_WORDS = frozenset(
    {
        # English
        "bill",
        "bills",
        "billed",
        "billing",
        "statement",
        "statements",
        "invoice",
        "invoices",
        "charge",
        "charges",
        "charged",
        "payment",
        "payments",
        "pay",
        "paid",
        "insurance",
        "copay",
        "copays",
        "co pay",
        "co pays",
        "balance",
        "balances",
        # Spanish
        "factura",
        "facturas",
        "facturacion",
        "cuenta",
        "cuentas",
        "cobro",
        "cobros",
        "cobraron",
        "cobrar",
        "pago",
        "pagos",
        "pagar",
        "seguro",
        "seguros",
        "saldo",
        "saldos",
    }
)
# Phrases where a billing word means something else.
NOT_BILLING = (
    "me di cuenta",
    "te diste cuenta",
    "se dio cuenta",
    "nos dimos cuenta",
    "darme cuenta",
    "dado cuenta",
    "en cuenta",
    "estoy seguro",
    "estoy segura",
    "no estoy seguro",
    "no estoy segura",
    "seguro que si",
    "por seguro",
    "a cuenta de",
)


def folded(text: str) -> str:
    """Lower case, accents and punctuation gone, spaces collapsed: "¿Cuánto?" -> "cuanto"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w\s]", " ", plain).split()).lower()


def is_billing_question(text: str) -> bool:
    """Whether a message's words (an email's subject and body) are about a bill."""
    words = f" {folded(text)} "
    for phrase in NOT_BILLING:
        words = words.replace(f" {phrase} ", " ")
    return any(f" {word} " in words for word in BILLING_WORDS)
