from django.urls import path

from ansinh.matching import views

app_name = "matching"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("pairs/<int:pk>/", views.pair_detail, name="pair"),
    path("pairs/<int:pk>/decide/", views.pair_decide, name="decide"),
    path("run/", views.run, name="run"),
    path("proposals/", views.proposals, name="proposals"),
    path("verify/", views.verify, name="verify"),
    path("proposals/<int:pk>/decide/", views.proposal_decide, name="proposal_decide"),
]
