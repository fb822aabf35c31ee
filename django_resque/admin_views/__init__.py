"""The Resque admin pages: thin views that validate the request, call our API, render.

``admin.py`` mounts them; every one goes through ``admin_site.admin_view`` (staff only,
never cached, CSRF-protected) and checks the app's view or change permission here.
"""
