from django.utils.functional import SimpleLazyObject

from apps.approvals.inbox import inbox_count


def approvals(request):
    """The pending-decisions badge in the navigation, computed only when a page renders the navigation."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"approval_inbox_count": SimpleLazyObject(lambda: inbox_count(user))}
