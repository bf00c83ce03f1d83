from django.urls import path

from ansinh.registry import transfer_views, views

app_name = "registry"
urlpatterns = [
    path("", views.person_list, name="persons"),
    path("persons/<int:pk>/", views.person_detail, name="person"),
    path("persons/<int:pk>/residence/", views.person_residence, name="person_residence"),
    path("persons/export/", views.person_export, name="export"),
    path("import/", views.import_upload, name="import"),
    path("batches/", views.batch_list, name="batches"),
    path("batches/<int:pk>/", views.batch_detail, name="batch"),
    path("batches/<int:pk>/rejected.xlsx", views.batch_rejected_xlsx, name="batch_rejected"),
    path("review/", views.review, name="review"),
    path("issues/<int:pk>/fix/", views.issue_fix, name="issue_fix"),
    path("issues/<int:pk>/waive/", views.issue_waive, name="issue_waive"),
    path("issues/<int:pk>/account/", views.issue_account, name="issue_account"),
    path("transfers/", transfer_views.transfer_list, name="transfers"),
    path("transfers/<int:pk>/accept/", transfer_views.transfer_accept, name="transfer_accept"),
    path("persons/<int:pk>/transfer/", transfer_views.person_transfer, name="person_transfer"),
    path("persons/<int:pk>/death/", transfer_views.person_death, name="person_death"),
    path("persons/<int:pk>/authorisation/", transfer_views.person_authorisation, name="person_authorisation"),
    path("authorised/<int:pk>/evidence/", transfer_views.authorisation_evidence, name="authorisation_evidence"),
]
