"""The product's URLs plus ``/bench/bare/``: a view that reads nothing and renders nothing. Served by
bench/http.py through bench/http_settings.py only; portal/urls.py never names it."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from portal import urls as product


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare), *product.urlpatterns]

handler400 = product.handler400
handler403 = product.handler403
handler404 = product.handler404
handler500 = product.handler500
