"""Each view of a published post is counted exactly once, even under concurrent readers."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.test import Client

from accounts.tests.factories import content_manager
from blog.models import Post
from blog.tests.factories import DraftFactory, PostFactory


@pytest.mark.django_db
def test_each_view_counts_and_the_page_shows_it(client):
    post = PostFactory()
    for _ in range(3):
        response = client.get(f"/blog/{post.pk}/")
    post.refresh_from_db()
    assert post.views == 3
    assert response.context["post"].views == 3


@pytest.mark.django_db
def test_the_shown_count_is_fresh_despite_the_cache(client):
    post = PostFactory()
    client.get(f"/blog/{post.pk}/")
    Post.objects.filter(pk=post.pk).update(views=41)
    page = client.get(f"/blog/{post.pk}/").content.decode()
    assert ">42 " in page


@pytest.mark.django_db
def test_the_list_does_not_count_views(client):
    post = PostFactory()
    client.get("/blog/")
    client.get("/")
    post.refresh_from_db()
    assert post.views == 0


@pytest.mark.django_db
def test_drafts_previewed_by_editors_do_not_count(client):
    draft = DraftFactory()
    client.force_login(content_manager())
    assert client.get(f"/blog/{draft.pk}/").status_code == 200
    draft.refresh_from_db()
    assert draft.views == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_concurrent_views_lose_no_count():
    post = PostFactory()
    threads, per_thread = 8, 15

    def read_many(_):
        try:
            reader = Client()
            return [reader.get(f"/blog/{post.pk}/").status_code for _ in range(per_thread)]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        statuses = [status for batch in pool.map(read_many, range(threads)) for status in batch]
    assert statuses == [200] * threads * per_thread
    post.refresh_from_db()
    assert post.views == threads * per_thread
