from django.urls import path

from support import desk_views, report_views, views

app_name = "support"

urlpatterns = [
    path("", views.inquiry_list, name="inquiries"),
    path("ask/", views.ask, name="ask"),
    path("ask/suggest/", views.suggest, name="suggest"),
    path("ask/<int:attempt>/read/<int:article>/", views.suggestion_open, name="suggestion_open"),
    path("ask/<int:attempt>/solved/", views.solved, name="solved"),
    path("<int:pk>/", views.inquiry_detail, name="inquiry"),
    path("files/<int:pk>/", views.attachment, name="attachment"),
    # The desk
    path("desk/", desk_views.queue, name="queue"),
    path("desk/assign/", desk_views.assign, name="assign"),
    path("desk/<int:pk>/", desk_views.inquiry, name="desk_inquiry"),
    path("desk/<int:pk>/status/", desk_views.status, name="desk_status"),
    # The desk's reports
    path("reports/", report_views.overview, name="reports"),
    path("reports/first-replies.csv", report_views.export_first_replies, name="report_export_first_replies"),
    path("reports/deflection.csv", report_views.export_deflection, name="report_export_deflection"),
]
