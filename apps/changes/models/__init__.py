from apps.changes.models.activity import ChangeActivity
from apps.changes.models.change import Change, ChangeHost, ChangeService
from apps.changes.models.freeze import FreezeWindow
from apps.changes.models.template import ChangeTemplate

__all__ = ["Change", "ChangeActivity", "ChangeHost", "ChangeService", "ChangeTemplate", "FreezeWindow"]
