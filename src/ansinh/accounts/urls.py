from django.urls import path

from ansinh.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("units/<int:pk>/", views.unit_detail, name="unit"),
    path("units/<int:pk>/outreach.xlsx", views.outreach_xlsx, name="outreach_xlsx"),
    path("units/<int:pk>/outreach.pdf", views.outreach_pdf, name="outreach_pdf"),
    path("targets/", views.targets, name="targets"),
    path("bank-lists/", views.bank_list_upload, name="bank_lists"),
    path("bank-lists/<int:pk>/", views.bank_list_detail, name="bank_list"),
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/<int:pk>/evidence/", views.approval_evidence, name="approval_evidence"),
]
