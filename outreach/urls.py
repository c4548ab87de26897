from django.urls import path

from outreach import views

# /u/<token>/: the unsubscribe link in every email
urlpatterns = [
    path("<str:token>/", views.unsubscribe, name="unsubscribe"),
]

# /privacy/: the notice a first email's privacy line links to (jengu/urls.py mounts it)
privacy_urlpatterns = [
    path("", views.privacy_notice, name="privacy_notice"),
    path("<int:campaign_id>/", views.privacy_notice, name="privacy_notice_campaign"),
]
