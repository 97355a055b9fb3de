"""Demo data replaying the release night of ../shared/STORY.md; loaded by ``manage.py seed_demo``.

``loader.load_demo`` is the entry point; ``story`` holds the titles and times tests and features look up.
"""
