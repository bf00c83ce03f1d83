from django.urls import path

from ansinh.payroll import authorised_views, campaign_views, views

app_name = "payroll"
urlpatterns = [
    path("", views.run_list, name="runs"),
    path("generate/", views.run_generate, name="generate"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/approve/", views.run_approve, name="approve"),
    path("runs/<int:pk>/export/", views.run_export, name="export"),
    path("runs/<int:pk>/files.zip", views.run_download, name="download"),
    path("runs/<int:pk>/reconcile/", views.run_reconcile, name="reconcile"),
    path("runs/<int:pk>/suspend/", views.run_suspend, name="suspend"),
    path("runs/<int:pk>/statement/", views.run_statement, name="statement"),
    path("runs/<int:pk>/followup/", views.run_followup, name="followup"),
    path("runs/<int:pk>/corrections/", views.run_correction_request, name="correction_request"),
    path("runs/<int:pk>/corrections/<int:correction>/", views.run_correction_decide, name="correction_decide"),
    path("runs/<int:pk>/demo-result.csv", views.run_demo_result, name="demo_result"),
    path("runs/<int:pk>/lines/<int:line>/vietqr.png", views.run_line_qr, name="line_qr"),
    path("rates/", views.rate_list, name="rates"),
    path("authorised/", authorised_views.shared_payee_list, name="shared_payees"),
    path("campaigns/", campaign_views.campaign_list, name="campaigns"),
    path("campaigns/<int:pk>/", campaign_views.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/generate/", campaign_views.campaign_generate, name="campaign_generate"),
]
