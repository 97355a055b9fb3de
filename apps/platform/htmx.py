from django.shortcuts import render


def is_partial_request(request) -> bool:
    """An htmx request that wants a fragment (a boosted navigation wants the full page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def render_page_or_partial(request, full_template: str, partial_template: str, context: dict, status: int = 200):
    template = partial_template if is_partial_request(request) else full_template
    return render(request, template, context, status=status)
