"""Resized versions are made on upload; replaced and deleted images leave no files behind."""

from pathlib import Path

import pytest
from PIL import Image

from accounts.tests.factories import content_manager
from blog.models import Post
from blog.tests.factories import PostFactory, image_upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def files_under(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


@pytest.fixture
def editor(csrf_client):
    csrf_client.force_login(content_manager())
    return csrf_client


def create_with_image(editor, **image) -> Post:
    response = editor.submit(
        "/blog/new/",
        {"title": "T", "body": "B", "is_published": "on", "image": image_upload(**image)},
    )
    assert response.status_code == 302, response.context["form"].errors
    return Post.objects.get()


def test_it_makes_a_display_version_and_a_card_thumbnail(editor, media):
    post = create_with_image(editor, width=3000, height=2000)
    with Image.open(post.image_display.path) as display:
        assert (display.format, display.size) == ("WEBP", (1200, 800))
    with Image.open(post.image_thumb.path) as thumb:
        assert (thumb.format, thumb.size) == ("WEBP", (640, 360))
    assert (post.image_display_width, post.image_display_height) == (1200, 800)
    assert files_under(media) == {post.image.name, post.image_display.name, post.image_thumb.name}


def test_it_does_not_enlarge_small_images(editor):
    post = create_with_image(editor, width=500, height=400)
    with Image.open(post.image_display.path) as display:
        assert display.size == (500, 400)


def test_pages_show_the_resized_versions(editor, client):
    post = create_with_image(editor)
    assert post.image_thumb.url in client.get("/blog/").content.decode()
    detail = client.get(f"/blog/{post.pk}/").content.decode()
    assert post.image_display.url in detail
    assert post.image.url not in detail


def test_it_removes_the_old_files_when_the_image_is_replaced(
    editor, media, django_capture_on_commit_callbacks
):
    post = create_with_image(editor)
    old = files_under(media)
    with django_capture_on_commit_callbacks(execute=True):
        editor.submit(
            f"/blog/{post.pk}/edit/",
            {"title": "T", "body": "B", "image": image_upload("second.png", width=900)},
            form_url=f"/blog/{post.pk}/edit/",
        )
    post.refresh_from_db()
    assert post.image.name.startswith("blog/") and "second" in post.image.name
    assert files_under(media) == {post.image.name, post.image_display.name, post.image_thumb.name}
    assert not old & files_under(media)


def test_it_keeps_the_files_when_only_the_text_changes(
    editor, media, django_capture_on_commit_callbacks
):
    post = create_with_image(editor)
    before = files_under(media)
    with django_capture_on_commit_callbacks(execute=True):
        editor.submit(f"/blog/{post.pk}/edit/", {"title": "New title", "body": "B"})
    assert files_under(media) == before


def test_it_removes_the_files_when_the_image_is_cleared(
    editor, media, django_capture_on_commit_callbacks
):
    post = create_with_image(editor)
    with django_capture_on_commit_callbacks(execute=True):
        editor.submit(f"/blog/{post.pk}/edit/", {"title": "T", "body": "B", "image-clear": "on"})
    post.refresh_from_db()
    assert (post.image.name, post.image_display.name, post.image_thumb.name) == ("", "", "")
    assert files_under(media) == set()


def test_it_removes_the_files_when_the_post_is_deleted(
    editor, media, django_capture_on_commit_callbacks
):
    post = create_with_image(editor)
    with django_capture_on_commit_callbacks(execute=True):
        editor.submit(f"/blog/{post.pk}/delete/")
    assert files_under(media) == set()


def test_a_rolled_back_delete_keeps_the_files(media, django_capture_on_commit_callbacks):
    post = PostFactory(image=image_upload())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post.delete()
    # Nothing is removed until the transaction commits.
    assert len(files_under(media)) == 3
    assert callbacks
