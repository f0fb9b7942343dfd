from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from config.images import MAX_SIDE, CheckedImageField

from .images import MIN_SIDE
from .models import Post


class PostForm(forms.ModelForm):
    image = CheckedImageField(
        min_side=MIN_SIDE,
        label=_("Image"),
        required=False,
        help_text=format_lazy(
            _("JPEG, PNG, WebP or GIF, up to 5 MB, from {min} to {max} pixels on a side."),
            min=MIN_SIDE,
            max=MAX_SIDE,
        ),
    )

    class Meta:
        model = Post
        fields = ["title", "body", "image", "is_published"]
        widgets = {"body": forms.Textarea(attrs={"rows": 16})}
        help_texts = {
            "body": _(
                "Markdown: **bold**, _italic_, # headings, - lists, [links](https://…). "
                "HTML tags and scripts are removed."
            ),
            "is_published": _("Unpublished posts are drafts: only content managers see them."),
        }
