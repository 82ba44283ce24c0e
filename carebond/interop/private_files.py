"""Files that hold PHI (bulk exports, uploads waiting for the worker): readable by the
service's own user only. Folders CareBond creates are 0700 and files 0600, set explicitly so a
lax umask (022 gives 0755 and 0644) never makes them readable by other local users."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def make_private_folder(path: Path) -> Path:
    """Create the folder and any missing parents as 0700. A folder that already exists keeps
    its mode (an operator's choice); what CareBond writes inside is private anyway."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        folder.mkdir(mode=FOLDER_MODE, exist_ok=True)
        os.chmod(folder, FOLDER_MODE)  # mkdir's mode is filtered through the umask
    return path


def open_private(path: Path) -> BinaryIO:
    """A new file for writing, 0600 from the moment it exists (never briefly 0644)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.fchmod(descriptor, FILE_MODE)  # a file that existed before keeps no wider mode
    return os.fdopen(descriptor, "wb")
