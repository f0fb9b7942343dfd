from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .images import ACCEPT, MAX_SIDE, MIN_SIDE, check_image, clean_name
from .models import Post


class PostImageField(forms.ImageField):
    """An image checked by blog.images (format, size, dimensions, decodable)."""

    def to_python(self, data):
        upload = forms.FileField.to_python(self, data)
        if upload is None:
            return None
        upload.name = clean_name(upload.name, check_image(upload))
        return upload

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "accept": ACCEPT}


class PostForm(forms.ModelForm):
    image = PostImageField(
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
