from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def clean_email(self, email: str) -> str:
        # One address, one account, whatever the case the user typed it in.
        return super().clean_email(email).lower()
