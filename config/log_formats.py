"""Log line formats, shared by Django's LOGGING and gunicorn's own loggers, so that
`LOG_FORMAT=json` makes every line on stdout one JSON object."""

FORMATTERS = {
    "line": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    "json": {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "fmt": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
        "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
    },
}
