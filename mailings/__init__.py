"""Mailings and their life: the schedule, and every lifecycle service and guard (save,
Send now, disable, duplicate) that the pages and the API share."""
