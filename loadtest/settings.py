"""The production settings plus one bare view, the yardstick of the load test."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "loadtest.urls"
