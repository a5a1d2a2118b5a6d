"""The support desk's API under /api/v1/: the customer's inquiries, and the desk's."""

from django.urls import path

from support import api

urlpatterns = [
    path("inquiries/", api.InquiryListView.as_view(), name="api_inquiry_list"),
    path("inquiries/<int:pk>/", api.InquiryDetailView.as_view(), name="api_inquiry_detail"),
    path("inquiries/<int:pk>/replies/", api.InquiryReplyView.as_view(), name="api_inquiry_replies"),
    path("desk/inquiries/", api.DeskInquiryListView.as_view(), name="api_desk_inquiry_list"),
    path("desk/inquiries/<int:pk>/", api.DeskInquiryDetailView.as_view(), name="api_desk_inquiry_detail"),
    path("desk/inquiries/<int:pk>/replies/", api.DeskReplyView.as_view(), name="api_desk_inquiry_replies"),
]
