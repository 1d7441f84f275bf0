"""Installs the features that react to writes (deal rules, stage history, notifications) on a backend.

Example:
    >>> from leadflow_emulators.zoho.models import ZohoBackend
    >>> ZohoBackend().features.watches.channels
    {}
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from leadflow_emulators.zoho.models.activities import prepare_activity
from leadflow_emulators.zoho.models.attachments import Attachments
from leadflow_emulators.zoho.models.deals import StageHistory, prepare_deal, stage_history_module, stage_picklist_extras
from leadflow_emulators.zoho.models.functions import Functions
from leadflow_emulators.zoho.models.mail import Outbox
from leadflow_emulators.zoho.models.metadata import ModuleMeta
from leadflow_emulators.zoho.models.notifications import Watches

if TYPE_CHECKING:
    from leadflow_emulators.zoho.models.backend import ZohoBackend


def with_features(modules: dict[str, ModuleMeta]) -> dict[str, ModuleMeta]:
    """The standard modules plus what the features add: Stage_History, the stages' forecast metadata."""
    history = stage_history_module()
    modules[history.api_name] = history
    modules["Deals"].fields["Stage"].pick_list_extras = stage_picklist_extras()
    return modules


@dataclass
class Features:
    """What the features keep per org: notification channels, attachments, functions, mails."""

    watches: Watches
    attachments: Attachments
    functions: Functions
    mail: Outbox

    def reset(self) -> None:
        self.watches.reset()
        self.attachments.clear()
        self.functions.clear()
        self.mail.clear()


def install(backend: ZohoBackend) -> Features:
    """Register the write hooks; returns the features' own state."""
    watches = Watches(backend)
    backend.hooks.before.append(prepare_deal)
    backend.hooks.before.append(partial(prepare_activity, backend))
    backend.hooks.after.append(StageHistory(backend))
    backend.hooks.after.append(watches.observe)
    backend.hooks.on_commit.append(watches.committed)
    return Features(watches, Attachments(backend.ids.next_id), Functions(), Outbox())
