from django.urls import path

from ansinh.outreach import views

app_name = "outreach"
urlpatterns = [
    path("", views.home, name="home"),
    path("directives/", views.directive_list, name="directives"),
    path("directives/new/", views.directive_new, name="directive_new"),
    path("directives/<int:pk>/", views.directive_detail, name="directive"),
    path("directives/<int:pk>/file.<str:fmt>", views.directive_file, name="directive_file"),
    path("directives/<int:pk>/<str:action>/", views.directive_action, name="directive_action"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("evidence/<int:pk>/", views.evidence_file, name="evidence"),
    path("attachments/<int:pk>/", views.attachment_file, name="attachment"),
    path("summary/", views.summary, name="summary"),
    path("bulletin/", views.bulletin, name="bulletin"),
    path("bulletin/audio.wav", views.bulletin_audio, name="bulletin_audio"),
    path("effect/", views.effect, name="effect"),
]
