"""CSRF checks for signed-in people only, on forms that an anonymous visitor may post too.

The language switcher and the help centre's "was this helpful?" change nothing of an account for
a visitor who is not signed in (a cookie, an anonymous vote limited per session), so the public
pages that carry them need no CSRF token for that visitor, and so can be cached by a CDN for
everyone. For a signed-in person, the check is Django's own, as on every other form.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt, csrf_protect


def csrf_for_members(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    protected = csrf_protect(view)

    @csrf_exempt
    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if request.user.is_authenticated:
            return protected(request, *args, **kwargs)
        return view(request, *args, **kwargs)

    return wrapped
