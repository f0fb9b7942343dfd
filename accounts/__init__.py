"""Users: sign-up and login by email (django-allauth), the profile, and the manager's
screens for blocking and unblocking users."""
