"""What the accounts app adds to core's registry: the Users page, the administrator's security
panel and the session scan."""

from __future__ import annotations

from datetime import timedelta

from carebond.accounts.panels import security_panel
from carebond.accounts.scans import scan_expired_sessions
from carebond.accounts.selectors import user_names
from carebond.core.permissions import ADMINS
from carebond.core.registry import (
    AuditNames,
    HomePanel,
    NavEntry,
    ScanEntry,
    register_audit_names,
    register_home_panel,
    register_navigation,
    register_scan,
)


def register() -> None:
    register_navigation(NavEntry("Users", "accounts:users", ADMINS, order=80))
    register_audit_names(AuditNames("accounts.user", user_names))
    register_home_panel(
        HomePanel(
            key="accounts.security",
            title="Users and security",
            template="accounts/panels/security.html",
            policy=ADMINS,
            context=security_panel,
            order=10,
        )
    )
    register_scan(ScanEntry("scan_expired_sessions", scan_expired_sessions, timedelta(hours=1)))
