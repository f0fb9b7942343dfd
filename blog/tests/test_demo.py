"""`seed_demo`'s blog part: posts with generated images, and a second run changes nothing."""

from pathlib import Path

import pytest
from PIL import Image

from accounts.demo import seed_users
from blog.demo import POSTS, cover_image, seed_posts
from blog.models import Post

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.mark.slow
def test_it_creates_published_posts_and_a_draft_with_images(media):
    users = seed_users()
    seed_posts(users)
    assert Post.objects.count() == len(POSTS)
    assert Post.objects.published().count() == len(POSTS) - 1
    for post in Post.objects.all():
        assert post.author == users["editor"]
        assert post.body_html.startswith("<")
        with Image.open(post.image_thumb.path) as thumb:
            assert thumb.size == (640, 360)
    newest = Post.objects.visible_to(users["anna"]).first()
    assert newest.title == POSTS[0][0]


@pytest.mark.slow
def test_running_it_twice_changes_nothing(media, django_capture_on_commit_callbacks):
    users = seed_users()
    with django_capture_on_commit_callbacks(execute=True):
        seed_posts(users)
    before = (
        list(Post.objects.values_list("pk", "title", "image", "published_at")),
        sorted(Path(media).rglob("*")),
    )
    with django_capture_on_commit_callbacks(execute=True):
        seed_posts(seed_users())
    after = (
        list(Post.objects.values_list("pk", "title", "image", "published_at")),
        sorted(Path(media).rglob("*")),
    )
    assert after == before


def test_covers_are_real_images_of_the_same_picture_each_time():
    first = cover_image("Заголовок", ((0, 0, 255), (255, 0, 0)))
    assert first == cover_image("Заголовок", ((0, 0, 255), (255, 0, 0)))
    assert first.startswith(b"\xff\xd8")
