from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.http import HttpResponse
from django.test import RequestFactory
from django_htmx.middleware import HtmxDetails

from apps.platform.htmx import action_response


def _request(*, htmx: bool = False, boosted: bool = False):
    headers = {"HX-Request": "true"} if htmx else {}
    if boosted:
        headers["HX-Boosted"] = "true"
    request = RequestFactory().post("/x/", headers=headers)
    request.session = {}
    request._messages = FallbackStorage(request)
    request.htmx = HtmxDetails(request)
    return request


def _fragment():
    return HttpResponse("fragment")


def test_full_page_post_gets_a_message_and_a_redirect():
    request = _request()
    response = action_response(request, redirect_to="/done/", fragment=_fragment, success="Done.")
    assert response.status_code == 302 and response["Location"] == "/done/"
    assert [str(m) for m in get_messages(request)] == ["Done."]


def test_refused_full_page_post_answers_with_the_refusal_page():
    request = _request()
    response = action_response(
        request, redirect_to="/done/", fragment=_fragment, error="No.", refuse=lambda: HttpResponse("no", status=403)
    )
    assert response.status_code == 403
    assert [str(m) for m in get_messages(request)] == ["No."]


def test_htmx_post_gets_the_fragment_with_its_trigger_and_error_status():
    request = _request(htmx=True)
    ok = action_response(request, redirect_to="/done/", fragment=_fragment, trigger="changeUpdated", error_status=422)
    assert ok.status_code == 200 and ok.content == b"fragment" and ok["HX-Trigger"] == "changeUpdated"
    refused = action_response(
        request,
        redirect_to="/done/",
        fragment=_fragment,
        error="No.",
        refuse=lambda: HttpResponse(status=403),
        error_status=422,
    )
    assert refused.status_code == 422 and refused.content == b"fragment"
    assert list(get_messages(request)) == []


def test_boosted_post_is_a_full_page_post_unless_told_otherwise():
    request = _request(htmx=True, boosted=True)
    assert action_response(request, redirect_to="/done/", fragment=_fragment).status_code == 302
    assert action_response(request, redirect_to="/done/", fragment=_fragment, partial=True).content == b"fragment"
