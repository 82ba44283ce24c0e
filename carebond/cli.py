"""The `carebond` command: a thin front door to the project's management commands."""

from __future__ import annotations

import os
import sys

# Subcommands shown by `carebond --help`; any other Django management command also works.
COMMANDS: dict[str, str] = {
    "serve": "Run the development web server, or gunicorn with --production.",
    "migrate": "Create or upgrade the database tables.",
    "demo": "Build the demo organisation (--seed, --size small|medium|large) and serve it.",
    "worker": "Run background tasks and periodic scans until stopped (SIGTERM-safe).",
    "createuser": "Create a staff user in an organisation with a role (--role ROLE).",
    "token": "Create, list or revoke API tokens ('token create USERNAME' prints the token).",
    "audit": "Verify the audit hash chain ('audit verify') or export it as FHIR NDJSON.",
    "backup": "Write a sealed, consistent backup of the database to a file (safe while running).",
    "restore": "Restore a backup after checking it; verifies the audit chain and row counts.",
    "check": "Check the configuration ('check --deploy' for production settings).",
    "import-csv": "Import patients or referral sources ('import-csv people FILE --dry-run').",
    "rotate-field-keys": "Re-encrypt encrypted fields with the newest CAREBOND_FIELD_KEYS key.",
    "import-fhir": "Import FHIR R4 Bundles/NDJSON files or folders (--source CONNECTION).",
    "ehr-connection": "List or add EHR connections; tie an API token to one ('tie-token').",
    "export-fhir": "Export the organisation as FHIR R4 NDJSON files into a folder.",
    "ladder": "Analyse laddering interviews ('ladder analyze FILE.csv --json').",
    "train-noshow": "Train the no-show risk model on past visits; print its held-out AUC.",
    "kpis": "Print every KPI's figure for a period (--json, --period, --span, --location).",
}

# Subcommands spelled with a dash on the command line; Django's command modules use '_'.
ALIASES: dict[str, str] = {
    "import-csv": "import_csv",
    "rotate-field-keys": "rotate_field_keys",
    "import-fhir": "import_fhir",
    "ehr-connection": "ehr_connection",
    "export-fhir": "export_fhir",
    "train-noshow": "train_noshow",
}

ENVIRONMENTS = {"dev", "test", "production"}


def settings_module() -> str:
    """CAREBOND_ENV picks the settings (dev by default); DJANGO_SETTINGS_MODULE still wins."""
    env = os.environ.get("CAREBOND_ENV", "dev")
    if env not in ENVIRONMENTS:
        sys.stderr.write(f"CAREBOND_ENV must be one of {sorted(ENVIRONMENTS)}, not {env!r}.\n")
        raise SystemExit(2)
    return f"config.settings.{env}"


def usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = [
        "usage: carebond COMMAND [options]",
        "",
        "CareBond: relationship management for healthcare organisations.",
        "",
        "commands:",
        *(f"  {name.ljust(width)}  {text}" for name, text in COMMANDS.items()),
        "",
        "Run 'carebond COMMAND --help' for a command's options.",
        "Settings: CAREBOND_ENV=dev|test|production, CAREBOND_DATABASE_URL, CAREBOND_SECRET_KEY,",
        "CAREBOND_ALLOWED_HOSTS, CAREBOND_FIELD_KEYS (see README).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in {"-h", "--help", "help"}:
        sys.stdout.write(usage())
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module())
    from django.core.management import execute_from_command_line

    from config.env import ConfigurationError

    args = [ALIASES.get(args[0], args[0]), *args[1:]]
    try:
        execute_from_command_line(["carebond", *args])
    except ConfigurationError as error:
        sys.stderr.write(f"Configuration error: {error}\n")
        raise SystemExit(2) from error


if __name__ == "__main__":
    main()
