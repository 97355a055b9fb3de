"""ChangePortal's pipeline CLI (`changeportal gate|report|event`); standard library only."""

__version__ = "0.1.0"
