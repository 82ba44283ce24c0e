"""carebond train-noshow: train an organisation's no-show model on its own past visits.

Trains on the earlier three quarters of the history and prints the AUC on the later quarter
(the held-out period), then keeps the model fitted on the whole history. Refuses, saying how
much is needed, when the history is too short. Audited: noshow_model.trained.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from carebond.core.command_options import add_organization_argument, organization_option
from carebond.core.errors import CareBondError
from carebond.scheduling.noshow_actions import check_train_noshow_model


class Command(BaseCommand):
    help = "Train the no-show risk model on the organisation's past visits; print its AUC."

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_organization_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        organization = organization_option(options.get("organization"))
        try:
            model = check_train_noshow_model(organization, acting_user=None, actor_label="cli")
        except CareBondError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            f"Trained on {model.trained_on} visits from {model.history_from:%Y-%m-%d}; "
            f"tested on {model.tested_on} later visits from {model.tested_from:%Y-%m-%d} to "
            f"{model.history_until:%Y-%m-%d}.\n"
            f"AUC on the held-out period: {model.auc:.3f}\n"
            f"Missed-visit rate: {model.base_rate:.1%}. At risk from {model.threshold:.0%}: "
            f"{model.sensitivity:.0%} of the held-out missed visits flagged, {model.ppv:.0%} of "
            "those flagged missed."
        )
