"""Process library, versions, lifecycle actions, exports and compare.

Library actions live under ``processes/-/`` because a process code can never
be ``-``: no code can shadow them.
"""

from django.urls import path

from designer.versions import compare, exports, library, lifecycle, pausing

app_name = "versions"

VERSION = "processes/<str:code>/versions/<int:number>/"

urlpatterns = [
    path("processes/", library.process_list, name="process_list"),
    path("processes/-/new/", library.process_create, name="process_create"),
    path("processes/-/import/", library.process_import, name="process_import"),
    path("processes/<str:code>/", lifecycle.version_list, name="process_detail"),
    path("processes/<str:code>/versions/", lifecycle.version_list, name="list"),
    path("processes/<str:code>/compare/", compare.compare, name="compare"),
    path("processes/<str:code>/pause/", pausing.pause, name="pause"),
    path("processes/<str:code>/resume/", pausing.resume, name="resume"),
    path(VERSION + "publish/", lifecycle.publish, name="publish"),
    path(VERSION + "clone/", lifecycle.clone, name="clone"),
    path(VERSION + "rollback/", lifecycle.rollback, name="rollback"),
    path(VERSION + "delete/", lifecycle.delete, name="delete"),
    path(VERSION + "export/<str:fmt>/", exports.export, name="export"),
]
