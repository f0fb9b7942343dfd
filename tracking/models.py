"""Engagement: the raw hits the web takes in, and the opens and clicks folded from them
(the links of each run and their tokens are content's).

The web request writes one `Hit` row and nothing else; a scheduler pass (tracking.events)
turns hits into at most one `Open` per recipient of a run and one `Click` per recipient
of a link, each either human or machine, and recounts the run's figures on its Attempt.
Which recipient is kept as `visitor`, a keyed hash of the delivery: it makes replays
count once without naming anybody. Only runs tracked per recipient also keep `delivery`.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from content.links import Kind


class Hit(models.Model):
    """A request to a tracked link or pixel, as it came: the inbox of the next pass.

    No foreign keys, so that the insert checks nothing; the pass drops hits of runs that
    are gone. Deleted once folded, with the user agent they carried.
    """

    kind = models.CharField(max_length=1, choices=Kind)
    # The privacy mode the token was signed with (a Tracking value).
    mode = models.CharField(max_length=16)
    attempt_id = models.BigIntegerField()
    delivery_id = models.BigIntegerField()
    link_id = models.BigIntegerField(null=True)
    at = models.DateTimeField()
    head = models.BooleanField(default=False)
    agent = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = _("hit")
        verbose_name_plural = _("hits")

    def __str__(self) -> str:
        return f"{self.kind} {self.attempt_id}/{self.delivery_id} @ {self.at}"


class EventQuerySet(models.QuerySet):
    def human(self):
        return self.filter(machine=False)


class Event(models.Model):
    attempt = models.ForeignKey("sending.Attempt", on_delete=models.CASCADE, related_name="+")
    visitor = models.BigIntegerField()
    # Security scanners, image proxies, prefetches: kept, out of the human figures.
    machine = models.BooleanField(_("machine"), default=False)
    # Exact for runs tracked per recipient; the hour alone for the others.
    at = models.DateTimeField(_("time"))
    # Only for runs tracked per recipient.
    delivery = models.ForeignKey(
        "sending.Delivery", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = EventQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name}, run {self.attempt_id} @ {self.at}"


class Open(Event):
    class Meta(Event.Meta):
        verbose_name = _("open")
        verbose_name_plural = _("opens")
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "visitor", "machine"], name="open_once_per_recipient"
            ),
        ]


class Click(Event):
    link = models.ForeignKey("content.Link", on_delete=models.CASCADE, related_name="clicks")

    class Meta(Event.Meta):
        verbose_name = _("click")
        verbose_name_plural = _("clicks")
        constraints = [
            models.UniqueConstraint(
                fields=["link", "visitor", "machine"], name="click_once_per_recipient"
            ),
        ]
        indexes = [models.Index(fields=["attempt", "machine"], name="click_attempt_machine")]
