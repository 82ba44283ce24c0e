"""One way to answer with an error: JSON under /api/, a page everywhere else."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

_TITLES = {
    400: "That did not work",
    403: "Not allowed",
    404: "Not found",
    409: "That cannot be done now",
    422: "Please check what you entered",
}


def error_page(request: HttpRequest, status: int, message: str, code: str = "") -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"message": message, "code": code or f"http_{status}", "field": None}, status=status
        )
    title = _TITLES.get(status, "Something went wrong")
    return render(
        request,
        "core/error.html",
        {"status": status, "title": title, "message": message},
        status=status,
    )
