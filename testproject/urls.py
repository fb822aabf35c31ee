from django.contrib import admin
from django.urls import path

from testproject.shop import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
    path("reports/", views.request_report, name="request_report"),
]
