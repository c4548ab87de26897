from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from jengu.api import api

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("anymail/", include("anymail.urls")),  # provider webhooks: tracking and inbound mail
    path("u/", include("outreach.urls")),  # unsubscribe links in every email
]
