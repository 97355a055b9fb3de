from apps.incidents.models.bridge import Backout, IncidentNote, SuspectMark
from apps.incidents.models.findings import IncidentFinding
from apps.incidents.models.incident import DEFAULT_WINDOW_HOURS, MAX_WINDOW_HOURS, Incident

__all__ = [
    "DEFAULT_WINDOW_HOURS",
    "MAX_WINDOW_HOURS",
    "Backout",
    "Incident",
    "IncidentFinding",
    "IncidentNote",
    "SuspectMark",
]
