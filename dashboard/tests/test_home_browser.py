"""The home page in a real browser."""

import pytest

from accounts.tests.factories import UserFactory
from blog.tests.factories import DraftFactory, PostFactory
from mailings.models import Mailing
from mailings.tests.factories import ClientFactory, MailingFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_sees_the_figures_and_three_posts(page):
    owner = UserFactory()
    clients = [ClientFactory(owner=owner) for _ in range(4)]
    MailingFactory(owner=owner, status=Mailing.Status.RUNNING, clients=clients)
    MailingFactory(owner=owner, clients=clients[:2])
    published = {post.pk for post in PostFactory.create_batch(5)}
    draft = DraftFactory(title="Секретный черновик")

    page.goto("/")
    assert page.locator("#figure-mailings").inner_text() == "2"
    assert page.locator("#figure-running").inner_text() == "1"
    assert page.locator("#figure-clients").inner_text() == "4"
    assert page.locator("a[href='/accounts/signup/']").first.is_visible()

    cards = page.locator("#home-posts article.post-card")
    assert cards.count() == 3
    shown = {int(card.get_attribute("data-post-id")) for card in cards.all()}
    assert len(shown) == 3 and shown <= published
    assert draft.title not in page.content()

    # A card leads to its post.
    cards.first.locator(".card-title a").click()
    page.wait_for_url("**/blog/*/")
    assert page.locator("#post-views").is_visible()


def test_the_home_page_fits_a_phone(page):
    PostFactory.create_batch(3)
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto("/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.locator("#figure-clients").is_visible()
