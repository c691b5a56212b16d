from django.urls import path  # noqa: F401  (the versions area adds its routes here)

app_name = "versions"

urlpatterns: list = []
