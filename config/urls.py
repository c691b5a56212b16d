from django.contrib import admin
from django.urls import include, path

from designer.views.home import home

urlpatterns = [
    path("", home, name="home"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/", include("engine.api.urls")),
    path("", include("designer.urls")),
]
