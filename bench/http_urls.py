"""The product's URLs plus two views that read and render nothing: ``/bench/bare/`` (Django itself:
every middleware) and ``/bench/bare/api/`` (the API's own part as well: DRF with the product's
authentication and scope check, answering ``{}``). Served by bench/http.py through
bench/http_settings.py only; portal/urls.py never names them."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import urls as product
from portal.models import ApiScope


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


class BareApi(APIView):
    scopes = {"GET": ApiScope.HELP_READ}

    def get(self, request: Request) -> Response:
        return Response({})


urlpatterns = [path("bench/bare/", bare), path("bench/bare/api/", BareApi.as_view()), *product.urlpatterns]

handler400 = product.handler400
handler403 = product.handler403
handler404 = product.handler404
handler500 = product.handler500
