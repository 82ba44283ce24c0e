"""Printing a page to PDF with WeasyPrint (the analytics reports, a patient's copy of their
record): the same HTML as the screen, laid out by the print stylesheet.

WeasyPrint fetches what a page links to (stylesheets, images). A printed page fetches nothing
from the network: charts are ``data:`` URLs, and the only other files it may read are
CareBond's own static files, read from disk. Anything else is refused (and left out of the
PDF). Importing this module imports WeasyPrint (most of a second): import it where a page is
printed, not at the top of a views module."""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from weasyprint import HTML
from weasyprint.document import Document
from weasyprint.urls import URLFetcher, URLFetcherResponse


class ScreenRulesIgnored(logging.Filter):
    """The shared stylesheet's rules for screens (scrolling tables, layouts by window width)
    mean nothing on paper, and WeasyPrint warns of each on every printed page: expected, so they
    are left out of the logs. Every other warning (a refused fetch, a broken image) stays."""

    SCREEN_ONLY = ("Ignored `", "Expected a media type", "Invalid media type")

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.SCREEN_ONLY)


logging.getLogger("weasyprint").addFilter(ScreenRulesIgnored())


class OwnFilesOnly(URLFetcher):  # type: ignore[misc]  # (WeasyPrint ships no type hints)
    """``data:`` URLs and the static files of the page's own origin; nothing else."""

    def __init__(self, origin: str) -> None:
        super().__init__(allowed_protocols=("data", "http", "https"), allow_redirects=False)
        self.origin = origin.rstrip("/")

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)  # decoded in memory by urllib's DataHandler
        path = static_file(url, self.origin)
        if path is None:
            raise ValueError(f"A page is printed from its own files only, not {url}.")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})


def static_file(url: str, origin: str) -> Path | None:
    """The file on disk behind one of our static URLs, or None for any other URL."""
    parts = urlsplit(url)
    own = urlsplit(origin)
    if (parts.scheme, parts.netloc) != (own.scheme, own.netloc):
        return None
    if not parts.path.startswith(settings.STATIC_URL):
        return None
    name = unquote(parts.path.removeprefix(settings.STATIC_URL))
    if ".." in Path(name).parts:
        return None
    collected = Path(settings.STATIC_ROOT) / name
    if collected.is_file():
        return collected
    found = finders.find(name)
    return Path(found) if isinstance(found, str) else None


def html_document(html: str, *, origin: str) -> Document:
    """The laid-out pages of a page's HTML (``origin``: "https://crm.example.org",
    which the page's own links and static files are relative to)."""
    return HTML(string=html, base_url=origin + "/", url_fetcher=OwnFilesOnly(origin)).render()


def html_pdf(html: str, *, origin: str) -> bytes:
    pdf: bytes = html_document(html, origin=origin).write_pdf()
    return pdf
