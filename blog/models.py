import html
import re

from django.conf import settings
from django.db import models
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from config.images import delete_files_on_commit

# Paragraphs of the sanitised HTML, which has no attributes on <p>.
PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)


class PostQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)

    def visible_to(self, user):
        """Published posts for everyone; drafts too for those who may edit posts."""
        if user.has_perm("blog.change_post"):
            return self.order_by(F("published_at").desc(nulls_first=True), "-created_at")
        return self.published().order_by("-published_at", "-pk")

    def count_view(self, pk: int) -> None:
        # One UPDATE in the database: concurrent readers never overwrite each other's count.
        self.filter(pk=pk, is_published=True).update(views=F("views") + 1)


class Post(models.Model):
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), help_text=_("Markdown."))
    # The body rendered and sanitised on save, so readers never pay for Markdown.
    body_html = models.TextField(editable=False, blank=True)
    image = models.ImageField(_("image"), upload_to="blog/%Y/%m/", blank=True)
    image_display = models.ImageField(
        upload_to="blog/renditions/%Y/%m/",
        blank=True,
        editable=False,
        width_field="image_display_width",
        height_field="image_display_height",
    )
    image_display_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    image_display_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    image_thumb = models.ImageField(upload_to="blog/renditions/%Y/%m/", blank=True, editable=False)
    views = models.PositiveIntegerField(_("views"), default=0)
    is_published = models.BooleanField(_("published"), default=False, db_index=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, db_index=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="posts",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = PostQuerySet.as_manager()

    # The image file name as loaded from the database, to notice a replaced image.
    _stored_image = ""

    class Meta:
        verbose_name = _("blog post")
        verbose_name_plural = _("blog posts")
        ordering = ["-published_at", "-created_at"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if self.is_published and self.published_at is None:
            self.published_at = timezone.now()
        # Markdown, nh3 and Pillow load with the first post saved, not with every
        # process that touches the models (a cron command, a worker).
        from .rendering import render_markdown

        self.body_html = render_markdown(self.body)
        image_changed = (self.image.name or "") != self._stored_image
        super().save(*args, **kwargs)
        if image_changed:
            self._replace_renditions()

    def get_absolute_url(self) -> str:
        return reverse("blog:post_detail", args=[self.pk])

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._stored_image = instance.__dict__.get("image") or ""
        return instance

    @property
    def excerpt(self) -> str:
        """The opening words of the text's paragraphs: headings, tables and code would
        read as a jumble of words once their markup is gone."""
        paragraphs = PARAGRAPH.findall(self.body_html) or [self.body_html]
        return Truncator(html.unescape(strip_tags(" ".join(paragraphs)))).words(28)

    @property
    def card_image_url(self) -> str:
        return (self.image_thumb or self.image).url if self.image else ""

    @property
    def display_image_url(self) -> str:
        return (self.image_display or self.image).url if self.image else ""

    def _replace_renditions(self) -> None:
        """Make the resized versions of a new image; remove the files it replaced."""
        old_files = [self._stored_image, self.image_display.name, self.image_thumb.name]
        if self.image:
            from .images import make_renditions

            display, thumb = make_renditions(self.image)
            self.image_display.save(display.name, display, save=False)
            self.image_thumb.save(thumb.name, thumb, save=False)
        else:
            self.image_display = self.image_thumb = ""
            self.image_display_width = self.image_display_height = None
        super().save(
            update_fields=[
                "image_display",
                "image_display_width",
                "image_display_height",
                "image_thumb",
            ]
        )
        self._stored_image = self.image.name or ""
        delete_files_on_commit(self.image.storage, old_files)

    def delete_files(self) -> None:
        delete_files_on_commit(
            self.image.storage, [self.image.name, self.image_display.name, self.image_thumb.name]
        )
