from django.urls import path

from faq.api import views

urlpatterns = [
    path("articles/", views.ArticleListView.as_view(), name="api_article_list"),
    path("articles/<int:pk>/", views.ArticleDetailView.as_view(), name="api_article_detail"),
    path("categories/", views.CategoryTreeView.as_view(), name="api_category_list"),
]
