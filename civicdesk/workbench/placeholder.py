"""Temporary pages for parts of the workbench still being built; removed when each lands."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def placeholder(request: HttpRequest, **kwargs: object) -> HttpResponse:
    return render(request, "workbench/placeholder.html")
