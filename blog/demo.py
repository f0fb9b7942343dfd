"""Demo blog posts with generated images for `seed_demo` (idempotent)."""

import io
import random
import textwrap
from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from .models import Post

IMAGE_SIZE = (1600, 900)
FONT_FILES = ["DejaVuSans-Bold.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"]

# (title, Markdown body, days since publication or None for a draft, two gradient colours)
POSTS = [
    (
        "Как собрать базу подписчиков без покупки списков",
        "Купленная база — самый быстрый путь в спам-фильтр. Живые подписчики приходят сами, "
        "если дать им повод.\n\n"
        "## Что работает\n\n"
        "- **Форма на сайте** с понятным обещанием: что и как часто человек будет получать.\n"
        "- **Лид-магнит**: чек-лист, шаблон, скидка на первый заказ.\n"
        "- **Двойное подтверждение**: адрес точно принадлежит подписчику.\n\n"
        "> Лучше тысяча читателей, которые ждут письма, чем сто тысяч адресов, "
        "которые его удалят.\n\n"
        "В Рассылке клиенты хранятся у вас, а не у стороннего сервиса.",
        2,
        ((37, 99, 235), (14, 165, 233)),
    ),
    (
        "Тема письма: пять правил, которые поднимают открываемость",
        "Тему читают все, письмо — только те, кого она убедила.\n\n"
        "1. До 50 символов: на телефоне длинная тема обрежется.\n"
        "2. Конкретика вместо восклицательных знаков.\n"
        "3. Имя получателя — `{{ full_name }}` — работает, но не в каждом письме.\n"
        "4. Никаких «СРОЧНО» и «БЕСПЛАТНО» капсом.\n"
        "5. Тестируйте: две темы на небольших частях базы.\n",
        5,
        ((124, 58, 237), (236, 72, 153)),
    ),
    (
        "Периодические рассылки: ежедневно, еженедельно или раз в месяц",
        "Частота — это договор с читателем. Нарушите его — получите отписки.\n\n"
        "**Ежедневно** подходит для новостей и сводок. **Еженедельно** — для дайджестов "
        "и подборок. **Ежемесячно** — для отчётов и больших обзоров.\n\n"
        "В Рассылке периодичность задаётся при создании рассылки, а окно отправки "
        "ограничивается датой окончания: ни одна отправка не начнётся позже неё.",
        9,
        ((5, 150, 105), (132, 204, 22)),
    ),
    (
        "Почему письма попадают в спам и как этого избежать",
        "Почтовые сервисы оценивают не только текст, но и репутацию отправителя.\n\n"
        "## Проверьте до отправки\n\n"
        "- SPF, DKIM и DMARC для вашего домена.\n"
        "- Ссылку отписки в каждом письме и заголовок `List-Unsubscribe`.\n"
        "- Умеренную скорость отправки: резкий всплеск выглядит подозрительно.\n\n"
        "Рассылка добавляет отписку в один клик сама и ограничивает скорость отправки.",
        14,
        ((220, 38, 38), (249, 115, 22)),
    ),
    (
        "Персонализация без навязчивости",
        "Обращение по имени — хорошее начало, но персонализация шире: "
        "уместное время, нужный повод, понятная причина письма.\n\n"
        "Начните с малого: имя в приветствии и сегменты по интересам. "
        "Подробнее о плейсхолдерах — в [справке Markdown](https://www.markdownguide.org/).",
        21,
        ((8, 145, 178), (59, 130, 246)),
    ),
    (
        "Отчёты о рассылке: какие цифры важны",
        "После каждой отправки смотрите на три числа: доставлено, не доставлено и "
        "неизвестно (когда соединение оборвалось после передачи письма).\n\n"
        "| Показатель | Что делать |\n|---|---|\n"
        "| Отказы 5xx | Чистить базу |\n| Временные 4xx | Повторить позже |\n\n"
        "Повторную отправку можно сделать только тем, кому письмо не дошло.",
        30,
        ((79, 70, 229), (147, 51, 234)),
    ),
    (
        "Письмо, которое читают с телефона",
        "Больше половины писем открывают на телефоне.\n\n"
        "- Короткие абзацы.\n- Одна главная кнопка.\n- Крупный шрифт и контраст.\n\n"
        "Простой текст часто выигрывает у тяжёлой вёрстки: он быстрее грузится "
        "и реже попадает в «Промоакции».",
        45,
        ((217, 119, 6), (234, 179, 8)),
    ),
    (
        "Отписка — это нормально",
        "Человек, который отписался, больше не портит вашу статистику и репутацию.\n\n"
        "Сделайте отписку простой: одна ссылка, без входа в аккаунт и без анкет. "
        "Рассылка так и делает, а отписавшиеся клиенты пропускаются автоматически.",
        60,
        ((71, 85, 105), (30, 41, 59)),
    ),
    (
        "Черновик: план контента на следующий квартал",
        "Темы на обсуждение:\n\n- кейсы клиентов;\n- A/B-тесты тем писем;\n- сезонные рассылки.",
        None,
        ((100, 116, 139), (148, 163, 184)),
    ),
]


def seed_posts(users: dict) -> None:
    """Create the demo posts that do not exist yet (matched by title), authored by the editor."""
    author = users["editor"]
    now = timezone.now()
    for number, (title, body, days_ago, colours) in enumerate(POSTS, start=1):
        if Post.objects.filter(title=title).exists():
            continue
        post = Post(
            title=title,
            body=body,
            author=author,
            is_published=days_ago is not None,
            published_at=now - timedelta(days=days_ago, hours=3) if days_ago is not None else None,
        )
        post.image.save(f"cover-{number}.jpg", ContentFile(cover_image(title, colours)), save=False)
        post.save()


def cover_image(title: str, colours: tuple[tuple[int, int, int], ...]) -> bytes:
    """A gradient with soft shapes and the title: a plausible blog cover, made offline."""
    width, height = IMAGE_SIZE
    start, end = colours
    gradient = Image.linear_gradient("L").rotate(-60, expand=True).resize(IMAGE_SIZE)
    image = Image.composite(
        Image.new("RGB", IMAGE_SIZE, end), Image.new("RGB", IMAGE_SIZE, start), gradient
    )
    overlay = Image.new("RGBA", IMAGE_SIZE, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    shapes = random.Random(title)  # the same title always draws the same picture
    for _ in range(7):
        x, y = shapes.randrange(width), shapes.randrange(height)
        radius = shapes.randrange(60, 260)
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=(255, 255, 255, 28))
    # An envelope, the service's emblem.
    left, top = width - 420, 110
    draw.rounded_rectangle((left, top, left + 300, top + 200), radius=18, fill=(255, 255, 255, 200))
    draw.line((left, top + 6, left + 150, top + 115, left + 300, top + 6), fill=start, width=10)
    image = Image.alpha_composite(image.convert("RGBA"), overlay)

    draw = ImageDraw.Draw(image)
    font = _font(76)
    lines = textwrap.wrap(title, width=24)[:4]
    y = height - 120 - len(lines) * 92
    for line in lines:
        draw.text((90, y), line, font=font, fill=(255, 255, 255))
        y += 92
    draw.text((90, height - 100), "Rassylka", font=_font(40), fill=(255, 255, 255, 220))
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    for name in FONT_FILES:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    # Without DejaVu, Pillow's own font (Latin only; Cyrillic may show as boxes).
    return ImageFont.load_default(size=size)
