"""What every page's form shares: an action's error shown beside the field it names."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms

from carebond.core.errors import CareBondError


def show_error(
    form: forms.BaseForm, error: CareBondError, *, aliases: Mapping[str, str] | None = None
) -> None:
    """Put the error beside its field, or at the top of the form when the form has no such
    field. ``aliases`` names the form's field for an action's field ("phone" -> "value")."""
    field = (aliases or {}).get(error.field or "", error.field)
    form.add_error(field if field in form.fields else None, error.message)
