from django.urls import path

from carebond.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.sign_in, name="login"),
    path("mfa/", views.mfa, name="mfa"),
    path("mfa/enrol/", views.mfa_enrol, name="mfa_enrol"),
    path("logout/", views.sign_out, name="logout"),
    path("me/", views.account, name="account"),
    path("me/password/", views.change_password, name="change_password"),
    path("password/forgot/", views.forgot_password, name="forgot_password"),
    path("password/reset/<str:uid>/<str:token>/", views.reset_password, name="reset_password"),
    path("me/tokens/<uuid:token_id>/revoke/", views.revoke_token, name="revoke_token"),
    path("me/recovery-codes/", views.regenerate_recovery_codes, name="recovery_codes"),
    path("users/", views.users, name="users"),
    path("users/<uuid:user_id>/", views.user_detail, name="user_detail"),
    path("users/<uuid:user_id>/<str:verb>/", views.user_action, name="user_action"),
]
