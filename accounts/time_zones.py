"""Time zones as people pick them: «Россия — Москва (UTC+03:00)» in the user's language,
common ones first, instead of 600 raw IANA names (aliases such as `US/Eastern` left out)."""

import functools
import zoneinfo
from datetime import date, datetime, time

from babel import Locale
from babel.core import get_global
from babel.dates import get_timezone_location
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

COMMON = (
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Novosibirsk",
    "Asia/Krasnoyarsk",
    "Asia/Irkutsk",
    "Asia/Yakutsk",
    "Asia/Vladivostok",
    "Asia/Magadan",
    "Asia/Kamchatka",
    "Europe/Minsk",
    "Asia/Almaty",
    "Asia/Tashkent",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
)


def time_zone_choices(current: str = "") -> list:
    """Grouped choices for a select; a stored zone outside them (an old alias) stays
    selectable, so saving a profile never silently changes it."""
    choices = _choices(get_language() or "ru", timezone.now().date())
    known = {value for _group, options in choices for value, _label in options}
    if current and current not in known:
        return [(None, [(current, current)]), *choices]
    return choices


@functools.lru_cache(maxsize=8)
def _choices(language: str, day: date) -> list:
    locale = Locale.parse(language.split("-")[0])
    moment = datetime.combine(day, time(12), tzinfo=zoneinfo.ZoneInfo("UTC"))
    territories = get_global("zone_territories")

    def label(name: str) -> str:
        city = get_timezone_location(name, locale=locale, return_city=True)
        country = locale.territories.get(territories.get(name, ""), "")
        place = f"{country} — {city}" if country and country != city else city
        return f"{place} ({_offset(name, moment)})"

    available = zoneinfo.available_timezones()
    labels = {name: label(name) for name in territories if name in available}
    zones = sorted(labels, key=lambda name: labels[name].casefold())
    return [
        (_("Common"), [(name, label(name)) for name in COMMON] + [("UTC", "UTC")]),
        (_("All time zones"), [(name, labels[name]) for name in zones]),
    ]


def _offset(name: str, moment: datetime) -> str:
    minutes = int(moment.astimezone(zoneinfo.ZoneInfo(name)).utcoffset().total_seconds()) // 60
    sign = "+" if minutes >= 0 else "−"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
