from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from engine.models import Process


@login_required
def home(request: HttpRequest) -> HttpResponse:
    processes = Process.objects.order_by("code")[:10]
    return render(request, "home.html", {"processes": processes})
