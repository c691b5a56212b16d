from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from engine.models import Process, WorkItem
from engine.tenancy import scoped


@login_required
def home(request: HttpRequest) -> HttpResponse:
    processes = scoped(Process.objects.order_by("code"), request)[:10]
    my_work = scoped(WorkItem.objects.inbox(request.user), request).count()
    return render(request, "home.html", {"processes": processes, "my_work": my_work})
