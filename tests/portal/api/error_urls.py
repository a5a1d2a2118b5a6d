"""The site's URLs, plus two API views that give what no real one gives on demand: a throttled
answer (the API has no rate limit yet) and an unexpected exception."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from portal.urls import handler400, handler403, handler404, handler500, urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


class NeverAllow(BaseThrottle):
    def allow_request(self, request: Request, view: APIView) -> bool:
        return False

    def wait(self) -> float:
        return 42


class ThrottledView(APIView):
    permission_classes = []
    throttle_classes = [NeverAllow]

    def get(self, request: Request) -> Response:
        return Response({})


class BrokenView(APIView):
    permission_classes = []

    def get(self, request: Request) -> Response:
        raise RuntimeError("a bug in a view")


def broken_page(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug in a page")


urlpatterns = [
    path("test/broken/", broken_page),
    path("api/v1/test/throttled/", ThrottledView.as_view()),
    path("api/v1/test/broken/", BrokenView.as_view()),
    *urlpatterns,
]
