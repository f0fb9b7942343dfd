"""A message and what goes with it: the images uploaded for messages and the files
attached to one, and the links of each run's message. Moved here from mailings and
tracking with their tables (mailings_message…, tracking_link)."""

import secrets
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from workspace.querysets import OwnedQuerySet


class MessageImageQuerySet(OwnedQuerySet):
    def visible_to(self, user):
        # An overseer's list names each image's owner.
        return super().visible_to(user).select_related("owner")


class Message(models.Model):
    class Format(models.TextChoices):
        PLAIN = "plain", _("Plain text")
        MARKDOWN = "markdown", _("Markdown")
        HTML = "html", _("HTML")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages"
    )
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(
        _("body"),
        help_text=_("{{ full_name }} and {{ email }} are replaced per recipient."),
    )
    format = models.CharField(
        _("format"),
        max_length=16,
        choices=Format,
        default=Format.PLAIN,
        help_text=_(
            "Markdown: # headings, - lists, [links](https://…), ![images](https://…) and "
            "buttons as [text](https://…){.button}. HTML: your own markup, cleaned of "
            "scripts and remote styles."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        db_table = "mailings_message"
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        return reverse("mailings:message_detail", args=[self.pk])


class MessageAttachment(models.Model):
    """A file sent with every email of its message. Kept in the database (at most
    content.attachments.MAX_TOTAL_BYTES per message) so that a worker on any host can
    attach it."""

    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("message")
    )
    name = models.CharField(_("name"), max_length=100)
    content_type = models.CharField(max_length=100)
    data = models.BinaryField(editable=False)
    size = models.PositiveIntegerField(_("size"))
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        db_table = "mailings_messageattachment"
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


def message_image_path(image: "MessageImage", filename: str) -> str:
    """Each owner's images in their own folder, under a name nobody can guess: the files
    are public (mail clients fetch them without a login), the list of them is not."""
    return f"message-images/{image.owner_id}/{secrets.token_urlsafe(16)}{PurePath(filename).suffix}"


class MessageImage(models.Model):
    """An image uploaded for messages, stored as it goes out (content.images) and shown
    in emails from SITE_URL."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_images"
    )
    image = models.ImageField(
        _("image"), upload_to=message_image_path, width_field="width", height_field="height"
    )
    width = models.PositiveIntegerField(_("width"), editable=False)
    height = models.PositiveIntegerField(_("height"), editable=False)
    # The uploaded file's (cleaned) name, for the owner to recognise it.
    name = models.CharField(_("name"), max_length=100)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = MessageImageQuerySet.as_manager()

    class Meta:
        db_table = "mailings_messageimage"
        verbose_name = _("message image")
        verbose_name_plural = _("message images")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("mailings:message_image_detail", args=[self.pk])

    @property
    def email_url(self) -> str:
        """Absolute: an email has no page address to resolve a path against."""
        return settings.SITE_URL + self.image.url

    @property
    def markdown(self) -> str:
        return f"![]({self.email_url})"

    @property
    def html(self) -> str:
        return f'<img src="{self.email_url}" alt="" width="{min(self.width, 600)}">'


class Link(models.Model):
    """One distinct address of a run's message; tracked links name it by id (content.links),
    which the renderer stores as it prepares a run."""

    attempt = models.ForeignKey(
        "sending.Attempt", on_delete=models.CASCADE, related_name="links", verbose_name=_("run")
    )
    url = models.TextField(_("address"))
    # Unique per run: a long address cannot be indexed whole.
    url_hash = models.CharField(max_length=64)

    class Meta:
        db_table = "tracking_link"
        verbose_name = _("link")
        verbose_name_plural = _("links")
        constraints = [
            models.UniqueConstraint(fields=["attempt", "url_hash"], name="link_once_per_run"),
        ]

    def __str__(self) -> str:
        return self.url
