from django.urls import path

from accounts.transactions import views

urlpatterns = [
    path("accounts/transactions/", views.transaction_list, name="transaction-list"),
]
