"""Sphinx configuration: the Markdown pages in this folder, built with warnings as errors."""

project = "django-resque"
author = "django-resque contributors"
copyright = "2026, django-resque contributors"
extensions = ["myst_parser"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]
myst_heading_anchors = 3
html_theme = "alabaster"
html_title = "django-resque"
suppress_warnings = ["myst.header"]
