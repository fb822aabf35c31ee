"""The how-to's two views (docs/howto-follow-a-job.md): start a job, then read what became of it."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.http import require_POST

import django_resque

from .jobs import doubled


@require_POST
def start(request: HttpRequest) -> HttpResponse:
    handle = doubled.delay(int(request.POST["value"]))
    request.session.setdefault("jobs", []).append(handle.id)
    request.session.modified = True
    return JsonResponse({"job": handle.id, "status": handle.status}, status=202)


def job_status(request: HttpRequest, job_id: str) -> HttpResponse:
    if job_id not in request.session.get("jobs", []):  # only the session's own jobs
        raise Http404
    job = django_resque.fetch(job_id)
    body = {"job": job.id, "status": job.status, "worker": job.worker}
    if job.status == "finished":
        body["result"] = job.result
    return JsonResponse(body)


urlpatterns = [path("jobs/", start), path("jobs/<str:job_id>/", job_status)]
