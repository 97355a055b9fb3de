"""The host picker's endpoints, shared by every form that picks hosts (the change form, the incident form).

Each form's app routes its own URLs (so each keeps its permissions in the URL matrix) to these views with a
PickerUrls; the picker's one template (changes/partials/host_picker.html) posts back to those URLs.
"""

from dataclasses import dataclass

from django.shortcuts import render
from django.urls import reverse

from apps.changes import hostpicker


@dataclass(frozen=True)
class PickerUrls:
    actions: str  # URL name of the add/remove/paste endpoint (picker_actions)
    search: str  # URL name of the type-ahead (picker_search)
    empty: str  # what the picker says while no host is selected


CHANGE_PICKER = PickerUrls(
    actions="changes:form_hosts",
    search="changes:host_search",
    empty="No host selected yet. A change without hosts applies to its services, or to its whole environment.",
)


def picker_context(urls: PickerUrls, names, *, unknown=(), retired=(), paste_kept: str = "") -> dict:
    """What changes/partials/host_picker.html shows for the selected ``names``."""
    resolution = hostpicker.resolve(names)
    return {
        "selected": resolution.hosts,
        "groups": hostpicker.group_choices(),
        "unknown": list(unknown) + resolution.unknown,
        "retired": list(retired),
        "paste_kept": paste_kept,
        "actions_url": reverse(urls.actions),
        "search_url": reverse(urls.search),
        "empty": urls.empty,
    }


def picker_actions(request, urls: PickerUrls):
    """An htmx POST from the picker: add one, remove one, clear, add a group or pasted names; the picker back."""
    state = hostpicker.apply_action(request.POST)
    picker = picker_context(
        urls, state.names, unknown=state.unknown, retired=state.retired, paste_kept=state.paste_kept
    )
    response = render(request, "changes/partials/host_picker.html", {"picker": picker})
    response["HX-Trigger"] = "hostsChanged"
    return response


def picker_search(request, urls: PickerUrls):
    """The type-ahead: active hosts only, prefix matches first, the selected ones left out."""
    selected = hostpicker.normalized(request.GET.getlist("hosts"))
    query = request.GET.get("host_query", "")
    results = hostpicker.search(query, exclude=selected)
    context = {"results": results, "query": query.replace("\x00", "").strip(), "actions_url": reverse(urls.actions)}
    return render(request, "changes/partials/host_search_results.html", context)
