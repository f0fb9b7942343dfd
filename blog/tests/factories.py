import io

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from blog.models import Post


def image_bytes(width: int = 800, height: int = 600, image_format: str = "PNG") -> bytes:
    image = Image.new("RGB", (width, height), (30, 90, 160))
    ImageDraw.Draw(image).ellipse((10, 10, width - 10, height - 10), fill=(240, 180, 40))
    buffer = io.BytesIO()
    image.save(buffer, image_format)
    return buffer.getvalue()


def image_upload(name: str = "cover.png", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes(**kwargs), content_type="image/png")


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post

    title = factory.Sequence(lambda n: f"Post {n}")
    body = factory.Faker("paragraph", nb_sentences=6)
    is_published = True
    author = None


class DraftFactory(PostFactory):
    is_published = False
