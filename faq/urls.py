from django.urls import path, register_converter

from faq import views
from faq.converters import LanguageConverter

register_converter(LanguageConverter, "lang")

app_name = "faq"

urlpatterns = [
    path("help/", views.home, name="home"),
    path("help/search/", views.search, name="search"),
    path("help/category/<slug:slug>/", views.category, name="category"),
    path("help/<lang:language>/<slug:slug>/", views.article, name="article"),
    path("help/<lang:language>/<slug:slug>/vote/", views.vote, name="vote"),
    path("help/articles/<int:pk>/qr.svg", views.qr, name="qr"),
    path("h/<int:pk>/", views.short, name="short"),
]
