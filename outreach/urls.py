from django.urls import path

from outreach import views

urlpatterns = [
    path("<str:token>/", views.unsubscribe, name="unsubscribe"),
]
