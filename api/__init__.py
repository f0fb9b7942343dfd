"""The REST API under /api/v1/ (Django REST framework, drf-spectacular): serializers and
views over the rooms' selectors and services, personal tokens, idempotent POSTs."""
