"""The customer's side of the desk: asking (with the articles that may answer it suggested first),
their inquiries, a thread and its replies, and the files attached to it. Everything works without
JavaScript; with htmx, suggestions follow what the customer types."""

from __future__ import annotations

import contextlib
import re

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from faq.models import Article
from faq.selectors import visible_articles
from portal.access import AuthenticatedHttpRequest, CustomerHttpRequest, customer_required
from portal.tenancy import customer_account, visible_accounts
from portal.translated import active_language
from portal.web import query_text
from support import selectors, services
from support.forms import AskForm, ReplyForm, SolvedForm
from support.models import AskAttempt, Attachment, Category

STEP = re.compile(r"^(?P<playbook>[-a-zA-Z0-9_]{1,80})/(?P<step>[-a-zA-Z0-9_]{1,80})$")


def _attempt(request: CustomerHttpRequest, pk: object) -> AskAttempt | None:
    """The customer's own ask attempt, or None (another's answers as none)."""
    try:
        number = int(str(pk))
    except ValueError:
        return None
    return AskAttempt.objects.filter(pk=number, account=request.account, user=request.user).first()


@customer_required
def inquiry_list(request: CustomerHttpRequest) -> HttpResponse:
    inquiries = selectors.customer_inquiries(user=request.user, account=request.account)
    return render(request, "support/inquiry_list.html", {"inquiries": inquiries[:200]})


@customer_required
def ask(request: CustomerHttpRequest) -> HttpResponse:
    """The form to ask. Opening it starts an ask attempt; the articles that may answer come first."""
    if request.method == "POST":
        form = AskForm(request.POST, request.FILES)
        attempt = _attempt(request, request.POST.get("attempt"))
        if form.is_valid():
            data = form.cleaned_data
            try:
                inquiry = services.inquiry_create(
                    account=request.account, author=request.user, subject=data["subject"], body=data["body"],
                    category=data["category"], priority=data["priority"], playbook_key=data["playbook_key"] or "",
                    step_key=data["step_key"] or "", attachments=data["attachments"], attempt=attempt,
                )  # fmt: skip
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return redirect("support:inquiry", pk=inquiry.pk)
    else:
        step = STEP.match(query_text(request, "step"))
        category = (
            Category.objects.filter(slug=query_text(request, "category")).first() if "category" in request.GET else None
        )
        attempt = services.attempt_start(
            account=request.account, user=request.user, query=query_text(request, "q"),
            playbook_key=step["playbook"] if step else "", step_key=step["step"] if step else "", category=category,
        )  # fmt: skip
        form = AskForm(
            initial={
                "subject": attempt.query, "attempt": attempt.pk, "playbook_key": attempt.playbook_key,
                "step_key": attempt.step_key, "category": category,
            }
        )  # fmt: skip
    found = _suggest(request, attempt, f"{form['subject'].value() or ''} {form['body'].value() or ''}")
    return render(request, "support/ask.html", {"form": form, "attempt": attempt, "suggestions": found})


def _suggest(request: CustomerHttpRequest, attempt: AskAttempt | None, text: str) -> list[Article]:
    found = selectors.suggestions(text=text, user=request.user, language=active_language())
    if attempt is not None and found and not attempt.is_over:
        services.attempt_shown(attempt=attempt, article_ids=[article.pk for article in found])
    return found


@customer_required
@vary_on_headers("HX-Request")
def suggest(request: CustomerHttpRequest) -> HttpResponse:
    """The suggestions for what the customer has typed so far (htmx asks as they type)."""
    attempt = _attempt(request, request.GET.get("attempt"))
    text = f"{query_text(request, 'subject')} {query_text(request, 'body')}"
    found = _suggest(request, attempt, text)
    return render(request, "support/_suggestions.html", {"suggestions": found, "attempt": attempt})


@customer_required
def suggestion_open(request: CustomerHttpRequest, attempt: int, article: int) -> HttpResponseBase:
    """Open a suggested article, counted as read for the attempt."""
    found = _attempt(request, attempt)
    item = get_object_or_404(visible_articles(request.user), pk=article)
    if found is not None and not found.is_over:
        services.attempt_opened(attempt=found, article=item)
    return redirect(item.get_absolute_url())


@require_POST
@customer_required
def solved(request: CustomerHttpRequest, attempt: int) -> HttpResponseBase:
    """ "This solved it": the attempt ends without a question sent."""
    found = _attempt(request, attempt)
    if found is None:
        raise Http404
    form = SolvedForm(request.POST)
    item = visible_articles(request.user).filter(pk=form.cleaned_data["article"]).first() if form.is_valid() else None
    if item is None:
        error = _("Choose the article that solved it.")
        return render(request, "support/solved.html", {"error": error, "attempt": found}, status=400)
    with contextlib.suppress(ValidationError):  # solved or sent already: nothing more to count
        services.attempt_solved(attempt=found, article=item)
    return render(request, "support/solved.html", {"article": item})


@customer_required
def inquiry_detail(request: CustomerHttpRequest, pk: int) -> HttpResponse:
    """A thread as the customer sees it (no internal notes), with the reply form."""
    inquiry = selectors.customer_inquiry(user=request.user, account=request.account, pk=pk)
    form = ReplyForm()
    if request.method == "POST":
        form = ReplyForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.inquiry_reply(
                    inquiry=inquiry, by=request.user, body=form.cleaned_data["body"],
                    attachments=form.cleaned_data["attachments"],
                )  # fmt: skip
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return redirect("support:inquiry", pk=inquiry.pk)
    context = {
        "inquiry": inquiry,
        "messages_": selectors.thread(inquiry=inquiry, staff=False),
        "promise": selectors.reply_promise(inquiry=inquiry),
        "form": form,
    }
    return render(request, "support/inquiry_detail.html", context)


@login_required
def attachment(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    """A file attached to an inquiry, for the people who may read its thread (never a note's to customers)."""
    found = Attachment.objects.select_related("message__inquiry").filter(pk=pk).first()
    if found is None:
        raise Http404
    inquiry = found.message.inquiry
    account = customer_account(user=request.user)
    if request.user.is_customer:
        allowed = (
            account is not None
            and found.message.is_public
            and selectors.customer_inquiries(user=request.user, account=account).filter(pk=inquiry.pk).exists()
        )
    else:
        allowed = visible_accounts(user=request.user).filter(pk=inquiry.account_id).exists()
    if not allowed:
        raise Http404
    response = FileResponse(
        found.file.open("rb"), as_attachment=True, filename=found.name, content_type=found.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
