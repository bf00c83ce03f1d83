from django.urls import path

from ansinh.complaints import views

app_name = "complaints"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.case_new, name="new"),
    path("<int:pk>/", views.case_detail, name="case"),
    path("<int:pk>/appeal/", views.case_appeal, name="appeal"),
    path("<int:pk>/decision.docx", views.decision_docx, name="decision_docx"),
    path("<int:pk>/notice.pdf", views.notice_pdf, name="notice_pdf"),
    path("<int:pk>/<str:action>/", views.case_action, name="action"),
    path("attachments/<int:pk>/", views.attachment_file, name="attachment"),
    path("postings/", views.posting_list, name="postings"),
    path("postings/<int:pk>/", views.posting_detail, name="posting"),
    path("postings/<int:pk>/list.pdf", views.posting_pdf, name="posting_pdf"),
]
