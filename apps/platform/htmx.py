from collections.abc import Callable

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render


def is_partial_request(request) -> bool:
    """An htmx request that wants a fragment (a boosted navigation wants the full page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def render_page_or_partial(request, full_template: str, partial_template: str, context: dict, status: int = 200):
    template = partial_template if is_partial_request(request) else full_template
    return render(request, template, context, status=status)


def action_response(
    request,
    *,
    redirect_to,
    fragment: Callable[[], HttpResponse],
    error: str = "",
    success: str = "",
    refuse: Callable[[], HttpResponse] | None = None,
    trigger: str = "",
    error_status: int | None = None,
    partial: bool | None = None,
) -> HttpResponse:
    """The answer to a POST that ran (or refused) an action.

    A full-page post gets its outcome as a message and a redirect to ``redirect_to`` (a model, URL or URL name);
    when ``refuse`` is given the action was not the user's to take, and the page it builds answers instead (a 403
    with the reason, not a redirect that reads like success to scripts). An htmx post gets the re-rendered
    ``fragment``, with ``trigger`` as its HX-Trigger and ``error_status`` when it carries an error (htmx swaps only
    2xx answers by default, so an error otherwise travels inside the fragment). ``partial`` overrides
    :func:`is_partial_request`.
    """
    if partial is None:
        partial = is_partial_request(request)
    if not partial:
        if error:
            messages.error(request, error)
        elif success:
            messages.success(request, success)
        if error and refuse is not None:
            return refuse()
        return redirect(redirect_to)
    response = fragment()
    if error and error_status is not None:
        response.status_code = error_status
    if trigger:
        response["HX-Trigger"] = trigger
    return response
