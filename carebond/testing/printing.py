"""Reading what WeasyPrint printed: the documents written into PDFs during a test, and their
words, so a test checks what a printed page says rather than the PDF's bytes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from weasyprint import Document
from weasyprint.formatting_structure import boxes


@pytest.fixture
def printed(monkeypatch: pytest.MonkeyPatch) -> list[Document]:
    """The documents WeasyPrint writes into PDFs during the test, to read their text."""
    documents: list[Document] = []
    write_pdf = Document.write_pdf

    def keep(self: Document, *args: Any, **kwargs: Any) -> Any:
        documents.append(self)
        return write_pdf(self, *args, **kwargs)

    monkeypatch.setattr(Document, "write_pdf", keep)
    return documents


def _text(box: Any) -> Iterator[str]:
    if isinstance(box, boxes.TextBox):
        yield box.text
    for child in getattr(box, "children", []):
        yield from _text(child)


def printed_text(document: Document) -> str:
    """Every word on every page of a printed document, in order."""
    return " ".join(t for page in document.pages for t in _text(page._page_box))
