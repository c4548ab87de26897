from django.urls import path

from outreach import views

urlpatterns = [
    # the privacy notice the first email's privacy line links to (before the token: "privacy" is no token)
    path("privacy/", views.privacy_notice, name="privacy_notice"),
    path("privacy/<int:campaign_id>/", views.privacy_notice, name="privacy_notice_campaign"),
    path("<str:token>/", views.unsubscribe, name="unsubscribe"),
]
